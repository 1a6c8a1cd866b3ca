"""What a job is to an executor: a list of picklable tasks, their progress weights, and how to finish."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from ..core.errors import SpecError
from ..core.simulation.merge import merge_shards
from ..core.simulation.plan import plan_simulation
from ..core.simulation.result import build_result
from ..core.simulation.run_shard import run_shard
from ..limits import DEFAULT_LIMITS, Limits
from ..spec import JobRequest, LandscapeSpec


@dataclass
class JobWork:
    """Tasks called as `fn(*args, hooks)` in a worker, each task's share of progress, and the finisher."""

    tasks: list[tuple[Callable[..., Any], tuple]]
    weights: list[float]
    finish: Callable[[list, float, str], dict]     # picklable: (task results, wall seconds, job id) -> result
    particle_steps: int = 0


def finish_simulation(plan, results: list, seconds: float, job_id: str) -> dict:
    """Merge a simulation's shard records and build its result document."""
    return build_result(plan, merge_shards(plan, results), job_id, seconds)


def _simulation_work(spec: JobRequest, limits: Limits, analyse: bool | None) -> JobWork:
    plan = plan_simulation(spec, limits, analyse)
    total = max(spec.particles, 1)
    work = JobWork(tasks=[(run_shard, (plan, i)) for i in range(len(plan.shards))],
                   weights=[c / total for _, c in plan.shards],
                   finish=partial(finish_simulation, plan),
                   particle_steps=spec.particles * spec.steps)
    from ..theory.splitting_plan import add_splitting, check_splitting_request, wants_splitting
    if plan.analysis is None:
        # validation of a landscape analysed as the job's first phase: the regions, coordinate and 'auto' need
        # the analysis (checked on the worker, like minimum indices); the rest is checked now
        if spec.observe.exit_times is not None and spec.observe.exit_times.method == "splitting":
            check_splitting_request(plan, limits)
        return work
    return add_splitting(work, plan, limits) if wants_splitting(plan) else work


def _density_work(spec: JobRequest, limits: Limits, analyse: bool | None) -> JobWork:
    from ..theory.density_job import finish_density, plan_density, run_density
    plan = plan_density(spec, limits, analyse)
    return JobWork(tasks=[(run_density, (plan,))], weights=[1.0], finish=partial(finish_density, plan))


def validate_job(spec: JobRequest, limits: Limits = DEFAULT_LIMITS) -> list[dict]:
    """Everything a job can check before running, so that bad input is a 422 at submission; returns the
    warnings known before the run (`submission_warnings`, the 202's `warnings`).

    The landscape is built (its symbolic work bounded by max_derivative_nodes and symbolic_seconds) but
    analysed only when that is cheap (`analysis_at_submission`); otherwise the analysis is the job's first
    phase (`prepare_work`, on a worker). A sweep checks every point of its grid and its total cost."""
    if spec.kind == "sweep":
        from .sweep_points import expand_sweep
        expand_sweep(spec, limits)
    else:
        make_work(spec, limits, analyse=None)
    return submission_warnings(spec, limits)


def submission_warnings(spec: JobRequest, limits: Limits = DEFAULT_LIMITS) -> list[dict]:
    """What the theory will not cover, known before the job runs (the `warnings` of the 202 response); of a sweep,
    each distinct point's warnings with that point's `point` index (a repeat of the same parameters is not listed
    again).

    Only where the landscape is analysed at submission (`analysis_at_submission`); a landscape analysed as the
    job's first phase gets its warnings in the result's `validity` block."""
    if spec.kind == "sweep":
        import json
        from .sweep_points import expand_sweep
        seen: set[str] = set()
        out: list[dict] = []
        for p in expand_sweep(spec, limits, check=False):
            key = json.dumps(p.params, sort_keys=True, default=str)
            if key not in seen:
                seen.add(key)
                out += [{**w, "point": p.index} for w in submission_warnings(p.spec, limits)]
        return out
    from ..core.simulation.plan import analysis_at_submission, analysis_of, landscape_of
    from ..theory.validity import step_size_warnings
    if spec.kind not in ("simulation", "density_evolution"):
        return []
    land = landscape_of(spec.landscape, limits)
    if not analysis_at_submission(spec.landscape, land):
        return []
    return step_size_warnings(spec.dynamics, spec.steps, analysis_of(spec.landscape, limits), land)


def submission_seconds(limits: Limits) -> float:
    """Hard limit on validating one submission: the symbolic budget (checked between derivatives), then a
    margin for a single SymPy call that overruns it and for the cheap analyses done at submission."""
    return 2 * limits.symbolic_seconds + 5


def formula_field(landscape: LandscapeSpec) -> str:
    """The field whose symbolic work a submission spends: the formula, the per-sample loss, or the landscape."""
    if landscape.expression is not None:
        return "landscape.expression"
    if landscape.finite_sum is not None:
        return "landscape.finite_sum.per_sample"
    return "landscape"


def make_work(spec: JobRequest, limits: Limits = DEFAULT_LIMITS, analyse: bool | None = True) -> JobWork:
    """The executor-ready work of a job request (analyse=None: validation only, see validate_job)."""
    if spec.kind == "simulation":
        if spec.grid is not None:
            raise SpecError("'grid' goes with kind 'density_evolution'", "grid")
        return _simulation_work(spec, limits, analyse)
    return _density_work(spec, limits, analyse)


def prepare_work(spec: JobRequest, limits: Limits, hooks=None) -> JobWork:
    """A job's first phase, run as a task on a worker: build and analyse the landscape, plan the shards."""
    return make_work(spec, limits)


def preparation(spec: JobRequest, limits: Limits) -> JobWork:
    """The one-task work whose result is the job's JobWork (the analysis phase, off the API process)."""
    return JobWork(tasks=[(prepare_work, (spec, limits))], weights=[1.0], finish=None)  # type: ignore[arg-type]
