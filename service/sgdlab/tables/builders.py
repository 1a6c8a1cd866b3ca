"""One builder per table: result document -> tidy rows (see `columns` for what each column means)."""

from __future__ import annotations

import math
from typing import Callable, Iterator, Optional

import numpy as np

from .errors import TableUnavailable
from .values import entry, num, particles_of_run, result_dim, steps_of_run

Rows = Iterator[dict]
"""Builders yield rows one at a time: a table of a maximum-size result is never held in memory whole."""


def _block(result: dict, name: str, key: str) -> dict:
    """result[key] as a dict, or TableUnavailable naming the observer that makes it."""
    block = result.get(key)
    if not block:
        raise TableUnavailable(name, f"the result has no '{key}' block (enable observe.{key} in the job)")
    return block


def _gibbs_density(result: dict, n_bins: int) -> list | None:
    """result.gibbs.density_theory when it matches the histogram's bin count, else None."""
    theory = (result.get("gibbs") or {}).get("density_theory")
    if theory is None or len(theory) != n_bins:
        return None
    return list(theory)


def _histogram_records(result: dict) -> list[tuple[str, int | None, dict]]:
    """(which, step, H) for the final, time-average and snapshot histograms, in that order."""
    hists = _block(result, "histogram", "histograms")
    if not isinstance(hists, dict):
        raise TableUnavailable("histogram", "the result's 'histograms' block is not an object")
    records: list[tuple[str, int | None, dict]] = []
    if hists.get("final"):
        records.append(("final", steps_of_run(result), hists["final"]))
    if hists.get("time_average"):
        records.append(("time_average", None, hists["time_average"]))
    for snap in hists.get("snapshots") or []:
        records.append(("snapshot", snap.get("step"), snap))
    if not records:
        raise TableUnavailable("histogram", "the result's 'histograms' block holds no histogram")
    return records


def _histogram_rows_1d(which: str, step, h: dict, gibbs: list | None) -> Rows:
    """Rows of one 1-D histogram."""
    edges = np.asarray(h["edges"][0], dtype=float)
    centres = 0.5 * (edges[:-1] + edges[1:])
    counts, density = h.get("counts") or [], h.get("density") or []
    for i in range(len(centres)):
        yield {"which": which, "step": step, "bin": i, "w": float(centres[i]),
               "left": float(edges[i]), "right": float(edges[i + 1]),
               "count": entry(counts, i), "density": num(entry(density, i)), "gibbs_density": num(entry(gibbs, i))}


def _histogram_rows_2d(which: str, step, h: dict, gibbs: list | None) -> Rows:
    """Rows of one 2-D histogram (bins flattened row-major: w1 is the slow axis)."""
    e1, e2 = (np.asarray(e, dtype=float) for e in h["edges"][:2])
    n2 = len(e2) - 1
    counts, density = h.get("counts") or [], h.get("density") or []
    for k in range((len(e1) - 1) * n2):
        i, j = divmod(k, n2)
        yield {"which": which, "step": step, "bin": k,
               "w1": float(0.5 * (e1[i] + e1[i + 1])), "w2": float(0.5 * (e2[j] + e2[j + 1])),
               "left1": float(e1[i]), "right1": float(e1[i + 1]),
               "left2": float(e2[j]), "right2": float(e2[j + 1]),
               "count": entry(counts, k), "density": num(entry(density, k)),
               "gibbs_density": num(entry(gibbs, k))}


def histogram_records(result: dict, which: Optional[str] = None,
                      step: Optional[int] = None) -> list[tuple[str, int | None, dict]]:
    """The recorded histograms a table selects: all, or those with this `which` and/or `step`."""
    dim = result_dim(result)
    if dim > 2:
        raise TableUnavailable("histogram", f"histograms of a {dim}-D landscape are per-coordinate marginals; "
                                            "only 1-D and 2-D histograms are tabulated")
    return [r for r in _histogram_records(result)
            if (which is None or r[0] == which) and (step is None or r[1] == step)]


