"""pandas DataFrames of a result, one tidy table per name, with the service's own table names and columns.

The names, columns and rows are those of `GET /v1/jobs/{id}/tables/{name}`, whose columns are defined once, in
the service's `sgdlab.tables.columns` (`TABLE_COLUMNS`). Each row here is built with its keys in that order; a test
checks, table by table, that the rows built here equal the service's rows for the same result (names, order and
values). Needs `pip install sgdlab-client[pandas]`.
"""

from __future__ import annotations

import json
import math
from typing import Any, Callable, Optional

from ._optional import require

ALIASES = {"histograms": "histogram"}   # the block name this module used to take
Rows = list[dict[str, Any]]


def _finite(x: Any) -> Optional[float]:
    """x as a finite float, or None (the service's tables have no NaN)."""
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _at(values: Optional[list], i: int) -> Any:
    return values[i] if values is not None and i < len(values) else None


def _doc(result: Any) -> dict[str, Any]:
    """The result as the plain JSON document the service built it from."""
    return result.model_dump(mode="json", by_alias=True)


def _dim(doc: dict[str, Any]) -> int:
    dim = (doc.get("landscape") or {}).get("dim")
    if isinstance(dim, int) and dim > 0:
        return dim
    final = (doc.get("histograms") or {}).get("final") or {}
    return len(final.get("edges") or [[0]]) or 1


def _spec_int(doc: dict[str, Any], key: str) -> Optional[int]:
    v = (doc.get("spec") or {}).get(key)
    return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _histogram(doc: dict[str, Any]) -> Rows:
    hs = doc.get("histograms") or {}
    dim = _dim(doc)
    if dim > 2:
        raise ValueError(f"histograms of a {dim}-D landscape are per-coordinate marginals: no histogram table")
    grid_edges = (doc.get("grid") or {}).get("edges")
    records = ([("final", _spec_int(doc, "steps"), hs["final"])] if hs.get("final") else []) + \
              ([("time_average", None, hs["time_average"])] if hs.get("time_average") else []) + \
              [("snapshot", s.get("step"), s) for s in hs.get("snapshots") or []]
    theory = (doc.get("gibbs") or {}).get("density_theory")
    rows: Rows = []
    for which, step, h in records:
        edges = h.get("edges") or grid_edges
        sizes = [len(e) - 1 for e in edges]
        gibbs = theory if theory is not None and len(theory) == math.prod(sizes) else None
        counts, density = h.get("counts") or [], h.get("density") or []
        for k in range(math.prod(sizes)):
            row: dict[str, Any] = {"which": which, "step": step, "bin": k}
            if dim == 1:
                lo, hi = edges[0][k], edges[0][k + 1]
                row.update(w=(lo + hi) / 2, left=float(lo), right=float(hi))
            else:
                i, j = divmod(k, sizes[1])
                (a, b), (c, d) = edges[0][i:i + 2], edges[1][j:j + 2]
                row.update(w1=(a + b) / 2, w2=(c + d) / 2, left1=float(a), right1=float(b), left2=float(c),
                           right2=float(d))
            row.update(count=_at(counts, k), density=_finite(_at(density, k)), gibbs_density=_finite(_at(gibbs, k)))
            rows.append(row)
    return rows


def _basins(doc: dict[str, Any]) -> Rows:
    block = doc.get("basins") or {}
    theory = (doc.get("gibbs") or {}).get("basin_fractions_theory")
    n = _spec_int(doc, "particles")
    rows = [{"which": "final", "step": _spec_int(doc, "steps"), "basin": int(b["basin"]),
             "fraction": _finite(b.get("fraction")), "stderr": _finite(b.get("stderr")),
             "gibbs_fraction": _finite(_at(theory, int(b["basin"])))} for b in block.get("final") or []]
    for snap in block.get("snapshots") or []:
        for k, fraction in enumerate(snap.get("fractions") or []):
            p = _finite(fraction)
            if snap.get("stderr") is not None:
                se = _finite(_at(snap["stderr"], k))
            else:   # the binomial standard error sqrt(p (1 - p) / n)
                se = None if p is None or not n else math.sqrt(max(p * (1 - p), 0.0) / n)
            rows.append({"which": "snapshot", "step": snap.get("step"), "basin": k, "fraction": p, "stderr": se,
                         "gibbs_fraction": _finite(_at(theory, k))})
    return rows


def _survival(doc: dict[str, Any]) -> Rows:
    x = doc.get("exit_times")
    if not x:
        return []
    curve = x.get("survival") or {}
    steps, prob = list(curve.get("steps") or []), list(curve.get("probability") or [])
    if not steps:
        steps, prob = [0, _spec_int(doc, "steps") or 0], [1.0, 1.0]
    mean = _finite(x.get("mean_steps"))
    fit = mean is not None and mean > 0 and x.get("escaped", 1) not in (0, None)
    return [{"step": s, "probability": _finite(p), "exponential_fit": math.exp(-float(s) / mean) if fit else None}
            for s, p in zip(steps, prob)]


