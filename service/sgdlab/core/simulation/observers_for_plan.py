"""Which observers a plan asks for, built fresh for one shard (observer state is per shard, then merged)."""

from __future__ import annotations

import numpy as np

from ..observers.arrival import ArrivalObserver
from ..observers.basins import BasinObserver
from ..observers.binning import Binning
from ..observers.first_passage import FirstPassageObserver
from ..observers.histograms import HistogramObserver
from ..observers.loss_trace import LossTraceObserver
from ..observers.trajectories import TrajectoryObserver
from .plan import LOSS_TRACE_BUDGET, LOSS_TRACE_SUBSAMPLE, SimulationPlan, landscape_of


def histogram_binning(plan: SimulationPlan) -> Binning:
    """The binning of the histogram observer (also the bins of the Gibbs comparison)."""
    return Binning(plan.hist_range, plan.hist_bins)


def arrival_binning(plan: SimulationPlan) -> Binning:
    """Cells of the initial positions for the arrival matrix (first one or two coordinates)."""
    d = min(plan.dim, 2)
    return Binning(plan.arrival_range[:d], plan.arrival_bins[:d])


def observers_for(plan: SimulationPlan, shard_offset: int = 0) -> dict:
    """A name -> observer mapping for one shard."""
    spec, obs = plan.spec, plan.spec.observe
    out: dict = {}
    h = obs.histogram
    snapshots = list(h.snapshots) if h else []
    if h is not None:
        ta = h.time_average
        out["histograms"] = HistogramObserver(histogram_binning(plan), snapshots,
                                              ta.burn_in if ta else None, ta.every if ta else None)
    if obs.basins:
        out["basins"] = BasinObserver(plan.analysis.basin_of, plan.n_basins, snapshots,
                                      np.array([m.location for m in plan.analysis.minima]).reshape(
                                          plan.n_basins, plan.dim))
    if obs.arrival is not None:
        out["arrival"] = ArrivalObserver(arrival_binning(plan), plan.analysis.basin_of, plan.n_basins)
    if obs.exit_times is not None:
        out["exit_times"] = FirstPassageObserver(plan.exit_target, plan.exit_radius, plan.analysis.basin_of,
                                                 obs.exit_times.from_)
    if obs.loss_trace is not None:
        points = spec.steps // obs.loss_trace.every + 2
        subsample = int(min(LOSS_TRACE_SUBSAMPLE, max(16, LOSS_TRACE_BUDGET // (points * len(plan.shards)))))
        out["loss_trace"] = LossTraceObserver(landscape_of(spec.landscape, plan.limits).loss, spec.steps,
                                              obs.loss_trace.every, subsample)
    if obs.trajectories is not None and shard_offset < obs.trajectories.count:
        out["trajectories"] = TrajectoryObserver(obs.trajectories.count, spec.steps, obs.trajectories.every)
    return out
