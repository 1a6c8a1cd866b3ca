"""`performance.seconds` is the job's own run time (its shards' span), not the time it waited before its work
started; `particle_steps_per_worker_second` divides by the worker seconds."""

import time

import pytest

from sgdlab.core.simulation.merge import merge_shards
from sgdlab.core.simulation.plan import plan_simulation
from sgdlab.core.simulation.result import build_result
from sgdlab.core.simulation.run_shard import run_shard
from sgdlab.limits import DEFAULT_LIMITS
from sgdlab.spec import JobRequest

JOB = {"landscape": {"builtin": "double_well"}, "dynamics": {"lr": 0.05, "batch_size": 1, "backend": "numpy"},
       "particles": 3000, "steps": 200, "seed": 3}


def test_seconds_leave_out_the_wait_before_the_shards_ran():
    plan = plan_simulation(JobRequest.model_validate(JOB), DEFAULT_LIMITS)
    claimed = time.time()
    time.sleep(0.5)                                   # the job waits behind another job's tasks
    results = [run_shard(plan, i) for i in range(len(plan.shards))]
    perf = build_result(plan, merge_shards(plan, results), "j", time.time() - claimed)["performance"]
    span = max(r["ended"] for r in results) - min(r["began"] for r in results)
    assert perf["seconds_measure"] == "shards" and perf["seconds"] == pytest.approx(span)
    assert perf["seconds"] < 0.5 and perf["seconds"] >= 0.99 * perf["worker_seconds"]
    assert perf["particle_steps_per_second"] == pytest.approx(perf["particle_steps"] / span)
    assert perf["particle_steps_per_worker_second"] == pytest.approx(perf["particle_steps"] / perf["worker_seconds"])
