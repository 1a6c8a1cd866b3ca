"""Simulation invariants: reproducibility across executors, divergence accounting, cancellation, observer merging."""

import threading
import time

import numpy as np
import pytest

from sgdlab.core.errors import Cancelled, LimitExceeded, SpecError
from sgdlab.core.simulation.plan import plan_simulation
from sgdlab.core.simulation.run import simulate
from sgdlab.core.simulation.run_shard import run_shard
from sgdlab.core.simulation.shards import shard_layout
from sgdlab.jobs.executors.local import LocalExecutor
from sgdlab.jobs.work import make_work
from sgdlab.limits import Limits
from sgdlab.spec import JobRequest

SPEC = {"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}},
        "dynamics": {"lr": 0.05, "batch_size": 2}, "particles": 9000, "steps": 300,
        "observe": {"histogram": {"bins": 40, "snapshots": [0, 100]}, "exit_times": {"from": 1, "to": 0},
                    "loss_trace": {"every": 50}, "trajectories": {"count": 3, "every": 50}, "arrival": {"bins": 8}}}


def _strip(result):
    out = dict(result)
    out.pop("performance")
    out.pop("job_id")
    return out


def _run_on(executor, spec):
    work = make_work(JobRequest.model_validate(spec))
    results = executor.run(work, "t", lambda p: None, threading.Event(), time.time() + 600)
    return work.finish(results, 1.0, "t")


@pytest.fixture(scope="module")
def executors():
    one, two = LocalExecutor(1), LocalExecutor(2)
    yield one, two
    one.close()
    two.close()


def test_same_seed_same_numbers_with_one_and_two_workers_and_inline(executors):
    one, two = executors
    a, b = _run_on(one, SPEC), _run_on(two, SPEC)
    assert _strip(a) == _strip(b)
    assert _strip(simulate(SPEC)) == _strip(a)
    c = _run_on(two, {**SPEC, "seed": 43})
    assert c["histograms"]["final"]["counts"] != a["histograms"]["final"]["counts"]


def test_shard_layout_depends_only_on_particles():
    assert shard_layout(10) == [(0, 10)]
    lay = shard_layout(1_000_003)
    assert len(lay) == 16 and sum(c for _, c in lay) == 1_000_003
    assert all(o2 == o1 + c1 for (o1, c1), (o2, _) in zip(lay, lay[1:]))


def test_counts_are_conserved_and_density_integrates_to_one():
    r = simulate({**SPEC, "observe": {**SPEC["observe"], "histogram": {"bins": 40, "range": [[-3, 3]]}}})
    h = r["histograms"]["final"]
    assert sum(h["counts"]) == 9000
    width = 6 / 40
    assert sum(h["density"]) * width == pytest.approx(1.0)
    assert sum(b["fraction"] for b in r["basins"]["final"]) + r["basins"]["unassigned_fraction"] == pytest.approx(1)
    e = r["exit_times"]
    # only particles that start in basin `from` (the right well, about half of a uniform start) are tracked
    assert e["escaped"] + e["censored"] + e["not_tracked"] == 9000 == e["particles"] + e["not_tracked"]
    assert 0.4 < e["not_tracked"] / 9000 < 0.6
    assert len(r["trajectories"]["paths"]) == 3 and len(r["trajectories"]["paths"][0]) == len(r["trajectories"]["steps"])
    probs = np.array(r["arrival"]["probability"])
    assert probs.shape == (8, 2)
    # uniform start over the default range at low temperature: the left cells end in basin 0, the right in 1
    assert probs[0, 0] > 0.99 and probs[-1, 1] > 0.99


def test_diverging_particles_are_counted_not_fatal():
    r = simulate({"landscape": {"builtin": "quadratic", "params": {"curvature": 1.0}},
                  "dynamics": {"lr": 2.5}, "init": {"point": [1.0]}, "particles": 500, "steps": 2000,
                  "observe": {"loss_trace": {"every": 1000}, "gibbs": False}})
    assert r["diverged"]["particles"] == 500 and r["diverged"]["fraction"] == 1.0
    assert sum(r["histograms"]["final"]["counts"]) == 0


