"""The summary of one sweep point: the single definition of its fields, read from the point's result document.

Every field is null when the point did not observe what it needs (no exit_times block, no gibbs block, ...).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import TableUnavailable
from .values import num as _num

SUMMARY_FIELDS: tuple[str, ...] = (
    "basin_fractions", "beta_fit", "beta_fit_stderr", "kl_divergence", "total_variation", "exit_mean_steps",
    "exit_ci95", "kramers_steps", "exact_steps", "variance", "loss_mean", "diverged_fraction", "warnings")
"""The keys of points[].summary, in order (API.md "Sweeps")."""

SCALAR_FIELDS: tuple[str, ...] = ("beta_fit", "beta_fit_stderr", "kl_divergence", "total_variation",
                                  "exit_mean_steps", "kramers_steps", "exact_steps", "loss_mean",
                                  "diverged_fraction")
"""The summary fields that are one number (a heatmap can colour by any of them)."""


def histogram_marginals(h: dict) -> list[tuple[np.ndarray, np.ndarray]]:
    """(bin centres, counts) per coordinate of a histogram block (joint or per-coordinate marginal layout)."""
    edges = [np.asarray(e, dtype=float) for e in h.get("edges") or []]
    counts = np.asarray(h.get("counts") or [], dtype=float)
    if not edges or counts.size == 0:
        return []
    sizes = [len(e) - 1 for e in edges]
    centres = [0.5 * (e[:-1] + e[1:]) for e in edges]
    if h.get("layout") == "marginal":
        c = counts.reshape(len(edges), -1)
        return [(centres[a], c[a, :sizes[a]]) for a in range(len(edges))]
    c = counts.reshape(sizes)
    return [(centres[a], c.sum(axis=tuple(i for i in range(len(sizes)) if i != a))) for a in range(len(sizes))]


def _variance(result: dict) -> list | None:
    """Per-coordinate variance of the final positions, from the final histogram's bin centres (grouped data:
    particles outside the histogram's range are not counted)."""
    final = (result.get("histograms") or {}).get("final")
    if not final:
        return None
    out = []
    for centre, count in histogram_marginals(final):
        n = count.sum()
        if n < 2:
            out.append(None)
            continue
        mean = float((centre * count).sum() / n)
        out.append(float(((centre - mean) ** 2 * count).sum() / (n - 1)))
    return out


def _loss_mean(result: dict) -> float | None:
    """The mean loss at the last recorded step of the loss trace."""
    means = [m for m in (result.get("loss_trace") or {}).get("mean") or [] if m is not None]
    return _num(means[-1]) if means else None


def _diverged_fraction(result: dict) -> float | None:
    """validity.diverged.fraction when the result has a validity block, else diverged.fraction."""
    validity = result.get("validity") or {}
    diverged = validity.get("diverged") if isinstance(validity.get("diverged"), dict) else result.get("diverged")
    return _num((diverged or {}).get("fraction")) if isinstance(diverged, dict) else None


def _warnings(result: dict) -> list | None:
    """validity.warnings and the exit-time fit's warnings, or None when there are none."""
    found = list((result.get("validity") or {}).get("warnings") or [])
    found += list((result.get("exit_times") or {}).get("warnings") or [])
    return found or None


def point_summary(result: dict) -> dict[str, Any]:
    """points[].summary of a point's result document (simulation or density_evolution)."""
    gibbs = result.get("gibbs") or {}
    exits = result.get("exit_times") or {}
    basins = (result.get("basins") or {}).get("final")
    ci = exits.get("ci95")
    out = {
        "basin_fractions": [_num(b.get("fraction")) for b in basins] if basins else None,
        "beta_fit": _num(gibbs.get("beta_fit")),
        "beta_fit_stderr": _num(gibbs.get("beta_fit_stderr")),
        "kl_divergence": _num(gibbs.get("kl_divergence", result.get("kl_stationary_vs_gibbs"))),
        "total_variation": _num(gibbs.get("total_variation", result.get("total_variation_stationary_vs_gibbs"))),
        "exit_mean_steps": _num(exits.get("mean_steps")),
        "exit_ci95": [_num(x) for x in ci] if ci else None,
        "kramers_steps": _num(exits.get("kramers_steps")),
        "exact_steps": _num(exits.get("exact_steps")),
        "variance": _variance(result),
        "loss_mean": _loss_mean(result),
        "diverged_fraction": _diverged_fraction(result),
        "warnings": _warnings(result),
    }
    assert tuple(out) == SUMMARY_FIELDS
    return out


def _flat(name: str, value: Any) -> dict[str, Any]:
    """A summary field as flat columns: lists become name_0, name_1, ... (exit_ci95: _low, _high)."""
    if name == "exit_ci95":
        lo, hi = value if value else (None, None)
        return {"exit_ci95_low": lo, "exit_ci95_high": hi}
    if name == "warnings":
        return {"warnings": ";".join(str(w.get("code", w)) if isinstance(w, dict) else str(w) for w in value)
                if value else None}
    if isinstance(value, list):
        return {f"{name}_{i}": v for i, v in enumerate(value)}
    return {name: value}


def points_table(sweep: dict) -> list[dict]:
    """The sweep's tidy table: one row per point, `index`, `seed`, one column per axis path, then the summary
    fields (lists spread over numbered columns: basin_fractions_0, variance_0, exit_ci95_low, ...)."""
    if sweep.get("kind") != "sweep" or "points" not in sweep:
        raise TableUnavailable("points", "only a sweep's result has a points table")
    rows = []
    for p in sweep["points"]:
        row: dict[str, Any] = {"index": p["index"], "seed": p["seed"], **p["params"]}
        for name in SUMMARY_FIELDS:
            row.update(_flat(name, (p.get("summary") or {}).get(name)))
        rows.append(row)
    return rows


SWEEP_TABLES = {"points": points_table}
"""Tables of a sweep's result (their columns follow the sweep's axes)."""