def _loss_trace(doc: dict[str, Any]) -> Rows:
    lt = doc.get("loss_trace") or {}
    q = lt.get("quantiles") or {}
    return [{"step": s, "mean": _finite(_at(lt.get("mean"), i)), "std": _finite(_at(lt.get("std"), i)),
             **{name: _finite(_at(q.get(level), i)) for name, level in (("q10", "0.1"), ("q50", "0.5"), ("q90", "0.9"))}}
            for i, s in enumerate(lt.get("steps") or [])]


def _trajectories(doc: dict[str, Any]) -> Rows:
    np = require("numpy")
    tr = doc.get("trajectories") or {}
    steps = list(tr.get("steps") or [])
    paths = np.asarray(tr.get("paths") or [], dtype=float)
    if paths.ndim == 2:
        paths = paths[:, :, None]
    if paths.size and paths.shape[1] != len(steps) and paths.shape[0] == len(steps):
        paths = paths.transpose(1, 0, 2)
    names = ["w"] if paths.ndim == 3 and paths.shape[2] == 1 else [f"w{k + 1}" for k in range(paths.shape[-1])]
    return [{"particle": p, "step": int(steps[s]) if s < len(steps) else s,
             **dict(zip(names, (float(v) for v in paths[p, s])))}
            for p in range(paths.shape[0]) for s in range(paths.shape[1])] if paths.size else []


def _arrival(doc: dict[str, Any]) -> Rows:
    arrival = doc.get("arrival") or {}
    edges = arrival.get("edges") or []
    rows: Rows = []
    for cell, per_basin in enumerate(arrival.get("probability") or []):
        if len(edges) == 1:
            where = {"cell_low": float(edges[0][cell]), "cell_high": float(edges[0][cell + 1])}
        else:
            i, j = divmod(cell, len(edges[1]) - 1)
            where = {"cell_low1": float(edges[0][i]), "cell_high1": float(edges[0][i + 1]),
                     "cell_low2": float(edges[1][j]), "cell_high2": float(edges[1][j + 1])}
        rows += [{"cell": cell, **where, "basin": k, "probability": _finite(p)} for k, p in enumerate(per_basin or [])]
    return rows


def _kl_to_stationary(doc: dict[str, Any]) -> Rows:
    kl = doc.get("kl_to_stationary") or []
    tv = doc.get("total_variation_to_stationary") or []
    steps = doc.get("series_steps") or list(range(len(kl)))
    return [{"step": _at(steps, i), "kl_to_stationary": _finite(v), "total_variation_to_stationary": _finite(_at(tv, i))}
            for i, v in enumerate(kl)]


BUILDERS: dict[str, Callable[[dict[str, Any]], Rows]] = {
    "histogram": _histogram, "basins": _basins, "survival": _survival, "loss_trace": _loss_trace,
    "trajectories": _trajectories, "arrival": _arrival, "kl_to_stationary": _kl_to_stationary,
}


SUMMARY_FIELDS = ("basin_fractions", "beta_fit", "beta_fit_stderr", "kl_divergence", "total_variation",
                  "exit_mean_steps", "exit_ci95", "kramers_steps", "exact_steps", "variance", "loss_mean",
                  "diverged_fraction", "warnings")
"""The keys of a sweep's points[].summary, in the service's order (a test checks them against the service)."""


def _warning_code(w: Any) -> str:
    return str(w.get("code", w)) if isinstance(w, dict) else str(w)


def _points(doc: dict[str, Any]) -> Rows:
    """A sweep's points table: index, seed, one column per axis path, then the summary columns (lists as
    name_0, name_1, ...; exit_ci95 as exit_ci95_low and exit_ci95_high; warnings as their codes joined by ';')."""
    rows = []
    for p in doc.get("points") or []:
        row: dict[str, Any] = {"index": p["index"], "seed": p["seed"]}
        for path, value in p["params"].items():   # an object value (a schedule) as its JSON text
            row[path] = json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value
        summary = p.get("summary") or {}
        for name in SUMMARY_FIELDS:
            value = summary.get(name)
            if name == "exit_ci95":
                row["exit_ci95_low"], row["exit_ci95_high"] = value or (None, None)
            elif name == "warnings":
                row[name] = ";".join(map(_warning_code, value)) if value else None
            elif isinstance(value, list):
                row.update((f"{name}_{i}", v) for i, v in enumerate(value))
            else:
                row[name] = value
        rows.append(row)
    return rows


SWEEP_BUILDERS: dict[str, Callable[[dict[str, Any]], Rows]] = {"points": _points}
"""Tables of a sweep's result (GET /v1/jobs/{id}/tables/points)."""


def table_rows(result: Any, name: str) -> Rows:
    """The rows of table `name` (the service's tidy rows for the same result); ValueError when the result has
    no data for it (the service answers 404 there)."""
    name = ALIASES.get(name, name)
    builders = {**BUILDERS, **SWEEP_BUILDERS}
    if name not in builders:
        raise ValueError(f"unknown table {name!r}; choose one of {', '.join(builders)}")
    rows = builders[name](_doc(result))
    if not rows:
        raise ValueError(f"this result has no data for table {name!r} (its block was not observed)")
    return rows


def to_dataframe(result: Any, name: str) -> Any:
    """A DataFrame of table `name`, with the service's columns in the service's order."""
    pd = require("pandas")
    return pd.DataFrame(table_rows(result, name))
