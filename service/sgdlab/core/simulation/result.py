"""Assemble the simulation result document (API.md) from merged shard records and the theory layer."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..dynamics.schedules import final_lr
from ..observers.first_passage import NOT_TRACKED
from ..landscapes.base import FiniteSumLandscape
from .plan import SimulationPlan, landscape_of


def _json_float(x: Any) -> float | None:
    """A float for JSON, or None when it is missing or not finite."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


GIBBS_FINITE_SUM_BUDGET = 5e8  # loss evaluations x data rows the Gibbs comparison may spend on a finite sum


def temperature_and_beta(plan: SimulationPlan) -> tuple[float, float | None]:
    """T = lr/(2B) and beta = 2B/lr at the last step (schedule-aware); T = 0 and beta = None for gradient descent
    and whenever the last learning rate is 0 or so small that beta is not a finite number."""
    dyn = plan.spec.dynamics
    if dyn.method == "gradient_descent":
        return 0.0, None
    lr = final_lr(dyn.lr, plan.spec.steps)
    if not lr > 0:
        return 0.0, None
    beta = 2 * dyn.batch_size / lr
    return lr / (2 * dyn.batch_size), (beta if math.isfinite(beta) else None)


def _gibbs_block(plan: SimulationPlan, land, out: dict, states: dict, observers: dict, beta: float) -> dict:
    """The Gibbs comparison: on the histogram's bins in 1-D/2-D, basin-level otherwise or when too costly."""
    from ...theory.gibbs import gibbs_basin_fractions, gibbs_comparison
    spec = plan.spec
    fractions = [b["fraction"] for b in out.get("basins", {}).get("final", [])] or None
    lr_end = final_lr(spec.dynamics.lr, spec.steps)
    cost, grid_points = 0.0, None
    if isinstance(land, FiniteSumLandscape) and land.dim <= 2:
        # every loss evaluation is a pass over the data: size the quadratures to the budget
        if "histograms" in states:
            cost = float(np.prod(plan.hist_bins[: land.dim])) * 36 * land.n_samples
        default = 20001 if land.dim == 1 else 401
        grid_points = int(min(default, (GIBBS_FINITE_SUM_BUDGET / land.n_samples) ** (1 / land.dim)))
    if "histograms" in states and cost <= GIBBS_FINITE_SUM_BUDGET:
        return gibbs_comparison(land, plan.analysis, observers["histograms"].binning.edges,
                                states["histograms"]["final"], beta, fractions, lr=lr_end, grid_points=grid_points)
    theory = gibbs_basin_fractions(land, plan.analysis, beta, grid_points=grid_points)
    block = {"beta_theory": beta, "beta_fit": None, "beta_fit_stderr": None, "kl_divergence": None,
             "total_variation": None, "chi2_pvalue": None, "basin_fractions_theory": theory, "density_theory": None,
             "note": "basin-level comparison only: " + ("no histogram was observed" if "histograms" not in states
                                                        else "the bins x data rows exceed the quadrature budget")}
    if fractions is not None:
        block["basin_total_variation"] = 0.5 * float(np.abs(np.subtract(fractions, theory)).sum())
    return block


def build_result(plan: SimulationPlan, merged: dict, job_id: str | None = None, seconds: float | None = None) -> dict:
    """The result document of a finished simulation job."""
    from ...theory import exit_times as et

    spec = plan.spec
    states, observers = merged["states"], merged["observers"]
    land = landscape_of(spec.landscape, plan.limits)
    T, beta = temperature_and_beta(plan)
    out: dict[str, Any] = {
        "job_id": job_id, "kind": "simulation", "seed": spec.seed,
        "spec": spec.model_dump(mode="json", by_alias=True, exclude_none=True),
        "landscape": plan.analysis.to_dict(),
        "temperature": T, "beta": beta,
        "diverged": {"particles": merged["diverged"],
                     "fraction": merged["diverged"] / max(merged["particles"], 1)},
    }
    if "histograms" in states:
        out["histograms"] = observers["histograms"].summarise(states["histograms"])
    if "basins" in states:
        out["basins"] = observers["basins"].summarise(states["basins"])
    if "arrival" in states:
        out["arrival"] = observers["arrival"].summarise(states["arrival"])
    if spec.observe.gibbs and beta is not None:
        out["gibbs"] = _gibbs_block(plan, land, out, states, observers, beta)
    if "exit_times" in states:
        e = spec.observe.exit_times
        lr_end = final_lr(spec.dynamics.lr, spec.steps)
        all_times = states["exit_times"]["times"]
        times = all_times[all_times != NOT_TRACKED]
        kramers = exact = None
        reason = "the temperature is 0: no noise, no passage"
        if T > 0:
            kramers = et.kramers_steps(plan.analysis, e.from_, e.to, T, lr_end)
            # on the analysis box (the landscape's own range), never the histogram's plotting range
            exact, reason = et.exact_mfpt_with_reason(land, plan.analysis, e.from_, e.to, T, lr_end,
                                                      plan.exit_radius, plan.analysis.range)
        summary = et.exit_time_summary(times, times >= 0, spec.steps, e.from_, e.to, kramers, exact, reason)
        summary["radius"] = plan.exit_radius
        summary["not_tracked"] = int(all_times.size - times.size)   # particles that did not start in `from`
        out["exit_times"] = summary
    if "loss_trace" in states:
        out["loss_trace"] = observers["loss_trace"].summarise(states["loss_trace"])
    if "trajectories" in states:
        out["trajectories"] = observers["trajectories"].summarise(states["trajectories"])
    ps = merged["particle_steps"]
    secs = seconds if seconds is not None else merged["worker_seconds"]
    out["performance"] = {"particle_steps": ps, "seconds": secs,
                          "particle_steps_per_second": ps / secs if secs else None,
                          "shards": len(plan.shards), "worker_seconds": merged["worker_seconds"]}
    return out
