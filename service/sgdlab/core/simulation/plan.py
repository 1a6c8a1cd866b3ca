"""Turn a validated JobRequest into a picklable SimulationPlan: limits checked, ranges and bins fixed, shards laid out.

All the checks that need the landscape (dimension, ranges, minima indices) happen here, before a job is queued,
so a bad request is a 422 at submission, never a failed job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from ...limits import DEFAULT_LIMITS, Limits
from ...spec import JobRequest, LandscapeSpec
from ..dynamics.backend import choose_backend
from ..dynamics.inits import validate_init
from ..dynamics.methods import make_method
from ..errors import LimitExceeded, SpecError
from ..landscapes.base import FiniteSumLandscape, Landscape
from .shards import shard_layout

LOSS_TRACE_SUBSAMPLE = 2048  # losses kept per shard and trace point for the quantiles (at most)
LOSS_TRACE_BUDGET = 20_000_000  # losses kept for quantiles over all shards and points (memory bound)
MAX_COORDINATE = 1e12  # ranges beyond this are a typo, and their bin widths lose all precision
ANALYSIS_GRID_FINITE_SUM_2D = 61  # analysis grid nodes per axis for 2-D finite sums


@lru_cache(maxsize=32)
def _landscape_from_json(spec_json: str, limits_json: str) -> Landscape:
    from ..landscapes.build import build_landscape
    return build_landscape(LandscapeSpec.model_validate_json(spec_json), Limits.model_validate_json(limits_json))


def landscape_of(spec: LandscapeSpec, limits: Limits = DEFAULT_LIMITS) -> Landscape:
    """Build (or reuse, per process) the landscape of a spec; SpecError fields are prefixed with `landscape`."""
    try:
        return _landscape_from_json(spec.model_dump_json(), limits.model_dump_json())
    except SpecError as e:
        raise e.at("landscape") from None


@lru_cache(maxsize=32)
def _analysis_from_json(spec_json: str, limits_json: str):
    from ...theory.landscape_analysis import analyze_landscape
    land = _landscape_from_json(spec_json, limits_json)
    grid_points = None
    if isinstance(land, FiniteSumLandscape) and land.dim == 2:
        grid_points = ANALYSIS_GRID_FINITE_SUM_2D  # every loss evaluation costs a pass over the data
    return analyze_landscape(land, seed=0, grid_points=grid_points)


def analysis_of(spec: LandscapeSpec, limits: Limits = DEFAULT_LIMITS):
    """The landscape's analysis (minima, saddles, barriers, basin map), cached per process by spec."""
    landscape_of(spec, limits)  # validates with these limits (and raises field-prefixed errors)
    return _analysis_from_json(spec.model_dump_json(), limits.model_dump_json())


@dataclass
class SimulationPlan:
    """Everything a shard needs besides its index: the spec, the analysis, ranges, bins and the shard layout."""

    spec: JobRequest
    limits: Limits
    dim: int
    analysis: Any                       # sgdlab.theory.landscape_analysis.LandscapeAnalysis
    hist_range: list[tuple[float, float]]
    hist_bins: list[int]
    arrival_bins: list[int] | None
    arrival_range: list[tuple[float, float]] | None = None
    exit_target: np.ndarray | None = None
    exit_radius: float | None = None
    shards: list[tuple[int, int]] = field(default_factory=list)
    backend: Any = None                 # sgdlab.core.dynamics.backend.BackendChoice: numpy or compiled, and why

    @property
    def n_basins(self) -> int:
        return len(self.analysis.minima)


def _bins_list(bins: int | list[int], dim: int, field_name: str, limits: Limits) -> list[int]:
    axes = min(dim, 2) if dim <= 2 else 1
    if isinstance(bins, int):
        out = [bins] * (dim if dim <= 2 else 1)
    else:
        out = list(bins)
        if len(out) != axes:
            raise SpecError(f"give one bin count per axis ({axes} for a {dim}-D landscape)", field_name)
    for b in out:
        if b < 1:
            raise SpecError("bin counts must be at least 1", field_name)
        if b > limits.max_bins:
            raise LimitExceeded(field_name, "max_bins", limits.max_bins, b)
    if dim > 2:
        out = out * dim
    total = math.prod(out[:2]) if dim <= 2 else out[0]
    if total > limits.max_bins_total:
        raise LimitExceeded(field_name, "max_bins_total", limits.max_bins_total, total)
    return out


def _check_range(rng: list | None, dim: int, field_name: str, default: list) -> list[tuple[float, float]]:
    if rng is None:
        return [tuple(map(float, r)) for r in default]
    if len(rng) != dim:
        raise SpecError(f"give one [lo, hi] per dimension ({dim})", field_name)
    for k, (lo, hi) in enumerate(rng):
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi and math.isfinite(hi - lo)
                and max(abs(lo), abs(hi)) <= MAX_COORDINATE):
            raise SpecError(f"axis {k}: need finite lo < hi within +-{MAX_COORDINATE:g}, got [{lo}, {hi}]",
                            field_name)
    return [tuple(map(float, r)) for r in rng]


