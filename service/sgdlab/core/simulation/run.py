"""Run a whole simulation in this process: plan, shards one after another, merge, result (tests, benches, CLI)."""

from __future__ import annotations

import time

from ...limits import DEFAULT_LIMITS, Limits
from ...spec import JobRequest
from .hooks import ShardHooks
from .merge import merge_shards
from .plan import plan_simulation
from .result import build_result
from .run_shard import run_shard


def simulate(spec: JobRequest | dict, limits: Limits = DEFAULT_LIMITS, hooks: ShardHooks | None = None) -> dict:
    """The result document of a simulation request, computed serially in this process."""
    spec = spec if isinstance(spec, JobRequest) else JobRequest.model_validate(spec)
    started = time.perf_counter()
    plan = plan_simulation(spec, limits)
    results = [run_shard(plan, i, hooks) for i in range(len(plan.shards))]
    return build_result(plan, merge_shards(plan, results), seconds=time.perf_counter() - started)
