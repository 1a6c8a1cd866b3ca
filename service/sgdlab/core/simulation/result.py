"""Assemble the simulation result document (docs/API.md) from merged shard records and the theory layer."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..dynamics.schedules import final_lr
from ..observers.basin_moments import moments_of
from ..observers.first_passage import DIVERGED, NOT_TRACKED
from ..landscapes.base import FiniteSumLandscape
from ...spec.base import normalised_spec
from .plan import SimulationPlan, landscape_of


def _json_float(x: Any) -> float | None:
    """A float for JSON, or None when it is missing or not finite."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _empirical_fractions(out: dict) -> list[float] | None:
    """The final basin fractions of a result, or None without basins or without surviving particles."""
    fractions = [b["fraction"] for b in out.get("basins", {}).get("final", [])]
    return fractions if fractions and all(f is not None for f in fractions) else None


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
    """The Gibbs comparison at `beta`: on the histogram's bins in 1-D/2-D, basin-level otherwise or when too costly."""
    from ...theory.gibbs import gibbs_basin_fractions, gibbs_comparison
    spec = plan.spec
    fractions = _empirical_fractions(out)
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


def _theory_gibbs_beta(model, noise: dict, analysis, beta: float | None) -> tuple[float | None, str | None]:
    """beta of the `gibbs` block: 2B/lr for isotropic noise; for data noise 1/T at the deepest minimum (with a note)."""
    from ...theory.noise import deepest_minimum, scalar_temperature_at
    if not model.state_dependent:
        return beta, None
    k = deepest_minimum(analysis)
    t = scalar_temperature_at(noise, k) if k is not None else 0.0
    if not t > 0:
        return None, None
    return 1.0 / t, (f"data noise: beta_theory = 1/T with T = {t:.6g}, the scalar temperature lr tr(Sigma)/(2Bd) at "
                     f"the deepest minimum {k}; where Sigma varies with w or is anisotropic (validity: "
                     "state_dependent_noise) this Gibbs law is not the dynamics' stationary law (see `stationary`)")


def _exit_block(plan: SimulationPlan, land, model, states: dict) -> dict:
    """The exit_times block: diverged and untracked particles left out; theory with the job's own noise."""
    from ...theory import exit_times as et
    from ...theory.exit_time_fit import exponential_fit_test
    from ...theory.exit_time_reasons import exit_theory_reasons
    from ...theory.exit_times_noise import exit_theory
    spec = plan.spec
    e = spec.observe.exit_times
    all_times = states["exit_times"]["times"]
    times = all_times[(all_times != NOT_TRACKED) & (all_times != DIVERGED)]
    theory = exit_theory(land, plan.analysis, model, e.from_, e.to, plan.exit_radius, plan.analysis.range)
    # why a theory value is missing: the solver's own reason first, else the general one
    why = exit_theory_reasons(plan.analysis, land.dim, model, theory, e.from_, e.to)
    summary = et.exit_time_summary(times, times >= 0, spec.steps, e.from_, e.to, theory["kramers_steps"],
                                   theory["exact_steps"], why.get("exact_reason"))
    summary["kramers_formula"], summary["exact_method"] = theory["kramers_formula"], theory["exact_method"]
    summary["radius"] = plan.exit_radius
    summary["not_tracked"] = int((all_times == NOT_TRACKED).sum())   # particles that did not start in `from`
    summary["diverged"] = int((all_times == DIVERGED).sum())         # started in `from`, diverged by the end
    summary.update(exponential_fit_test(np.where(times >= 0, times, spec.steps), times >= 0))
    if "kramers_reason" in why:
        summary["kramers_reason"] = why["kramers_reason"]
    return summary


def _relaxation(plan: SimulationPlan, land, model) -> float | None:
    """Slowest relaxation time (steps) from the Kramers times of every barrier with the job's noise."""
    from ...theory.exit_times_noise import exit_theory
    from ...theory.validity import relaxation_steps
    if model.kind == "none" or not plan.analysis.minima:
        return None
    taus = {(b.from_, b.to): exit_theory(land, plan.analysis, model, b.from_, b.to, exact=False,
                                         range=plan.analysis.range)["kramers_steps"]
            for b in plan.analysis.barriers}
    return relaxation_steps(plan.analysis, taus, model)


