"""Regression tests of the HTTP edge found by attack (issue 14): metric labels, auth and metrics tokens, tables of
non-finite values and their bounds, SSE polls without the spec, shutdown, strict types and log flooding."""

from __future__ import annotations

import asyncio
import json
import logging
import re

import pytest

from sgdlab.api.http_guard import RateLimitFilter
from sgdlab.api.middleware import HTTP_METHODS, OTHER_METHOD, UNMATCHED_ROUTE, ShutdownAnswers503
from sgdlab.api.routes.jobs import PROGRESS_DIGITS, progress_event
from sgdlab.jobs.store import JobStatusRecord, JobStore, StoreClosed
from sgdlab.limits import Limits

from .conftest import SMALL_JOB, make_client, wait_for


def _no_nan(text: str):
    """json.loads that fails on NaN/Infinity (which are not JSON)."""
    def refuse(name):
        raise AssertionError(f"{name} in a JSON body")
    return json.loads(text, parse_constant=refuse)


def _series(metrics_text: str, name: str) -> list[dict]:
    out = []
    for line in metrics_text.splitlines():
        if line.startswith(name + "{"):
            out.append(dict(re.findall(r'(\w+)="([^"]*)"', line)))
    return out


def test_arbitrary_method_names_and_paths_do_not_grow_metric_series(client):
    for i in range(25):
        client.request(f"X-METHOD-{i}", "/healthz")
        client.get(f"/no/such/path/{i}")
    client.request("BREW", f"/v1/jobs/{'a' * 40}")
    series = _series(client.get("/metrics").text, "sgdlab_http_requests_total")
    methods = {s["method"] for s in series}
    routes = {s["route"] for s in series}
    assert methods <= HTTP_METHODS | {OTHER_METHOD}, methods
    assert OTHER_METHOD in methods and UNMATCHED_ROUTE in routes
    assert not any(r.startswith("/no/such") for r in routes), routes
    assert len(series) < 60


def test_metrics_token_guards_metrics(tmp_path):
    with make_client(tmp_path, metrics_token="scrape-me") as c:
        r = c.get("/metrics")
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
        assert c.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        ok = c.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert ok.status_code == 200 and "sgdlab_jobs" in ok.text


@pytest.mark.parametrize("token", ["Bearer \xe9t\xe9".encode("latin-1"), "Bearer ключ".encode("utf-8"),
                                   b"Bearer \xff\xfe"])
def test_non_ascii_bearer_token_is_401_not_500(tmp_path, token):
    with make_client(tmp_path, api_keys="k1,cl\u00e9") as c:
        r = c.get("/v1/jobs", headers={"Authorization": token})
        assert r.status_code == 401, r.text
        assert r.json()["status"] == 401
        assert c.get("/v1/jobs", headers={"Authorization": "Bearer k1"}).status_code == 200


def test_over_long_idempotency_key_names_the_header(client):
    r = client.post("/v1/jobs", json=SMALL_JOB, headers={"Idempotency-Key": "k" * 300})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["Idempotency-Key"]


def test_cursor_beyond_sqlite_integer_is_422_and_the_largest_is_fine(client):
    r = client.get("/v1/jobs", params={"cursor": str(2**63)})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cursor"
    assert client.get("/v1/jobs", params={"cursor": str(2**63 - 1)}).status_code == 200
    assert client.get("/v1/jobs", params={"cursor": "\u00b2"}).status_code == 422  # a digit to isdigit(), not int()


def _finished(client, spec) -> str:
    r = client.post("/v1/jobs", json=spec)
    assert r.status_code == 202, r.text
    doc = wait_for(client, r.json()["id"])
    assert doc["status"] == "succeeded", doc
    return doc["id"]


DIVERGING = [
    ("init at +1.7e308", {"point": [1.7e308]}, "double_well"),
    ("init at -1.7e308", {"point": [-1.7e308]}, "double_well"),
    ("init std 1e308", {"normal": {"mean": [0.0], "std": 1e308}}, "double_well"),
    ("2-D init at +-1.7e308", {"point": [1.7e308, -1.7e308]}, "muller_brown"),
    ("2-D init std 1e308", {"normal": {"mean": [0.0, 0.0], "std": 1e308}}, "muller_brown"),
]


@pytest.mark.parametrize("name, init, builtin", DIVERGING, ids=[d[0] for d in DIVERGING])
def test_trajectory_plot_and_tables_of_diverging_particles(client, name, init, builtin):
    spec = {"landscape": {"builtin": builtin}, "init": init, "particles": 20, "steps": 6,
            "observe": {"trajectories": {"count": 3, "every": 1}, "arrival": {"bins": 3}}}
    job = _finished(client, spec)
    for fmt in ("svg", "png"):
        r = client.get(f"/v1/jobs/{job}/plots/trajectories.{fmt}")
        assert r.status_code == 200, r.text[:300]
    rows = _no_nan(client.get(f"/v1/jobs/{job}/tables/trajectories").text)
    coords = [v for row in rows for k, v in row.items() if k.startswith("w")]
    assert None in coords  # the diverged points are null, not NaN or Infinity
    assert all(v is None or abs(v) < float("inf") for v in coords)
    arrival = client.get(f"/v1/jobs/{job}/tables/arrival")
    assert arrival.status_code in (200, 404), arrival.text[:300]
    if arrival.status_code == 200:
        _no_nan(arrival.text)


