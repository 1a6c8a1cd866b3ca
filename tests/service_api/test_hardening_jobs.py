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
    work = executor.values(executor.run(preparation(request, DEFAULT_LIMITS), "prepare", lambda p: None,
                                        threading.Event(), time.time() + 300))[0]
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


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (forkserver, pool workers), read from /proc."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            import pathlib
            kids = [int(c) for t in pathlib.Path(f"/proc/{p}/task").iterdir()
                    for c in (t / "children").read_text().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


HEAVY_FINITE_SUM = {
    "landscape": {"finite_sum": {
        "per_sample": "(" + "+".join(f"w{i}*x{i + 1}" for i in range(20)) + " - y)**2 + (w0**2-1)**2",
        "variables": [f"w{i}" for i in range(20)],
        "data": {"generator": "linear_regression", "n": 20000, "dim": 20, "seed": 1}}},
    "dynamics": {"lr": 0.01, "batch_size": 8}, "particles": 100, "steps": 10}


def test_healthz_and_status_reads_stay_fast_while_a_heavy_landscape_is_analysed(tmp_path):
    """Issue 14.2: landscape analysis ran inside the API process (a 20-D finite sum took 56 s on POST /v1/jobs,
    and 45 heavy formulas made /healthz take 16 s). Now the POST answers 202 before the analysis, which runs as
    the job's first phase on a worker, and formula differentiation is bounded and off the event loop."""
    import httpx

    from tests.server_process import ServerProcess

    server = ServerProcess(tmp_path, workers=1).start()
    family = _descendants(server.proc.pid)
    stop = threading.Event()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            assert http.post("/v1/jobs", json=formula_job(3)).status_code == 202   # starts the request pool
            t0 = time.monotonic()
            r = http.post("/v1/jobs", json=HEAVY_FINITE_SUM)
            submit_seconds = time.monotonic() - t0
            assert r.status_code == 202, r.text
            assert submit_seconds < 5, submit_seconds          # was the whole analysis (40 s here)
            job = r.json()["id"]

            def heavy_formulas():                              # distinct each time: no cached refusal helps
                k = 0
                with httpx.Client(base_url=server.url, timeout=60) as h2:
                    while not stop.is_set():
                        k += 1
                        expr = "*".join(f"(w{j % 20}+{j + k})" for j in range(1, 100))
                        refused.append(h2.post("/v1/jobs", json={"landscape": {
                            "expression": expr, "variables": [f"w{i}" for i in range(20)]}}).json())
                        stop.wait(0.1)

            def sample(n: int) -> tuple[list[float], list[float], dict]:
                health, status, doc = [], [], {}
                for _ in range(n):
                    t = time.perf_counter()
                    assert http.get("/healthz").status_code == 200
                    health.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    doc = http.get(f"/v1/jobs/{job}").json()
                    status.append(time.perf_counter() - t)
                    time.sleep(0.01)
                return health, status, doc

            # A: the job's analysis phase runs on a worker
            health, status, doc = sample(200)
            assert doc["status"] == "running" and doc["progress"] < 0.05, doc   # still in its analysis phase
            print(f"analysis: healthz p99 {_p99(health) * 1e3:.1f} ms, status p99 {_p99(status) * 1e3:.1f} ms, "
                  f"submit {submit_seconds:.2f} s")
            assert _p99(health) < 0.1 and _p99(status) < 0.1

            # B: and a stream of 99-factor products in 20 variables (each ~1 s of SymPy, then a 422)
            refused: list[dict] = []
            side = threading.Thread(target=heavy_formulas, daemon=True)
            side.start()
            health, status, doc = sample(100)
            stop.set()
            side.join(timeout=60)
            assert doc["status"] == "running", doc
            print(f"analysis + formula flood: healthz p99 {_p99(health) * 1e3:.1f} ms, "
                  f"status p99 {_p99(status) * 1e3:.1f} ms, {len(refused)} formulas refused")
            assert _p99(health) < 0.1           # status reads (threads) depend more on the machine's load here
            assert refused and all(d["errors"][0]["field"] == "landscape.expression" and
                                   d["limit"] == "max_derivative_nodes" for d in refused)
    finally:
        stop.set()
        family = set(family) | set(_descendants(server.proc.pid))
        server.kill()
        import os
        import signal
        for pid in family:                 # the worker analysing the landscape, and the rest of the pool
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


PRODUCT_99 = "*".join(f"(w+{k})" for k in range(1, 100))   # 683 characters; its Hessian has ~3 million nodes


@pytest.mark.parametrize("landscape,field", [
    ({"expression": PRODUCT_99}, "landscape.expression"),
    ({"finite_sum": {"per_sample": PRODUCT_99.replace("(w+1)", "(w+a)"), "variables": ["w"],
                     "data": {"a": [1.0, 2.0]}}}, "landscape.finite_sum.per_sample"),
])
def test_a_99_factor_product_is_a_422_in_under_a_second_and_its_refusal_is_cached(api, landscape, field):
    """Issue 14.2: SymPy worked 77 s on this formula, then a 500 (RecursionError in the Hessian)."""
    body = {"landscape": landscape, "particles": 10, "steps": 10}
    t0 = time.monotonic()
    r = api.post("/v1/jobs", json=body)
    first = time.monotonic() - t0
    assert r.status_code == 422, r.text
    doc = r.json()
    assert doc["limit"] == "max_derivative_nodes" and doc["limit_value"] == 200_000
    assert doc["errors"][0]["field"] == field and field in doc["detail"]
    assert first < 5, first                                 # refused from the size estimate, before the Hessian
    t0 = time.monotonic()
    again = api.post("/v1/jobs", json=body)
    assert again.json() == doc and time.monotonic() - t0 < 0.5   # remembered: no worker time the second time


def test_the_symbolic_time_budget_is_a_422_naming_the_formula(tmp_path):
    """symbolic_seconds is reachable: a formula that is within the node bound but slow for a tiny budget."""
    from sgdlab.limits import Limits
    limits = Limits(symbolic_seconds=0.05)
    with make_client(tmp_path, limits=limits) as c:
        names = [f"x{i}" for i in range(20)]
        expr = "(" + "+".join(f"{n}**2" for n in names) + ")**2 + sin(" + "*".join(names) + ")"
        r = c.post("/v1/jobs", json={"landscape": {"expression": expr, "variables": names}})
    assert r.status_code == 422, r.text
    assert r.json()["limit"] == "symbolic_seconds" and r.json()["errors"][0]["field"] == "landscape.expression"


def test_the_symbolic_estimate_matches_sympy_on_every_allowed_function():
    """The sparse differentiator (product, power and chain rules) agrees with sympy.diff, second order too."""
    import sympy

    from sgdlab.core.landscapes.formula import _diff, _SymbolicBudget
    from sgdlab.limits import Limits

    w, v = sympy.Symbol("w", real=True), sympy.Symbol("v", real=True)
    budget = _SymbolicBudget(Limits())
    exprs = [(w**2 + v) * sympy.sin(3 * v * w) * sympy.exp(w**2) / (w + 2), sympy.Abs(w - v)**3,
             sympy.sqrt(w**2 + 1), 2**w, w**v, sympy.tanh(w) * sympy.log(w**2 + 1), sympy.tan(w) * v,
             sympy.cosh(w) * sympy.sinh(v * w)]
    point = {w: 0.3, v: 0.7}
    for e in exprs:
        for s in (w, v):
            mine, ref = _diff(e, s, budget), sympy.diff(e, s)
            assert float(mine.subs(point)) == pytest.approx(float(ref.subs(point)), rel=1e-12, abs=1e-14)
            assert float(_diff(mine, v, budget).subs(point)) == pytest.approx(
                float(sympy.diff(ref, v).subs(point)), rel=1e-10, abs=1e-12)


def test_request_work_past_its_hard_limit_is_killed_and_the_pool_recovers():
    """A SymPy call cannot be interrupted: the request pool kills the worker and the next call still runs."""
    from sgdlab.jobs.request_pool import RequestPool, RequestWorkTimeout

    pool = RequestPool(1)
    try:
        t0 = time.monotonic()
        with pytest.raises(RequestWorkTimeout):
            pool.call(time.sleep, (30,), timeout=0.5)
        assert time.monotonic() - t0 < 10
        assert pool.call(sum, ([1, 2, 3],), timeout=30) == 6
        with pytest.raises(LimitExceeded) as err:                 # errors come back as their own type
            pool.call(_raise_limit, (), timeout=30)
        assert err.value.limit == "max_steps" and err.value.field == "steps"
    finally:
        pool.close()


def _raise_limit():
    raise LimitExceeded("steps", "max_steps", 10, 20)


def test_analyze_muller_brown_at_temperature_1e_300_answers_the_zero_temperature_limit(api):
    """Issue 14.9: a 500 (SuperLU could not factorise the backward equation with rates e^(ΔL/T))."""
    r = api.post("/v1/landscapes/analyze", json={"landscape": {"builtin": "muller_brown"}, "temperature": 1e-300})
    assert r.status_code == 200, r.text
    body = r.json()
    losses = [m["loss"] for m in body["landscape"]["minima"]]
    fractions = body["theory"]["basin_fractions"]
    assert fractions[losses.index(min(losses))] == 1.0 and sum(fractions) == pytest.approx(1.0)   # all at the bottom
    assert all(e["exact_time"] is None for e in body["theory"]["exit_times"])   # e^(1e300): not a number


@pytest.mark.parametrize("builtin", ["double_well", "muller_brown"])
def test_analyze_lr_5e_324_with_batch_size_1e18_is_a_422_naming_lr(api, builtin):
    """Issue 14.9: lr/(2B) underflows to a temperature of 0, then a ZeroDivisionError (500)."""
    r = api.post("/v1/landscapes/analyze", json={"landscape": {"builtin": builtin}, "lr": 5e-324,
                                                  "batch_size": 10**18})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lr", r.text


def test_simulation_with_lr_5e_324_and_batch_size_1e18_succeeds(api):
    """The same extreme as a job: the particles do not move, and the job says so instead of failing."""
    r = api.post("/v1/jobs", json={"landscape": {"builtin": "double_well"}, "particles": 100, "steps": 10,
                                   "dynamics": {"lr": 5e-324, "batch_size": 10**18}, "init": {"point": [0.5]}})
    assert r.status_code == 202, r.text
    doc = wait_for(api, r.json()["id"])
    assert doc["status"] == "succeeded", doc["error"]
    res = api.get(f"/v1/jobs/{doc['id']}/result").json()
    assert {b["basin"]: b["fraction"] for b in res["basins"]["final"]}[1] == 1.0   # still at 0.5: basin of +1


def test_density_evolution_with_lr_1e308_is_not_a_500(api):
    """Issue 14.9: the kernel's band width was int(inf) at submission (a 500). Now the band is the whole
    grid and the evolved law stays a probability law on it."""
    r = api.post("/v1/jobs", json={"kind": "density_evolution", "landscape": {"builtin": "double_well"},
                                   "dynamics": {"lr": 1e308}, "steps": 3, "grid": {"points": 50}})
    assert r.status_code == 202, r.text
    doc = wait_for(api, r.json()["id"])
    assert doc["status"] == "succeeded", doc["error"]
    res = api.get(f"/v1/jobs/{doc['id']}/result").json()
    final = res["histograms"]["final"]
    edges = res["grid"]["edges"][0]
    widths = [b - a for a, b in zip(edges, edges[1:])]
    mass = [d * w for d, w in zip(final["density"], widths)]
    assert all(m >= 0 for m in mass) and sum(mass) == pytest.approx(1.0, abs=1e-9)   # a probability law


def test_density_evolution_whose_noise_underflows_is_a_422_naming_lr(api):
    """lr 5e-324 with batch_size 1e18: lr/sqrt(B) is 0, a ZeroDivisionError in the accepted job before."""
    r = api.post("/v1/jobs", json={"kind": "density_evolution", "landscape": {"builtin": "double_well"},
                                   "dynamics": {"lr": 5e-324, "batch_size": 10**18}, "steps": 3})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "dynamics.lr", r.text


def test_exit_radius_1e308_is_a_422_at_submission(api):
    """Issue 14.10: accepted, then failed at run time."""
    r = api.post("/v1/jobs", json={"landscape": {"builtin": "double_well"}, "particles": 100, "steps": 10,
                                   "observe": {"exit_times": {"from": 0, "to": 1, "radius": 1e308}}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "observe.exit_times.radius", r.text
    ok = api.post("/v1/jobs", json={"landscape": {"builtin": "double_well"}, "particles": 100, "steps": 10,
                                    "observe": {"exit_times": {"from": 0, "to": 1, "radius": 0.5}}})
    assert ok.status_code == 202, ok.text


def test_histogram_range_below_float_resolution_is_a_422_at_submission(api):
    """Issue 14.10: [[1, 1.000000000000001]] in 2000 bins has coinciding edges: accepted, then failed."""
    body = {"landscape": {"builtin": "double_well"}, "particles": 100, "steps": 10,
            "observe": {"histogram": {"bins": 2000, "range": [[1, 1.000000000000001]]}}}
    r = api.post("/v1/jobs", json=body)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "observe.histogram.range", r.text
    body["observe"]["histogram"]["range"] = [[1, 1.00001]]         # 5e-9 wide bins: fine
    assert api.post("/v1/jobs", json=body).status_code == 202


@pytest.mark.parametrize("expr,variables", [("log(w)", ["w"]), ("sqrt(w)", ["w"]), ("log(w) + v**2", ["w", "v"]),
                                            ("log(w) + v**2 + u**2", ["w", "v", "u"])])
def test_the_edge_of_a_formulas_domain_is_not_a_minimum(api, expr, variables):
    """Issue 14 (low): log(w) had a "minimum" at 8e-15 with loss -32, where it just runs out of domain."""
    r = api.post("/v1/landscapes/analyze", json={"landscape": {"expression": expr, "variables": variables}})
    assert r.status_code == 200, r.text
    assert r.json()["landscape"]["minima"] == []


def test_a_kink_is_still_a_minimum(api):
    """abs(w) is defined on both sides of 0: its minimum stays (the domain test is not a smoothness test)."""
    r = api.post("/v1/landscapes/analyze", json={"landscape": {"expression": "abs(w) + (w-1)**2/10"}})
    (m,) = r.json()["landscape"]["minima"]
    assert m["location"][0] == pytest.approx(0.0, abs=1e-6)


def test_gradient_covariance_over_100k_rows_with_1e7_particles_is_a_422(api):
    """Issue 14.7: accepted with a projected 41 days (particles x steps was within bounds; rows were not counted)."""
    body = {"landscape": {"finite_sum": {"per_sample": "0.5*(w*x-y)**2", "variables": ["w"],
                                         "data": {"generator": "linear_regression", "n": 100_000}}},
            "dynamics": {"lr": 0.01, "noise": "gradient_covariance"}, "particles": 10_000_000, "steps": 100}
    r = api.post("/v1/jobs", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["limit"] == "max_particle_samples" and r.json()["limit_value"] == 1e11
    assert r.json()["errors"][0]["field"] == "particles"
    # minibatches touch only their rows: the same particles and steps with batches of 8 are within the bound
    small = {**body, "dynamics": {"lr": 0.01, "method": "minibatch_sgd", "batch_size": 8}, "particles": 100_000}
    r = api.post("/v1/jobs", json=small)
    assert r.status_code == 202, r.text
    api.delete(f"/v1/jobs/{r.json()['id']}")


@pytest.mark.parametrize("builtin,points,lr,limit", [
    ("muller_brown", 300, 0.0085, "max_kernel_bytes"),      # 18.9 million non-zeros x 110 bytes in 2-D
    ("double_well", 5000, 0.267, "max_kernel_entries"),     # 20.04 million non-zeros (x 80 bytes: 1.6 GB)
])
def test_density_kernels_are_bounded_in_memory_at_submission(api, builtin, points, lr, limit):
    """Issue 14.7: a 2-D density evolution at the kernel-size limit took 6 GB. Both bounds are reachable."""
    r = api.post("/v1/jobs", json={"kind": "density_evolution", "landscape": {"builtin": builtin},
                                   "dynamics": {"lr": lr}, "steps": 2, "grid": {"points": points}})
    assert r.status_code == 422, r.text
    assert r.json()["limit"] == limit and r.json()["errors"][0]["field"] == "grid.points"


def test_one_key_cannot_hold_every_dispatcher_slot(tmp_path):
    """Issue 14.7: two long jobs of one key held both slots for an hour; another key's job now starts at once."""
    from .conftest import LONG_JOB, SMALL_JOB

    with make_client(tmp_path, concurrent_jobs=2, api_keys="a,b") as c:
        a, b = {"Authorization": "Bearer a"}, {"Authorization": "Bearer b"}
        long_ids = [c.post("/v1/jobs", json={**LONG_JOB, "seed": s}, headers=a).json()["id"] for s in (1, 2)]
        wait_for(c, long_ids[0], ("running",), headers=a)
        time.sleep(1.0)                                        # a second slot is free: key a may not take it
        assert c.get(f"/v1/jobs/{long_ids[1]}", headers=a).json()["status"] == "queued"
        small = c.post("/v1/jobs", json=SMALL_JOB, headers=b).json()["id"]
        assert wait_for(c, small, timeout=60, headers=b)["status"] == "succeeded"
        assert c.get(f"/v1/jobs/{long_ids[0]}", headers=a).json()["status"] == "running"
        for i in long_ids:
            c.delete(f"/v1/jobs/{i}", headers=a)


def test_a_wrong_minimum_index_on_a_landscape_analysed_in_the_job_fails_it_with_a_422_naming_the_field(api):
    """The analysis phase runs after the 202 for d >= 3: its index checks become the job's 422 problem."""
    spec = {**formula_job(3), "observe": {"exit_times": {"from": 0, "to": 5}}}
    r = api.post("/v1/jobs", json=spec)
    assert r.status_code == 202, r.text
    doc = wait_for(api, r.json()["id"])
    assert doc["status"] == "failed" and doc["error"]["status"] == 422, doc
    assert "observe.exit_times.to" in doc["error"]["detail"]


def test_a_synchronous_analysis_past_analysis_seconds_is_a_422_and_the_pool_serves_the_next(tmp_path):
    """POST /v1/landscapes/analyze of a 20-D finite sum took 56 s inside the API process; now it runs in the
    request pool and is cut at analysis_seconds (its worker killed), and the next request is answered."""
    from sgdlab.limits import Limits

    with make_client(tmp_path, limits=Limits(analysis_seconds=1.0)) as c:
        r = c.post("/v1/landscapes/analyze", json={"landscape": HEAVY_FINITE_SUM["landscape"]})
        assert r.status_code == 422, r.text
        assert r.json()["limit"] == "analysis_seconds" and r.json()["errors"][0]["field"] == "landscape"
        ok = c.post("/v1/landscapes/analyze", json={"landscape": {"builtin": "double_well"}})
        assert ok.status_code == 200 and len(ok.json()["landscape"]["minima"]) == 2


@pytest.mark.parametrize("block, value", [("exit_times", {"from": 1, "to": 0, "method": "splitting"}),
                                          ("exit_times", {"from": 0, "to": 1}), ("arrival", {"bins": 10}),
                                          ("loss_trace", {"every": 10}), ("trajectories", {"count": 2, "every": 1})])
def test_density_evolution_with_a_particle_observer_is_a_422_naming_it(api, block, value):
    """Was accepted and succeeded without the block (silently dropped: no exit times in the result)."""
    r = api.post("/v1/jobs", json={"kind": "density_evolution", "landscape": {"builtin": "double_well"},
                                   "dynamics": {"lr": 0.05}, "steps": 20, "observe": {block: value}})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == f"observe.{block}", r.text