def build_result(plan: SimulationPlan, merged: dict, job_id: str | None = None, seconds: float | None = None) -> dict:
    """The result document of a finished simulation job."""
    from ...theory.local_laws import local_laws
    from ...theory.noise import correlated_note, noise_block, noise_model
    from ...theory.stationary import stationary_block
    from ...theory import validity as va

    spec = plan.spec
    states, observers = merged["states"], merged["observers"]
    land = landscape_of(spec.landscape, plan.limits)
    T, beta = temperature_and_beta(plan)
    lr_end = final_lr(spec.dynamics.lr, spec.steps)
    model = noise_model(spec.dynamics, land, lr_end)
    out: dict[str, Any] = {
        "job_id": job_id, "kind": "simulation", "seed": spec.seed,
        "spec": normalised_spec(spec),
        "landscape": plan.analysis.to_dict(),
        "temperature": T, "beta": beta,
        "diverged": {"particles": merged["diverged"],
                     "fraction": merged["diverged"] / max(merged["particles"], 1)},
    }
    noise = noise_block(model, land, plan.analysis)
    out["noise"] = noise
    if "histograms" in states:
        out["histograms"] = observers["histograms"].summarise(states["histograms"])
    if "basins" in states:
        out["basins"] = observers["basins"].summarise(states["basins"])
    if "arrival" in states:
        out["arrival"] = observers["arrival"].summarise(states["arrival"])
    gibbs_beta, gibbs_note = _theory_gibbs_beta(model, noise, plan.analysis, beta)
    if spec.observe.gibbs and gibbs_beta is not None:
        out["gibbs"] = _gibbs_block(plan, land, out, states, observers, gibbs_beta)
        for extra in (gibbs_note, correlated_note(model)):
            if extra:
                out["gibbs"]["note"] = (out["gibbs"]["note"] + "; " if out["gibbs"].get("note") else "") + extra
    fractions = _empirical_fractions(out)
    if land.dim <= 2 and "histograms" in states:
        edges, counts = observers["histograms"].binning.edges, states["histograms"]["final"]
    else:
        edges = counts = None
    stationary = stationary_block(land, plan.analysis, model, edges, counts, fractions, out.get("gibbs"),
                                  plan.analysis.range)
    if stationary is not None:
        out["stationary"] = stationary
    out["local_laws"] = local_laws(land, plan.analysis, model,
                                   moments_of(states["basins"]) if "basins" in states else None, spec.steps)
    if "exit_times" in states:
        out["exit_times"] = _exit_block(plan, land, model, states)
        out["exit_times"]["method"] = "direct"
        if "splitting" in merged:       # rare-event run: the splitting estimate replaces the direct one
            from ..rare_events.mfpt_estimator import splitting_exit_times
            out["exit_times"] = splitting_exit_times(out["exit_times"], merged["splitting"])
    if "loss_trace" in states:
        out["loss_trace"] = observers["loss_trace"].summarise(states["loss_trace"])
    if "trajectories" in states:
        out["trajectories"] = observers["trajectories"].summarise(states["trajectories"])
    warnings = va.step_size_warnings(spec.dynamics, spec.steps, plan.analysis, land)
    warnings += va.noise_warnings(model, noise, land, plan.analysis)
    warnings += va.not_mixed_warning(_relaxation(plan, land, model), spec.steps, warnings)
    out["validity"] = va.validity_block(merged["diverged"], merged["particles"], warnings)
    ps = merged["particle_steps"]
    run_seconds = merged.get("run_seconds") if "splitting" not in merged else None
    if run_seconds is not None:      # the shards' own span: what waited in a queue does not count
        secs, seconds_measure = run_seconds, "shards"
    elif seconds is not None:
        secs, seconds_measure = seconds, "dispatch"
    else:
        secs, seconds_measure = merged["worker_seconds"], "worker"
    compile_s = merged.get("compile_seconds", 0.0)
    stepping = secs - compile_s if seconds_measure != "worker" else secs   # worker seconds exclude compiling
    worker_s = merged["worker_seconds"]
    backend = plan.backend
    out["performance"] = {"particle_steps": ps, "seconds": secs, "seconds_measure": seconds_measure,
                          "particle_steps_per_second": ps / stepping if stepping > 0 else None,
                          "particle_steps_per_worker_second": (ps / worker_s if worker_s > 0
                                                               and "splitting" not in merged else None),
                          "shards": len(plan.shards), "worker_seconds": worker_s,
                          "backend": backend.name if backend else "numpy",
                          "backend_reason": backend.reason if backend else "",
                          "compile_seconds": compile_s}
    return out