def histogram_table(result: dict, which: Optional[str] = None, step: Optional[int] = None) -> Rows:
    """Every recorded histogram (or those selected by `which`/`step`), one row per bin, with the Gibbs density on
    the same bins."""
    dim = result_dim(result)
    for rec_which, rec_step, h in histogram_records(result, which, step):
        n_bins = int(np.prod([len(e) - 1 for e in h["edges"]]))
        gibbs = _gibbs_density(result, n_bins)
        yield from (_histogram_rows_1d if dim == 1 else _histogram_rows_2d)(rec_which, rec_step, h, gibbs)


def _binomial_stderr(p: float | None, n: int | None) -> float | None:
    """sqrt(p(1-p)/n), the standard error of a fraction of n particles."""
    if p is None or not n:
        return None
    return math.sqrt(max(p * (1.0 - p), 0.0) / n)


def basins_table(result: dict) -> Rows:
    """Basin fractions at the end and at each snapshot, with stderr and the Gibbs theory fractions."""
    basins = _block(result, "basins", "basins")
    theory = (result.get("gibbs") or {}).get("basin_fractions_theory")
    n = particles_of_run(result)
    if not (basins.get("final") or any(s.get("fractions") for s in basins.get("snapshots") or [])):
        raise TableUnavailable("basins", "the result's 'basins' block holds no fractions")
    for b in basins.get("final") or []:
        k = int(b["basin"])
        yield {"which": "final", "step": steps_of_run(result), "basin": k, "fraction": num(b.get("fraction")),
               "stderr": num(b.get("stderr")), "gibbs_fraction": num(entry(theory, k))}
    for snap in basins.get("snapshots") or []:
        stderrs = snap.get("stderr")
        for k, frac in enumerate(snap.get("fractions") or []):
            p = num(frac)
            se = num(entry(stderrs, k)) if stderrs is not None else _binomial_stderr(p, n)
            yield {"which": "snapshot", "step": snap.get("step"), "basin": k, "fraction": p,
                   "stderr": se, "gibbs_fraction": num(entry(theory, k))}


def exponential_mean(exit_times: dict) -> float | None:
    """The fitted mean exit time in steps, or None when nothing escaped (no fit)."""
    mean = num(exit_times.get("mean_steps"))
    if mean is None or mean <= 0 or not exit_times.get("escaped", 1):
        return None
    return mean


def survival_table(result: dict) -> Rows:
    """The Kaplan-Meier survival curve with the exponential fit exp(-t/mean_steps) beside it."""
    exit_times = _block(result, "survival", "exit_times")
    survival = exit_times.get("survival") or {}
    steps, prob = list(survival.get("steps") or []), list(survival.get("probability") or [])
    if not steps:  # no events and no curve: the survival is 1 over the whole run
        last = steps_of_run(result) or 0
        steps, prob = [0, last], [1.0, 1.0]
    mean = exponential_mean(exit_times)
    for s, p in zip(steps, prob):
        yield {"step": s, "probability": num(p), "exponential_fit": None if mean is None else math.exp(-float(s) / mean)}


def loss_trace_table(result: dict) -> Rows:
    """Mean, standard deviation and the 10/50/90 % quantiles of the loss over the run."""
    trace = _block(result, "loss_trace", "loss_trace")
    q = trace.get("quantiles") or {}
    q10, q50, q90 = (q.get(k) for k in ("0.1", "0.5", "0.9"))
    mean, std = trace.get("mean"), trace.get("std")
    for i, s in enumerate(trace.get("steps") or []):
        yield {"step": s, "mean": num(entry(mean, i)), "std": num(entry(std, i)), "q10": num(entry(q10, i)),
               "q50": num(entry(q50, i)), "q90": num(entry(q90, i))}