def test_sqrt_landscape_from_huge_init_gives_null_not_nan_in_tables(client):
    spec = {"landscape": {"expression": "sqrt(w)", "range": [[0, 4]]},
            "init": {"uniform": {"low": [-1e308], "high": [1e308]}}, "particles": 40, "steps": 10,
            "observe": {"trajectories": {"count": 4, "every": 1}, "arrival": {"bins": 4}}}
    job = _finished(client, spec)
    for table in ("trajectories", "arrival", "histogram"):
        r = client.get(f"/v1/jobs/{job}/tables/{table}")
        assert r.status_code == 200, (table, r.text[:300])
        _no_nan(r.text)
        csv = client.get(f"/v1/jobs/{job}/tables/{table}", params={"format": "csv"}).text
        assert "nan" not in csv.lower() and "inf" not in csv.lower()
    assert client.get(f"/v1/jobs/{job}/plots/trajectories.svg").status_code == 200


@pytest.fixture(scope="module")
def snapshot_job(tmp_path_factory):
    """A finished job with a 40-bin final histogram and 2 snapshots (120 rows), served with max_table_rows=50."""
    with make_client(tmp_path_factory.mktemp("tables"), limits=Limits(max_table_rows=50)) as c:
        spec = {**SMALL_JOB, "steps": 20, "observe": {"histogram": {"bins": 40, "snapshots": [5, 10]}}}
        yield c, _finished(c, spec)


def test_table_over_max_table_rows_is_413_with_a_hint(snapshot_job):
    c, job = snapshot_job
    r = c.get(f"/v1/jobs/{job}/tables/histogram")
    assert r.status_code == 413
    doc = r.json()
    assert doc["limit"] == "max_table_rows" and doc["limit_value"] == 50
    assert "?which=" in doc["hint"] and "?step=" in doc["hint"]


def test_which_and_step_select_histogram_records(snapshot_job):
    c, job = snapshot_job
    final = c.get(f"/v1/jobs/{job}/tables/histogram", params={"which": "final"})
    assert final.status_code == 200 and int(final.headers["content-length"]) == len(final.content)
    rows = final.json()
    assert len(rows) == 40 and {r["which"] for r in rows} == {"final"}
    assert abs(sum(r["density"] * (r["right"] - r["left"]) for r in rows) - 1) < 1e-9
    snap = c.get(f"/v1/jobs/{job}/tables/histogram", params={"step": 10, "format": "csv"})
    lines = snap.text.strip().splitlines()
    assert snap.status_code == 200 and len(lines) == 41 and lines[0].startswith("which,step,bin")
    assert all(line.startswith("snapshot,10,") for line in lines[1:])
    both = c.get(f"/v1/jobs/{job}/tables/basins", params={"which": "snapshot"}).json()
    assert both and {r["step"] for r in both} == {5, 10}


@pytest.mark.parametrize("query, field", [({"which": "final"}, "which"), ({"step": 3}, "step")])
def test_which_and_step_on_a_table_without_records_is_422(snapshot_job, query, field):
    c, job = snapshot_job
    r = c.get(f"/v1/jobs/{job}/tables/loss_trace", params=query)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == field


def test_result_document_is_streamed_whole(snapshot_job):
    c, job = snapshot_job
    r = c.get(f"/v1/jobs/{job}/result")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.json()["job_id"] == job
    assert r.text == c.app.state.sgdlab.store.result_text(job)


def test_sse_polls_never_read_the_spec(snapshot_job):
    c, job = snapshot_job
    store = c.app.state.sgdlab.store
    queries = []
    store._db.set_trace_callback(queries.append)
    try:
        rec = store.poll_status(job)
    finally:
        store._db.set_trace_callback(None)
    assert rec.status == "succeeded" and rec.spec is None
    assert queries and not any(re.search(r"\bspec\b(?!_hash)", q) for q in queries), queries
    events = c.get(f"/v1/jobs/{job}/events").text
    assert "event: status" in events and '"succeeded"' in events


