"""Issue 14, job side: attacks that made accepted jobs fail, held the API process, or slipped past the bounds.

Each test is named after what it attacks; each would fail on the code before the fix (a failed job, a 500,
a minutes-long request, or a 202 for work the limits forbid).
"""

from __future__ import annotations

import pickle
import threading
import time

import pytest

from sgdlab.core.errors import LimitExceeded
from sgdlab.jobs.work import make_work, preparation
from sgdlab.spec import JobRequest

from .conftest import make_client, wait_for


def formula_job(d: int) -> dict:
    """A d-dimensional double well in its first coordinate, a bowl in the others: two minima at +-1."""
    names = [f"x{i}" for i in range(d)]
    expr = "(x0**2-1)**2 + " + " + ".join(f"{n}**2" for n in names[1:])
    return {"landscape": {"expression": expr, "variables": names}, "dynamics": {"lr": 0.05, "batch_size": 4},
            "particles": 200, "steps": 10, "observe": {"histogram": {"bins": 10}}}


def finite_sum_job(d: int) -> dict:
    """The same shape as a mean over 40 data rows (a shifts the bowl's centre row by row)."""
    names = [f"x{i}" for i in range(d)]
    per_sample = "(x0**2-1)**2 + " + " + ".join(f"({n}-a)**2" for n in names[1:])
    data = {"a": [0.01 * ((7 * k) % 11 - 5) for k in range(40)]}
    return {"landscape": {"finite_sum": {"per_sample": per_sample, "variables": names, "data": data}},
            "dynamics": {"lr": 0.05, "batch_size": 4}, "particles": 200, "steps": 10,
            "observe": {"histogram": {"bins": 10}}}


JOBS_3D_AND_UP = [(kind, d) for kind in ("formula", "finite_sum") for d in (3, 5, 20)]


def _spec(kind: str, d: int) -> dict:
    return formula_job(d) if kind == "formula" else finite_sum_job(d)


def _check_result(res: dict, d: int) -> None:
    assert res["landscape"]["dim"] == d
    minima = sorted(m["location"][0] for m in res["landscape"]["minima"])
    assert len(minima) == 2 and minima[0] == pytest.approx(-1, abs=1e-3) and minima[1] == pytest.approx(1, abs=1e-3)
    fractions = {b["basin"]: b["fraction"] for b in res["basins"]["final"]}
    # the starts are uniform and symmetric in x0: each well's basin holds about half (200 particles: sd 0.035)
    assert 0.3 < fractions[0] < 0.7 and 0.3 < fractions[1] < 0.7 and fractions[0] + fractions[1] > 0.95


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    with make_client(tmp_path_factory.mktemp("hardening")) as c:
        yield c


@pytest.mark.parametrize("kind,d", JOBS_3D_AND_UP)
def test_formula_and_finite_sum_jobs_in_3_to_20_dimensions_succeed_on_the_local_pool(api, kind, d):
    """Issue 14.1: the d >= 3 plan carried a basin map holding a lambdified function: PicklingError after the 202."""
    r = api.post("/v1/jobs", json=_spec(kind, d))
    assert r.status_code == 202, r.text
    doc = wait_for(api, r.json()["id"], timeout=180)
    assert doc["status"] == "succeeded", doc["error"]
    _check_result(api.get(f"/v1/jobs/{doc['id']}/result").json(), d)


def run_on(executor, spec: dict) -> dict:
    """A job's two phases on an executor, as the dispatcher runs them: analysis and planning, then the shards."""
    request = JobRequest.model_validate(spec)
    from sgdlab.limits import DEFAULT_LIMITS
    work = executor.run(preparation(request, DEFAULT_LIMITS), "prepare", lambda p: None, threading.Event(),
                        time.time() + 300)[0]
    out = executor.run(work, "shards", lambda p: None, threading.Event(), time.time() + 300)
    return executor.call(work.finish, out, 1.0, "x", timeout=300)


def test_formula_and_finite_sum_jobs_in_3_to_20_dimensions_succeed_on_dask():
    """Issue 14.1 on a real distributed cluster (worker processes unpickle the plan: no lambdified code in it)."""
    distributed = pytest.importorskip("distributed")
    from sgdlab.jobs.executors.dask import DaskExecutor

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl:
        dask = DaskExecutor(cl.scheduler_address)
        try:
            for kind, d in JOBS_3D_AND_UP:
                _check_result(run_on(dask, _spec(kind, d)), d)
        finally:
            dask.close()


def test_a_d3_plan_pickles_without_compiled_code():
    """The plan that goes to workers holds the basin map by spec key, not the lambdified landscape."""
    work = make_work(JobRequest.model_validate(formula_job(3)))
    blob = pickle.dumps(work)
    assert b"_lambdifygenerated" not in blob
    again = pickle.loads(blob)
    plan = again.tasks[0][1][0]
    import numpy as np
    labels = plan.analysis.basin_of(np.array([[0.9, 0.1, -0.2], [-1.2, 0.3, 0.0]]))
    minima_x0 = [m.location[0] for m in plan.analysis.minima]
    assert minima_x0[labels[0]] > 0 > minima_x0[labels[1]]