def trajectory_array(result: dict) -> tuple[np.ndarray, np.ndarray]:
    """(steps (S,), paths (P, S, d)) of the trajectories block, whatever the nesting of 1-D paths."""
    traj = _block(result, "trajectories", "trajectories")
    steps = np.asarray(traj.get("steps") or [], dtype=float)
    paths = np.asarray(traj.get("paths") or [], dtype=float)
    if paths.size == 0:
        raise TableUnavailable("trajectories", "the trajectories block holds no path")
    if paths.ndim == 2:
        paths = paths[:, :, None]
    if paths.shape[1] != len(steps) and paths.shape[0] == len(steps):
        paths = paths.transpose(1, 0, 2)  # stored step-major
    return steps, paths


def trajectories_table(result: dict) -> Rows:
    """One row per particle and recorded step."""
    steps, paths = trajectory_array(result)
    d = paths.shape[2]
    names = ["w"] if d == 1 else [f"w{k + 1}" for k in range(d)]
    for p in range(paths.shape[0]):
        for s in range(paths.shape[1]):
            yield {"particle": p, "step": int(steps[s]) if s < len(steps) else s,
                   **{names[k]: num(paths[p, s, k]) for k in range(d)}}


def arrival_table(result: dict) -> Rows:
    """P(final basin | initial cell), one row per cell and basin (cells flattened row-major)."""
    arrival = _block(result, "arrival", "arrival")
    edges = [np.asarray(e, dtype=float) for e in arrival.get("edges") or []]
    prob = arrival.get("probability") or []
    if not edges or not prob:
        raise TableUnavailable("arrival", "the arrival block holds no cells")
    if len(edges) > 2:
        raise TableUnavailable("arrival", "only 1-D and 2-D arrival maps are tabulated")
    n_last = len(edges[-1]) - 1
    for cell, per_basin in enumerate(prob):
        if len(edges) == 1:
            where = {"cell_low": num(edges[0][cell]), "cell_high": num(edges[0][cell + 1])}
        else:
            i, j = divmod(cell, n_last)
            where = {"cell_low1": num(edges[0][i]), "cell_high1": num(edges[0][i + 1]),
                     "cell_low2": num(edges[1][j]), "cell_high2": num(edges[1][j + 1])}
        for basin, p in enumerate(per_basin or []):
            yield {"cell": cell, **where, "basin": basin, "probability": num(p)}


def kl_to_stationary_table(result: dict) -> Rows:
    """The density-evolution series KL(rho_t || rho_inf) and the total variation to rho_inf, one row per step."""
    kl = result.get("kl_to_stationary")
    if not kl:
        raise TableUnavailable("kl_to_stationary", "the result has no 'kl_to_stationary' series "
                                                   "(a density_evolution job makes it)")
    tv = result.get("total_variation_to_stationary")
    steps = result.get("series_steps") or list(range(len(kl)))
    for i, v in enumerate(kl):
        yield {"step": entry(steps, i), "kl_to_stationary": num(v), "total_variation_to_stationary": num(entry(tv, i))}


def table_rows(name: str, result: dict, which: Optional[str] = None, step: Optional[int] = None) -> int | None:
    """How many rows table `name` will have, counted without building it (histogram, trajectories, arrival: the
    tables that can be large); None for the others. TableUnavailable as the builder would raise it."""
    if name == "histogram":
        return sum(int(np.prod([len(e) - 1 for e in h["edges"]])) for _, _, h in histogram_records(result, which, step))
    if name == "trajectories":
        traj = _block(result, "trajectories", "trajectories")
        paths = traj.get("paths") or []
        return len(paths) * max((len(p) for p in paths), default=0)
    if name == "arrival":
        return sum(len(p or []) for p in (_block(result, "arrival", "arrival").get("probability") or []))
    return None


TABLE_BUILDERS: dict[str, Callable[..., Rows]] = {
    "histogram": histogram_table,
    "basins": basins_table,
    "survival": survival_table,
    "loss_trace": loss_trace_table,
    "trajectories": trajectories_table,
    "arrival": arrival_table,
    "kl_to_stationary": kl_to_stationary_table,
}
