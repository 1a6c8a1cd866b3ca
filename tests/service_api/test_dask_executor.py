"""The Dask executor on a real LocalCluster (processes) gives the same result as the local process pool, and the
API process neither downloads shard records nor sends them back."""

import pickle
import threading
import time

import pytest

from sgdlab.jobs.work import make_work
from sgdlab.spec import JobRequest

distributed = pytest.importorskip("distributed")

SPEC = {"landscape": {"builtin": "muller_brown"}, "dynamics": {"lr": 0.002, "batch_size": 1},
        "particles": 9000, "steps": 200, "observe": {"histogram": {"bins": [20, 20]}, "loss_trace": {"every": 50},
                                                     "exit_times": {"from": 0, "to": 1}}}


def _run(executor, spec):
    work = make_work(JobRequest.model_validate(spec))
    seen = []
    out = executor.run(work, "dask-test", seen.append, threading.Event(), time.time() + 600)
    res = executor.call(work.finish, out, 1.0, "x")       # as the dispatcher does
    res.pop("performance")
    return res, seen


def test_dask_matches_local_executor():
    from sgdlab.jobs.executors.dask import DaskExecutor
    from sgdlab.jobs.executors.local import LocalExecutor

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        dask = DaskExecutor(cl.scheduler_address)
        try:
            assert dask.ping()
            via_dask, progress = _run(dask, SPEC)
        finally:
            dask.close()
    local = LocalExecutor(2)
    try:
        via_local, _ = _run(local, SPEC)
    finally:
        local.close()
    assert via_dask == via_local
    assert progress and progress[-1] == 1.0


def test_dask_reports_progress_within_a_single_task():
    """A density-evolution job is one task: its progress must still move between 0 and 1."""
    from sgdlab.jobs.executors.dask import DaskExecutor

    spec = {"kind": "density_evolution", "landscape": {"builtin": "double_well"}, "dynamics": {"lr": 0.01},
            "steps": 60_000, "grid": {"points": 600}}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        dask = DaskExecutor(cl.scheduler_address)
        try:
            _, progress = _run(dask, spec)
        finally:
            dask.close()
    assert any(0.0 < p < 1.0 for p in progress), progress[:20]
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_dask_cancel_stops_the_job():
    from sgdlab.core.errors import Cancelled
    from sgdlab.jobs.executors.dask import DaskExecutor

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        dask = DaskExecutor(cl.scheduler_address)
        try:
            work = make_work(JobRequest.model_validate({**SPEC, "particles": 60_000, "steps": 20_000}))
            ev = threading.Event()
            threading.Timer(2.0, ev.set).start()
            t = time.monotonic()
            with pytest.raises(Cancelled):
                dask.run(work, "dask-cancel", lambda p: None, ev, time.time() + 600)
            assert time.monotonic() - t < 15
        finally:
            dask.close()


def test_sweep_points_run_on_dask_and_equal_the_same_jobs_run_alone(tmp_path):
    """A sweep's points go through the Dask executor like jobs; each stored point equals its spec run alone."""
    from sgdlab.core.simulation.run import simulate
    from sgdlab.jobs.executors.dask import DaskExecutor
    from sgdlab.jobs.store import JobStore
    from sgdlab.jobs.sweep_work import run_sweep
    from sgdlab.limits import DEFAULT_LIMITS
    from sgdlab.spec import SweepRequest

    sweep = SweepRequest.model_validate({
        "kind": "sweep", "base": {"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}},
                                  "particles": 3000, "steps": 100, "observe": {"histogram": {"bins": 30}}},
        "axes": [{"path": "dynamics.lr", "values": [0.02, 0.05]}], "repeats": 2})
    store = JobStore(tmp_path / "jobs.sqlite3")
    seen: list[float] = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        dask = DaskExecutor(cl.scheduler_address)
        try:
            result = run_sweep(dask, store, sweep, "sweep-on-dask", 1, DEFAULT_LIMITS, seen.append,
                               threading.Event(), time.time() + 600, 4)
        finally:
            dask.close()
    assert [p["index"] for p in result["points"]] == [0, 1, 2, 3] and seen[-1] == 1.0
    stored = dict(store.point_results("sweep-on-dask"))
    for k, point in stored.items():
        alone = simulate(point["spec"])
        assert point["histograms"] == alone["histograms"] and point["basins"] == alone["basins"]
    store.close()


def _without_futures(x):
    """What the client sends for an argument: a future travels as its key."""
    if isinstance(x, distributed.Future):
        return x.key
    if isinstance(x, (list, tuple)):
        return type(x)(_without_futures(i) for i in x)
    return x


def test_a_50k_particle_job_sends_and_receives_a_bounded_state():
    """Shard records (41 MiB here: a loss trace at every step keeps quantile subsamples) stay on the workers."""
    import cloudpickle

    from sgdlab.jobs.executors.dask import DaskExecutor

    spec = {"landscape": {"builtin": "double_well"}, "dynamics": {"lr": 0.05, "batch_size": 1}, "particles": 50_000,
            "steps": 200, "seed": 3, "observe": {"loss_trace": {"every": 1}, "exit_times": {"from": 0, "to": 1}}}
    work = make_work(JobRequest.model_validate(spec))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        dask = DaskExecutor(cl.scheduler_address)
        sent, received = [], []
        submit, gather = dask.client.submit, dask.client.gather

        def counting_submit(fn, *args, **kwargs):
            sent.append(len(cloudpickle.dumps((fn, _without_futures(args)))))
            return submit(fn, *args, **kwargs)

        def counting_gather(futures, *args, **kwargs):
            out = gather(futures, *args, **kwargs)
            received.append(len(pickle.dumps(out)))
            return out

        dask.client.submit, dask.client.gather = counting_submit, counting_gather
        try:
            shards = dask.run(work, "dask-size", lambda p: None, threading.Event(), time.time() + 600)
            records = sum(len(pickle.dumps(r)) for r in dask.client.gather(shards))
            received.clear()
            result = dask.call(work.finish, shards, 1.0, "x")
        finally:
            dask.close()
    assert records > 30 * 2 ** 20                       # what used to travel to the API and back
    assert len(sent) == len(work.tasks) + 1 and max(sent) < 64 * 2 ** 10, sent
    assert received == []                               # nothing gathered: only the result document comes back
    assert len(pickle.dumps(result)) < 256 * 2 ** 10
    assert result["loss_trace"]["quantile_subsample"] == min(50_000, 2048 * len(work.tasks))
