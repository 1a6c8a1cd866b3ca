"""A `density_evolution` job: the request's landscape, dynamics and init evolved exactly on a grid."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.dynamics.schedules import lr_at, lr_series
from ..core.errors import LimitExceeded, SpecError
from ..core.simulation.plan import analysis_at_submission, analysis_of, landscape_of
from ..limits import DEFAULT_LIMITS, Limits
from ..spec import JobRequest
from ..core.dynamics.inits import validate_init
from .density_evolution import band_width, evolve_density, initial_from_spec, validate_evolution_steps, \
    validate_grid_request

DEFAULT_GRID_POINTS = {1: 400, 2: 80}
#: Peak memory per kernel non-zero while a job builds its kernels and solves for the stationary law (measured:
#: 74-76 bytes in 1-D at 3.8-5.4 million entries, 93-107 bytes in 2-D at 6.5-32 million), rounded up.
KERNEL_BYTES_PER_ENTRY = {1: 80, 2: 110}


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
    if dyn.method != "langevin" or dyn.noise != "isotropic":
        raise SpecError("density evolution models the Gaussian chain: use method 'langevin' with isotropic noise",
                        "dynamics.method")
    land = landscape_of(spec.landscape, limits)
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
    check_kernel_size(grid_, float(lrs.max()), dyn.batch_size, limits)
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


def check_kernel_size(grid, lr_max: float, batch_size: int, limits: Limits) -> None:
    """Refuse at submission a grid whose Gaussian kernel (cut at TRUNCATION_SIGMAS) would exceed the bound."""
    sigma = lr_max / math.sqrt(batch_size)
    width = [band_width(sigma, float(h), n) for n, h in zip(grid.shape, grid.spacing)]
    entries = grid.size * math.prod(width)
    if entries > limits.max_kernel_entries:
        raise LimitExceeded("grid.points", "max_kernel_entries", limits.max_kernel_entries, entries)
    memory = entries * KERNEL_BYTES_PER_ENTRY[len(grid.shape)]
    if memory > limits.max_kernel_bytes:
        raise LimitExceeded("grid.points", "max_kernel_bytes", limits.max_kernel_bytes, memory)


def run_density(plan: DensityPlan, hooks) -> dict[str, Any]:
    """Evolve the density (one task); progress and cancellation through the executor's hooks."""
    spec = plan.spec
    land = landscape_of(spec.landscape, plan.limits)
    init = _resolved_init(spec, analysis_of(spec.landscape, plan.limits))
    evo = evolve_density(land, lambda t: lr_at(spec.dynamics.lr, t, spec.steps), spec.dynamics.batch_size,
                         plan.points, plan.range, init, spec.steps, plan.snapshots,
                         progress=lambda f: hooks.progress(0, f), should_cancel=hooks.cancelled, limits=plan.limits)
    return evo.to_dict()


def finish_density(plan: DensityPlan, results: list, seconds: float, job_id: str | None) -> dict[str, Any]:
    """The result document of a density_evolution job (from its single task's output)."""
    spec = plan.spec
    evolved = results[0]
    return {"job_id": job_id, "kind": "density_evolution", "seed": spec.seed,
            "spec": spec.model_dump(mode="json", by_alias=True, exclude_none=True),
            "landscape": analysis_of(spec.landscape, plan.limits).to_dict(), **evolved,
            "performance": {"seconds": seconds, "grid_cells": len(evolved["stationary"]["density"]),
                            "steps": spec.steps}}
