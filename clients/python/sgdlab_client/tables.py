"""pandas DataFrames of result blocks, one tidy table per block (needs `pip install sgdlab-client[pandas]`)."""

from __future__ import annotations

from typing import Any, Callable

from ._optional import require


def _histogram_rows(name: str, doc: Any) -> list[dict[str, Any]]:
    rows = []
    from .arrays import histogram_arrays
    h = histogram_arrays(doc)
    if h.dim == 1:
        for lo, hi, d, c in zip(h.edges[:-1], h.edges[1:], h.density,
                                h.counts if h.counts is not None else [None] * len(h.density)):
            rows.append({"histogram": name, "step": doc.step, "lo": lo, "hi": hi, "density": d, "count": c})
        return rows
    flat_counts = doc.counts if doc.counts is not None else [None] * len(doc.density)
    if len(doc.edges) == 2 and len(doc.density) == (len(doc.edges[0]) - 1) * (len(doc.edges[1]) - 1):
        ny = len(doc.edges[1]) - 1
        for k, (d, c) in enumerate(zip(doc.density, flat_counts)):
            i, j = divmod(k, ny)
            rows.append({"histogram": name, "step": doc.step, "x_lo": doc.edges[0][i], "x_hi": doc.edges[0][i + 1],
                         "y_lo": doc.edges[1][j], "y_hi": doc.edges[1][j + 1], "density": d, "count": c})
        return rows
    return [{"histogram": name, "step": doc.step, "bin": k, "density": d, "count": c}
            for k, (d, c) in enumerate(zip(doc.density, flat_counts))]


def _histograms(result: Any) -> list[dict[str, Any]]:
    hs = result.histograms
    if hs is None:
        return []
    rows = _histogram_rows("final", hs.final) if hs.final is not None else []
    for snap in hs.snapshots:
        rows += _histogram_rows("snapshot", snap)
    if getattr(hs, "time_average", None) is not None:
        rows += _histogram_rows("time_average", hs.time_average)
    return rows


def _basins(result: Any) -> list[dict[str, Any]]:
    theory = (result.gibbs.basin_fractions_theory or []) if result.gibbs else []
    return [{"basin": b.basin, "fraction": b.fraction, "stderr": b.stderr,
             "fraction_theory": theory[b.basin] if b.basin < len(theory) else None}
            for b in (result.basins.final if result.basins else [])]


def _survival(result: Any) -> list[dict[str, Any]]:
    s = result.exit_times.survival if result.exit_times else None
    return [{"step": t, "probability": p} for t, p in zip(s.steps, s.probability)] if s else []


def _loss_trace(result: Any) -> list[dict[str, Any]]:
    lt = result.loss_trace
    if lt is None:
        return []
    rows = []
    for k, step in enumerate(lt.steps):
        row = {"step": step, "mean": lt.mean[k], "std": lt.std[k] if lt.std else None}
        row.update({f"q{q}": values[k] for q, values in lt.quantiles.items()})
        rows.append(row)
    return rows


def _trajectories(result: Any) -> list[dict[str, Any]]:
    tr = result.trajectories
    if tr is None:
        return []
    rows = []
    for p, path in enumerate(tr.paths):
        for step, w in zip(tr.steps, path):
            coords = w if isinstance(w, list) else [w]
            rows.append({"particle": p, "step": step, **{f"w{i}": x for i, x in enumerate(coords)}})
    return rows


def _kl(result: Any) -> list[dict[str, Any]]:
    kl = getattr(result, "kl_to_stationary", None) or []
    tv = getattr(result, "total_variation_to_stationary", None) or []
    return [{"index": k, "kl_to_stationary": v, "total_variation_to_stationary": tv[k] if k < len(tv) else None}
            for k, v in enumerate(kl)]


BLOCKS: dict[str, Callable[[Any], list[dict[str, Any]]]] = {
    "histograms": _histograms, "basins": _basins, "survival": _survival, "loss_trace": _loss_trace,
    "trajectories": _trajectories, "kl_to_stationary": _kl,
}


def to_dataframe(result: Any, block: str) -> Any:
    """A DataFrame of one result block (see BLOCKS for the names)."""
    if block not in BLOCKS:
        raise ValueError(f"unknown block {block!r}; choose one of {', '.join(BLOCKS)}")
    pd = require("pandas")
    return pd.DataFrame(BLOCKS[block](result))
