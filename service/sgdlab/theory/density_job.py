"""A `density_evolution` job: the request's landscape, dynamics and init evolved exactly on a grid."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.dynamics.schedules import lr_at, lr_series
from ..core.errors import SpecError
from ..core.simulation.plan import analysis_at_submission, analysis_of, landscape_of
from ..limits import DEFAULT_LIMITS, Limits
from ..spec import JobRequest
from ..spec.base import normalised_spec
from ..core.dynamics.inits import validate_init
from .density_evolution import check_kernel_entries, evolve_density, initial_from_spec, validate_evolution_steps, \
    validate_grid_request
from .noise import deepest_minimum, noise_block, noise_model, scalar_temperature_at

DEFAULT_GRID_POINTS = {1: 400, 2: 80}
SUBMISSION_SIGMA_BUDGET = 2e7   # cells x data rows spent sizing a data-noise kernel at submission


@dataclass
class DensityPlan:
    """A validated density-evolution request: the spec, grid size and range, and the snapshot steps."""

    spec: JobRequest
    points: int
    range: list | None
    snapshots: list[int]
    limits: Limits = field(default_factory=Limits)


def plan_density(spec: JobRequest, limits: Limits = DEFAULT_LIMITS, analyse: bool | None = True) -> DensityPlan:
    """Check a density_evolution request (dimension, grid and step limits, method) before it is queued."""
    dyn = spec.dynamics
    if dyn.method == "gradient_descent":
        raise SpecError("density evolution models a noisy chain: use method 'langevin' (isotropic or "
                        "gradient_covariance noise) or 'minibatch_sgd'", "dynamics.method")
    for block in ("exit_times", "arrival", "loss_trace", "trajectories"):
        if getattr(spec.observe, block) is not None:     # the density result has no such block: not silently dropped
            raise SpecError(f"a density_evolution job evolves the density on a grid and has no particles, so no "
                            f"'{block}'; ask a simulation job (kind 'simulation') for it", f"observe.{block}")
    land = landscape_of(spec.landscape, limits)
    if dyn.method == "minibatch_sgd" or dyn.noise == "gradient_covariance":
        from ..core.dynamics.methods import make_method
        make_method(land, dyn, 1)     # a finite sum, and a batch no larger than the data
    grid = spec.grid
    hist = spec.observe.histogram
    points = grid.points if grid is not None and "points" in grid.model_fields_set else \
        DEFAULT_GRID_POINTS.get(land.dim, 2)
    rng = (grid.range if grid is not None else None) or (hist.range if hist is not None else None)
    grid_ = validate_grid_request(land, points, rng, limits)
    snapshots = validate_evolution_steps(spec.steps, list(hist.snapshots) if hist is not None else [], 1, limits)
    lrs = lr_series(dyn.lr, max(spec.steps, 1))
    if not np.all(lrs > 0):
        raise SpecError(f"the learning rate reaches {lrs.min():g} at step {int(np.argmin(lrs))}; density evolution "
                        "needs lr > 0 at every step", "dynamics.lr")
    if not float(lrs.min()) / math.sqrt(dyn.batch_size) > 0:
        raise SpecError(f"the noise lr/sqrt(batch_size) underflows to 0 (lr {float(lrs.min()):g}, batch_size "
                        f"{dyn.batch_size:g}): density evolution needs a Gaussian kernel of positive width",
                        "dynamics.lr")
    model = noise_model(dyn, land, float(lrs.max()))
    if model.state_dependent:
        pts = grid_.points()
        rows = getattr(land, "n_samples", 1)
        stride = max(1, int(math.ceil(len(pts) * rows / SUBMISSION_SIGMA_BUDGET)))
        sig = model.covariance(land, pts[::stride])        # the run re-checks the kernel on every cell
        sd = float(lrs.max()) * math.sqrt(float(np.max(np.diagonal(sig, axis1=1, axis2=2))) / dyn.batch_size)
    else:
        sd = float(lrs.max()) / math.sqrt(dyn.batch_size)
    check_kernel_entries(grid_, sd, limits)
    if analyse is None:
        analyse = analysis_at_submission(spec.landscape, land)
    analysis = analysis_of(spec.landscape, limits) if analyse else None
    validate_init(spec.init, land.dim, len(analysis.minima) if analysis is not None else None)
    if analysis is not None or spec.init is None or spec.init.minimum is None:
        initial_from_spec(grid_, _resolved_init(spec, analysis))  # a point or box off the grid is a 422 now
    return DensityPlan(spec=spec, points=points, range=rng, snapshots=snapshots, limits=limits)


def _resolved_init(spec: JobRequest, analysis) -> dict | None:
    """The init block with {"minimum": k} replaced by the minimum's location."""
    init = spec.init.model_dump(exclude_none=True) if spec.init is not None else None
    if init is not None and "minimum" in init:
        init = {"point": [float(x) for x in analysis.minima[init["minimum"]].location]}
    return init