class _CancelAfter:
    def __init__(self, calls):
        self.calls, self.seen = calls, []

    def progress(self, shard, fraction):
        self.seen.append(fraction)

    def cancelled(self):
        self.calls -= 1
        return self.calls < 0


def test_progress_is_reported_per_chunk_and_cancel_is_honoured():
    plan = plan_simulation(JobRequest.model_validate({**SPEC, "steps": 1000}))
    hooks = _CancelAfter(3)
    with pytest.raises(Cancelled):
        run_shard(plan, 0, hooks)
    assert len(hooks.seen) == 3 and hooks.seen == sorted(hooks.seen) and 0 < hooks.seen[-1] < 1


@pytest.mark.parametrize("patch, field, limit", [
    ({"particles": 20_000_000}, "particles", "max_particles"),
    ({"steps": 2_000_000}, "steps", "max_steps"),
    ({"particles": 5_000_000, "steps": 900_000}, "steps", "max_particle_steps"),
    ({"observe": {"histogram": {"bins": 5000}}}, "observe.histogram.bins", "max_bins"),
    ({"observe": {"trajectories": {"count": 1000}}}, "observe.trajectories.count", "max_trajectories"),
])
def test_limits_name_field_and_limit(patch, field, limit):
    with pytest.raises(LimitExceeded) as e:
        plan_simulation(JobRequest.model_validate({**SPEC, **patch}), Limits())
    assert e.value.field == field and e.value.limit == limit


@pytest.mark.parametrize("patch, field", [
    ({"init": {"point": [0.0, 1.0]}}, "init.point"),
    ({"init": {"minimum": 5}}, "init.minimum"),
    ({"observe": {"exit_times": {"from": 0, "to": 7}}}, "observe.exit_times.to"),
    ({"observe": {"exit_times": {"from": 1, "to": 1}}}, "observe.exit_times.to"),
    ({"observe": {"histogram": {"range": [[1, -1]]}}}, "observe.histogram.range"),
    ({"observe": {"histogram": {"snapshots": [301]}}}, "observe.histogram.snapshots[0]"),
    ({"dynamics": {"method": "minibatch_sgd"}}, "dynamics.method"),
    ({"landscape": {"builtin": "nope"}}, "landscape.builtin"),
])
def test_bad_specs_name_the_field(patch, field):
    with pytest.raises(SpecError) as e:
        plan_simulation(JobRequest.model_validate({**SPEC, **patch}))
    assert e.value.field == field, str(e.value)


def _die(*args):
    import os
    os._exit(3)


def test_local_executor_replaces_a_pool_whose_worker_died():
    from sgdlab.core.simulation.hooks import NoHooks  # noqa: F401
    from sgdlab.jobs.executors.local import WorkerDied
    from sgdlab.jobs.work import JobWork
    ex = LocalExecutor(1)
    try:
        work = JobWork(tasks=[(_die, ())], weights=[1.0], finish=None)
        with pytest.raises(WorkerDied):
            ex.run(work, "dies", lambda p: None, threading.Event(), time.time() + 60)
        assert ex.ping()
        assert _strip(_run_on(ex, SPEC))["histograms"]["final"]["counts"]     # and it works again
    finally:
        ex.close()


def test_gibbs_on_a_large_finite_sum_stays_within_its_quadrature_budget(monkeypatch):
    """With more data rows than the budget allows on these bins, the comparison is basin-level, not hours long."""
    import sgdlab.core.simulation.result as result_module
    monkeypatch.setattr(result_module, "GIBBS_FINITE_SUM_BUDGET", 1e6)
    r = simulate({"landscape": {"finite_sum": {"per_sample": "0.5*(x*w - y)**2",
                                               "data": {"generator": "linear_regression", "n": 500}}},
                  "dynamics": {"method": "minibatch_sgd", "batch_size": 4, "lr": 0.05}, "particles": 500,
                  "steps": 50, "observe": {"histogram": {"bins": 100}}})
    g = r["gibbs"]
    assert g["note"].startswith("basin-level comparison only") and g["density_theory"] is None
    assert g["basin_fractions_theory"] == pytest.approx([1.0])