def check_size_limits(spec: JobRequest, limits: Limits) -> None:
    """Bounds that need no landscape: particles, steps, their product, snapshots, trajectories, trace points."""
    if spec.particles > limits.max_particles:
        raise LimitExceeded("particles", "max_particles", limits.max_particles, spec.particles)
    if spec.steps > limits.max_steps:
        raise LimitExceeded("steps", "max_steps", limits.max_steps, spec.steps)
    if spec.particles * spec.steps > limits.max_particle_steps:
        raise LimitExceeded("steps", "max_particle_steps", limits.max_particle_steps, spec.particles * spec.steps)
    obs = spec.observe
    if obs.histogram is not None:
        snaps = obs.histogram.snapshots
        if len(snaps) > limits.max_snapshots:
            raise LimitExceeded("observe.histogram.snapshots", "max_snapshots", limits.max_snapshots, len(snaps))
        for i, s in enumerate(snaps):
            if not 0 <= s <= spec.steps:
                raise SpecError(f"snapshot step {s} is outside 0..{spec.steps}", f"observe.histogram.snapshots[{i}]")
        ta = obs.histogram.time_average
        if ta is not None and ta.burn_in >= spec.steps:
            raise SpecError(f"burn_in must be below steps ({spec.steps})", "observe.histogram.time_average.burn_in")
    if obs.trajectories is not None:
        if obs.trajectories.count > limits.max_trajectories:
            raise LimitExceeded("observe.trajectories.count", "max_trajectories", limits.max_trajectories,
                                obs.trajectories.count)
        pts = spec.steps // obs.trajectories.every + 2
        if pts > limits.max_trace_points:
            raise LimitExceeded("observe.trajectories.every", "max_trace_points", limits.max_trace_points, pts)
    if obs.loss_trace is not None:
        pts = spec.steps // obs.loss_trace.every + 2
        if pts > limits.max_trace_points:
            raise LimitExceeded("observe.loss_trace.every", "max_trace_points", limits.max_trace_points, pts)


def plan_simulation(spec: JobRequest, limits: Limits = DEFAULT_LIMITS) -> SimulationPlan:
    """Validate a simulation request against the limits and its landscape, and lay it out in shards."""
    check_size_limits(spec, limits)
    land = landscape_of(spec.landscape, limits)
    dim = land.dim
    if dim > limits.max_dim:
        raise LimitExceeded("landscape", "max_dim", limits.max_dim, dim)
    analysis = analysis_of(spec.landscape, limits)
    validate_init(spec.init, dim, len(analysis.minima))
    make_method(land, spec.dynamics, 1)  # method/landscape compatibility (finite sums, batch vs data size)
    backend = choose_backend(spec, land)
    obs = spec.observe
    h = obs.histogram
    hist_range = _check_range(h.range if h else None, dim, "observe.histogram.range", land.default_range)
    hist_bins = _bins_list(h.bins if h else 100, dim, "observe.histogram.bins", limits)
    arrival_bins = arrival_range = None
    if obs.arrival is not None:
        arrival_bins = _bins_list(obs.arrival.bins, min(dim, 2), "observe.arrival.bins", limits)
        init_box = None
        if spec.init is not None and spec.init.uniform is not None:
            init_box = list(zip(spec.init.uniform.low, spec.init.uniform.high))
        elif spec.init is None:
            init_box = land.default_range
        default_box = init_box if init_box and all(hi > lo for lo, hi in init_box) else hist_range
        arrival_range = _check_range(obs.arrival.range, dim, "observe.arrival.range", default_box)
    cells = math.prod(hist_bins) if dim <= 2 else sum(hist_bins)           # joint bins, or marginals
    n_hist = (len(h.snapshots) + 1 + (h.time_average is not None)) * cells if h else 0
    if n_hist > limits.max_histogram_values:
        raise LimitExceeded("observe.histogram", "max_histogram_values", limits.max_histogram_values, n_hist)
    if obs.trajectories is not None:
        values = obs.trajectories.count * (spec.steps // obs.trajectories.every + 2) * dim
        if values > limits.max_trajectory_values:
            raise LimitExceeded("observe.trajectories", "max_trajectory_values", limits.max_trajectory_values,
                                values)
    plan = SimulationPlan(spec=spec, limits=limits, dim=dim, analysis=analysis, hist_range=hist_range,
                          hist_bins=hist_bins,
                          arrival_bins=arrival_bins, arrival_range=arrival_range,
                          shards=shard_layout(spec.particles), backend=backend)
    if obs.exit_times is not None:
        k = len(analysis.minima)
        et = obs.exit_times
        for name, v in (("from", et.from_), ("to", et.to)):
            if v >= k:
                raise SpecError(f"the landscape has {k} minima (indices 0..{k - 1})", f"observe.exit_times.{name}")
        if et.from_ == et.to:
            raise SpecError("'from' and 'to' must differ", "observe.exit_times.to")
        plan.exit_target = np.asarray(analysis.minima[et.to].location, dtype=float)
        plan.exit_radius = float(et.radius or analysis.default_exit_radius(et.to, et.from_))
    return plan