def run_density(plan: DensityPlan, hooks) -> dict[str, Any]:
    """Evolve the density (one task); progress and cancellation through the executor's hooks."""
    spec = plan.spec
    land = landscape_of(spec.landscape, plan.limits)
    analysis = analysis_of(spec.landscape, plan.limits)
    init = _resolved_init(spec, analysis)
    model = _model(plan)
    noise_cov = gibbs_t = None
    if model.state_dependent:
        noise_cov = lambda pts: model.covariance(land, pts)  # noqa: E731  (Sigma is lr-free)
        k = deepest_minimum(analysis)
        if k is not None:
            gibbs_t = scalar_temperature_at(noise_block(model, land, analysis), k)
    evo = evolve_density(land, lambda t: lr_at(spec.dynamics.lr, t, spec.steps), spec.dynamics.batch_size,
                         plan.points, plan.range, init, spec.steps, plan.snapshots,
                         progress=lambda f: hooks.progress(0, f), should_cancel=hooks.cancelled, limits=plan.limits,
                         noise_cov=noise_cov, gibbs_temperature=gibbs_t)
    out = evo.to_dict()
    if model.state_dependent:
        out["kernel"] = ("the lecture's Gaussian kernel N(w - lr grad L, (lr^2/B) Sigma(w)) with the data's Sigma"
                         + (" (minibatch_sgd's own batch noise is not Gaussian: this is its Gaussian model)"
                            if model.kind == "minibatch" else ""))
    if gibbs_t is not None:
        out["gibbs"]["beta_theory"] = 1.0 / gibbs_t
        out["gibbs"]["note"] = (f"data noise: the Gibbs law at T = {gibbs_t:.6g}, the scalar temperature at the "
                                f"deepest minimum {k}; not this chain's law (its invariant law is `stationary`)")
    return out


def _model(plan: DensityPlan):
    """The noise model of the plan's dynamics at the last step's learning rate."""
    spec = plan.spec
    land = landscape_of(spec.landscape, plan.limits)
    return noise_model(spec.dynamics, land, float(lr_at(spec.dynamics.lr, max(spec.steps - 1, 0), spec.steps)))


def finish_density(plan: DensityPlan, results: list, seconds: float, job_id: str | None) -> dict[str, Any]:
    """The result document of a density_evolution job (from its single task's output)."""
    from .validity import noise_warnings, step_size_warnings, validity_block
    spec = plan.spec
    evolved = results[0]
    land = landscape_of(spec.landscape, plan.limits)
    analysis = analysis_of(spec.landscape, plan.limits)
    model = _model(plan)
    noise = noise_block(model, land, analysis)
    warnings = step_size_warnings(spec.dynamics, spec.steps, analysis, land) + noise_warnings(model, noise, land, analysis)
    return {"job_id": job_id, "kind": "density_evolution", "seed": spec.seed,
            "spec": normalised_spec(spec),
            "landscape": analysis.to_dict(), **evolved, "noise": noise,
            "validity": validity_block(0, 0, warnings),
            "performance": {"seconds": seconds, "grid_cells": len(evolved["stationary"]["density"]),
                            "steps": spec.steps}}
