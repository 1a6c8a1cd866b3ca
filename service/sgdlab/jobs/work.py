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
from ..spec import JobRequest


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


def _simulation_work(spec: JobRequest, limits: Limits) -> JobWork:
    plan = plan_simulation(spec, limits)
    total = max(spec.particles, 1)
    work = JobWork(tasks=[(run_shard, (plan, i)) for i in range(len(plan.shards))],
                   weights=[c / total for _, c in plan.shards],
                   finish=partial(finish_simulation, plan),
                   particle_steps=spec.particles * spec.steps)
    from ..theory.splitting_plan import add_splitting, wants_splitting
    return add_splitting(work, plan, limits) if wants_splitting(plan) else work


def _density_work(spec: JobRequest, limits: Limits) -> JobWork:
    from ..theory.density_job import finish_density, plan_density, run_density
    plan = plan_density(spec, limits)
    return JobWork(tasks=[(run_density, (plan,))], weights=[1.0], finish=partial(finish_density, plan))


def validate_job(spec: JobRequest, limits: Limits = DEFAULT_LIMITS) -> None:
    """Everything a job would check before running, so that bad input is a 422 at submission."""
    if spec.kind == "sweep":  # every point of the grid, and the sweep's total cost
        from .sweep_points import expand_sweep
        expand_sweep(spec, limits)
        return
    make_work(spec, limits)


def submission_warnings(spec: JobRequest, limits: Limits = DEFAULT_LIMITS) -> list[dict]:
    """What the theory will not cover, known before the job runs (the `warnings` of the 202 response); of a sweep,
    each distinct point's warnings with that point's `point` index (a repeat of the same parameters is not listed
    again)."""
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
    from ..core.simulation.plan import analysis_of
    from ..theory.validity import step_size_warnings
    return step_size_warnings(spec.dynamics, spec.steps, analysis_of(spec.landscape, limits))


def make_work(spec: JobRequest, limits: Limits = DEFAULT_LIMITS) -> JobWork:
    """The executor-ready work of a job request."""
    if spec.kind == "simulation":
        if spec.grid is not None:
            raise SpecError("'grid' goes with kind 'density_evolution'", "grid")
        return _simulation_work(spec, limits)
    return _density_work(spec, limits)