def test_status_reads_leave_out_inline_data(client):
    x = [0.001 * k for k in range(3000)]
    spec = {"landscape": {"finite_sum": {"per_sample": "(w - x)**2", "data": {"x": x}, "range": [[-1, 4]]}},
            "particles": 50, "steps": 5}
    job = _finished(client, spec)
    store = client.app.state.sgdlab.store
    light = store.get_status(job).spec
    assert light["landscape"]["finite_sum"] == {"per_sample": "(w - x)**2", "range": [[-1, 4]],
                                                 "variables": ["w"]}
    assert store.get(job).spec["landscape"]["finite_sum"]["data"]["x"] == x
    assert client.get(f"/v1/jobs/{job}").json()["status"] == "succeeded"
    assert job in [j["id"] for j in client.get("/v1/jobs").json()["items"]]


def test_sse_progress_is_rounded():
    rec = JobStatusRecord(1, "j", "-", "simulation", "running", 0.48789999999999994, "h", None, "t", "t", None,
                          None, 1)
    event = progress_event(rec)
    assert event["progress"] == 0.4879 and json.dumps(event).count("4879") == 1
    assert len(repr(event["progress"]).split(".")[1]) <= PROGRESS_DIGITS


def test_closed_store_answers_503_not_500(tmp_path):
    with make_client(tmp_path) as c:
        lock = c.app.state.sgdlab.store._lock
        lock.closed = True  # what a request still running after the lifespan closed the store meets
        try:
            r = c.get("/v1/jobs")
        finally:
            lock.closed = False
        assert r.status_code == 503 and r.headers.get("retry-after")
        assert r.json()["type"].endswith("shutting-down")


def test_store_refuses_use_after_close(tmp_path):
    store = JobStore(tmp_path / "j.sqlite3")
    store.close()
    store.close()
    with pytest.raises(StoreClosed):
        store.get_status("x")


def test_request_cancelled_by_shutdown_gets_503():
    sent = []

    async def slow_app(scope, receive, send):
        await asyncio.sleep(60)

    async def send(msg):
        sent.append(msg)

    async def run():
        task = asyncio.ensure_future(ShutdownAnswers503(slow_app)({"type": "http", "path": "/v1/jobs"}, None, send))
        await asyncio.sleep(0.01)
        task.cancel()  # what uvicorn does past timeout_graceful_shutdown
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(run())
    assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 503
    assert json.loads(sent[1]["body"])["status"] == 503


def test_accept_error_logs_are_rate_limited():
    now = [0.0]
    f = RateLimitFilter(interval=10, clock=lambda: now[0])

    def record(msg):
        return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, msg, None, None)

    passed = [f.filter(record("socket.accept() out of system resource")) for _ in range(1000)]
    assert sum(passed) == 1
    assert f.filter(record("another message"))
    now[0] = 10.5
    again = record("socket.accept() out of system resource")
    assert f.filter(again) and "999 similar messages dropped" in again.getMessage()


def test_table_sizes_are_known_before_building(snapshot_job):
    from sgdlab.tables import TableTooLarge, build_table, check_table_size, table_rows
    c, job = snapshot_job
    result = c.app.state.sgdlab.store.result(job)
    result["trajectories"] = {"steps": [0, 1, 2], "paths": [[[0.0], [1.0], [2.0]]] * 4}
    result["arrival"] = {"edges": [[0.0, 1.0, 2.0]], "probability": [[0.5, 0.5], [1.0, 0.0]]}
    for name, which, step in [("histogram", None, None), ("histogram", "snapshot", None), ("histogram", None, 5),
                              ("trajectories", None, None), ("arrival", None, None)]:
        assert table_rows(name, result, which, step) == len(build_table(name, result, which, step)), name
    with pytest.raises(TableTooLarge):
        check_table_size("histogram", result, None, None, 119)
    check_table_size("histogram", result, None, None, 120)


def test_render_pool_bounds_work_in_flight_with_503(tmp_path):
    from sgdlab.api.problems import Problem
    from sgdlab.api.render_pool import WAITING_PER_WORKER, RenderPool
    pool = RenderPool(tmp_path / "jobs.sqlite3", 1, tmp_path / "tmp")
    for _ in range(WAITING_PER_WORKER):
        pool._acquire()
    with pytest.raises(Problem) as refused:
        pool._acquire()
    assert refused.value.status == 503 and refused.value.headers["Retry-After"]
    pool.release()
    pool._acquire()


def test_integers_are_still_numbers_under_strict_types(client):
    r = client.post("/v1/landscapes/analyze", json={"landscape": {"builtin": "double_well"}, "temperature": 1,
                                                    "range": [[-2, 2]]})
    assert r.status_code == 200, r.text
    chain = client.post("/v1/markov-chains/analyze", json={"transition_matrix": [[0, 1], [1, 0]], "steps": 3})
    assert chain.status_code == 200 and chain.json()["stationary"] == [0.5, 0.5]
    job = client.post("/v1/jobs", json={**SMALL_JOB, "dynamics": {"lr": 1, "batch_size": 2}, "steps": 10,
                                        "init": {"uniform": {"low": [-1], "high": [1]}}})
    assert job.status_code == 202, job.text
