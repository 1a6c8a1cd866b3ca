"""The summary of one sweep point: the single definition of its fields, read from the point's result document.

Every field is null when the point did not observe what it needs (no exit_times block, no gibbs block, ...).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .errors import TableUnavailable
from .values import num as _num
from ..theory.information import kl_divergence, total_variation

SUMMARY_FIELDS: tuple[str, ...] = (
    "basin_fractions", "beta_fit", "beta_fit_stderr", "kl_divergence", "total_variation", "exit_mean_steps",
    "exit_ci95", "kramers_steps", "exact_steps", "variance", "loss_mean", "diverged_fraction", "warnings")
"""The keys of points[].summary, in order (API.md "Sweeps")."""

SCALAR_FIELDS: tuple[str, ...] = ("beta_fit", "beta_fit_stderr", "kl_divergence", "total_variation",
                                  "exit_mean_steps", "kramers_steps", "exact_steps", "loss_mean",
                                  "diverged_fraction")
"""The summary fields that are one number (a heatmap can colour by any of them)."""


def _cell_masses(h: dict, sizes: list[int], edges: list[np.ndarray]) -> np.ndarray:
    """Particle counts of a histogram block, or for a density block (density evolution) the probability of each
    cell: density x cell volume, in the joint layout's shape."""
    if h.get("counts"):
        return np.asarray(h["counts"], dtype=float)
    volumes = np.ones(())
    for e in edges:
        volumes = np.multiply.outer(volumes, np.diff(e))
    return np.asarray(h.get("density") or [], dtype=float) * volumes.reshape(-1)


def histogram_marginals(h: dict) -> list[tuple[np.ndarray, np.ndarray]]:
    """(bin centres, counts or probabilities) per coordinate of a histogram block (joint or per-coordinate
    marginal layout; a density block's cells weighted by their volume)."""
    edges = [np.asarray(e, dtype=float) for e in h.get("edges") or []]
    sizes = [len(e) - 1 for e in edges]
    centres = [0.5 * (e[:-1] + e[1:]) for e in edges]
    if h.get("layout") == "marginal":
        c = np.asarray(h.get("counts") or [], dtype=float).reshape(len(edges), -1)
        return [(centres[a], c[a, :sizes[a]]) for a in range(len(edges))]
    mass = _cell_masses(h, sizes, edges) if edges else np.zeros(0)
    if mass.size == 0 or mass.size != int(np.prod(sizes)):
        return []
    c = mass.reshape(sizes)
    return [(centres[a], c.sum(axis=tuple(i for i in range(len(sizes)) if i != a))) for a in range(len(sizes))]


def _variance(result: dict) -> list | None:
    """Per-coordinate variance of the final positions, from the final histogram's bin centres (grouped data:
    particles outside the histogram's range are not counted)."""
    final = (result.get("histograms") or {}).get("final")
    if not final:
        return None
    counted = bool(final.get("counts"))
    out = []
    for centre, weight in histogram_marginals(final):
        n = weight.sum()
        if not n > 0 or (counted and n < 2):
            out.append(None)
            continue
        mean = float((centre * weight).sum() / n)
        # particle counts: the unbiased sample variance; a density: the variance of the law itself
        out.append(float(((centre - mean) ** 2 * weight).sum() / (n - 1 if counted else n)))
    return out or None


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


def _density_vs_gibbs(result: dict) -> tuple[float | None, float | None]:
    """Density evolution: KL(final density || Gibbs) and their total variation on the grid's cells."""
    final = (result.get("histograms") or {}).get("final") or {}
    theory = (result.get("gibbs") or {}).get("density_theory")
    edges = [np.asarray(e, dtype=float) for e in final.get("edges") or []]
    if not theory or not final.get("density") or len(theory) != len(final["density"]):
        return None, None
    sizes = [len(e) - 1 for e in edges]
    p = _cell_masses({"density": final["density"]}, sizes, edges)
    q = _cell_masses({"density": theory}, sizes, edges)
    if not (p.sum() > 0 and q.sum() > 0):
        return None, None
    p, q = p / p.sum(), q / q.sum()
    return _num(kl_divergence(p, q)), _num(total_variation(p, q))


def point_summary(result: dict) -> dict[str, Any]:
    """points[].summary of a point's result document (simulation or density_evolution; for density evolution
    kl_divergence and total_variation compare the final density with Gibbs on the grid's cells)."""
    gibbs = result.get("gibbs") or {}
    kl, tv = gibbs.get("kl_divergence"), gibbs.get("total_variation")
    if result.get("kind") == "density_evolution":
        kl, tv = _density_vs_gibbs(result)
    exits = result.get("exit_times") or {}
    basins = (result.get("basins") or {}).get("final")
    ci = exits.get("ci95")
    out = {
        "basin_fractions": [_num(b.get("fraction")) for b in basins] if basins else None,
        "beta_fit": _num(gibbs.get("beta_fit")),
        "beta_fit_stderr": _num(gibbs.get("beta_fit_stderr")),
        "kl_divergence": _num(kl),
        "total_variation": _num(tv),
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


def _flat_value(v: Any) -> Any:
    """An axis value as one cell: objects and lists (a schedule, an init) as their JSON text."""
    return json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v


def points_table(sweep: dict) -> list[dict]:
    """The sweep's tidy table: one row per point, `index`, `seed`, one column per axis path (object values as
    JSON text), then the summary fields (lists spread over numbered columns: basin_fractions_0, variance_0,
    exit_ci95_low, ...)."""
    if sweep.get("kind") != "sweep" or "points" not in sweep:
        raise TableUnavailable("points", "only a sweep's result has a points table")
    rows = []
    for p in sweep["points"]:
        row: dict[str, Any] = {"index": p["index"], "seed": p["seed"],
                               **{k: _flat_value(v) for k, v in p["params"].items()}}
        for name in SUMMARY_FIELDS:
            row.update(_flat(name, (p.get("summary") or {}).get(name)))
        rows.append(row)
    return rows


SWEEP_TABLES = {"points": points_table}
"""Tables of a sweep's result (their columns follow the sweep's axes)."""
