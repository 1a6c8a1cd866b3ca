"""Sync client over httpx.MockTransport: retries and backoff, Retry-After, error mapping, idempotency, paging."""

from __future__ import annotations

import json

import httpx
import pytest

import sgdlab_client as sc
from sgdlab_client import landscapes, retry

from client_fakes import Recorder, mock_client, problem, status_doc

SPEC = sc.simulation(landscapes.double_well(tilt=0.1), 0.01, 4, particles=100, steps=10)


def test_submit_sends_the_spec_and_returns_a_job():
    rec = Recorder(httpx.Response(202, json=status_doc(), headers={"Location": "/v1/jobs/j1"}))
    job = mock_client(rec).submit(SPEC)
    assert job.id == "j1" and job.last_status.status == "queued"
    req = rec.requests[0]
    assert req.method == "POST" and req.url.path == "/v1/jobs"
    assert json.loads(req.content) == {"kind": "simulation", "landscape": {"builtin": "double_well",
                                       "params": {"tilt": 0.1}}, "dynamics": {"lr": 0.01, "batch_size": 4},
                                       "particles": 100, "steps": 10}
    assert len(req.headers["Idempotency-Key"]) == 36


def test_each_submit_gets_a_fresh_idempotency_key():
    rec = Recorder(httpx.Response(202, json=status_doc()))
    client = mock_client(rec)
    client.submit(SPEC)
    client.submit(SPEC)
    keys = [r.headers["Idempotency-Key"] for r in rec.requests]
    assert keys[0] != keys[1]


def test_retried_submit_reuses_its_idempotency_key(sleeps):
    rec = Recorder(httpx.ConnectError("refused"), httpx.Response(503), problem(429, "Too many jobs"),
                   httpx.Response(202, json=status_doc()))
    job = mock_client(rec, max_retries=5).submit(SPEC)
    assert job.id == "j1"
    keys = {r.headers["Idempotency-Key"] for r in rec.requests}
    assert len(rec.requests) == 4 and len(keys) == 1
    assert len(sleeps) == 3


def test_explicit_idempotency_key_is_sent():
    rec = Recorder(httpx.Response(200, json=status_doc()))
    mock_client(rec).submit(SPEC.to_json(), idempotency_key="my-key")
    assert rec.requests[0].headers["Idempotency-Key"] == "my-key"


def test_retry_after_is_honoured(sleeps):
    rec = Recorder(httpx.Response(429, headers={"Retry-After": "7"}, json={"title": "busy", "status": 429}),
                   httpx.Response(503, headers={"Retry-After": "2"}), httpx.Response(200, json={"status": "ok"}))
    assert mock_client(rec).health() == {"status": "ok"}
    assert sleeps == [7.0, 2.0]


def test_backoff_is_full_jitter_and_bounded(sleeps):
    rec = Recorder(httpx.ConnectError("refused"))
    client = mock_client(rec, max_retries=6, backoff_base=0.5, backoff_max=4.0)
    with pytest.raises(sc.ConnectionError, match="cannot reach sgdlab at http://sgdlab.test"):
        client.health()
    assert len(rec.requests) == 7 and len(sleeps) == 6
    ceilings = [min(4.0, 0.5 * 2 ** k) for k in range(6)]
    assert all(0 <= d <= c for d, c in zip(sleeps, ceilings))


def test_backoff_delay_distribution_is_uniform_below_the_ceiling():
    import random
    rng = random.Random(1)
    draws = [retry.backoff_delay(3, 0.5, 100, rng) for _ in range(4000)]
    assert max(draws) <= 4.0 and min(draws) >= 0
    # mean of U(0, 4) is 2 with standard error 4/sqrt(12 * 4000) ~ 0.018
    assert abs(sum(draws) / len(draws) - 2.0) < 0.1


def test_rate_limit_after_retries_raises_with_retry_after(sleeps):
    rec = Recorder(problem(429, "Too many jobs", "queue full"))
    rec.script[0].headers["Retry-After"] = "3"
    with pytest.raises(sc.RateLimitError) as info:
        mock_client(rec, max_retries=2).submit(SPEC)
    assert info.value.retry_after == 3.0 and info.value.status == 429
    assert len(rec.requests) == 3 and sleeps == [3.0, 3.0]


def test_no_retry_on_client_errors(sleeps):
    rec = Recorder(problem(422, "Invalid request", errors=[{"field": "dynamics.lr", "message": "must be > 0"}]))
    with pytest.raises(sc.ValidationError) as info:
        mock_client(rec).submit(SPEC)
    assert len(rec.requests) == 1 and sleeps == []
    assert [e.field for e in info.value.errors] == ["dynamics.lr"]
    assert "dynamics.lr: must be > 0" in str(info.value)


@pytest.mark.parametrize("status, cls", [
    (400, sc.ValidationError), (401, sc.AuthenticationError), (403, sc.AuthenticationError),
    (404, sc.NotFoundError), (409, sc.ConflictError), (413, sc.RequestTooLargeError), (422, sc.ValidationError),
    (429, sc.RateLimitError), (500, sc.ServerError), (502, sc.ServerError), (503, sc.ServerError),
    (418, sc.APIError)])
def test_each_status_maps_to_its_exception(status, cls, sleeps):
    rec = Recorder(problem(status, f"title {status}", "some detail"))
    with pytest.raises(cls) as info:
        mock_client(rec, max_retries=0).status("j1")
    err = info.value
    assert isinstance(err, sc.APIError) and isinstance(err, sc.SgdlabError)
    assert err.status == status and err.problem.title == f"title {status}" and err.detail == "some detail"


def test_non_json_error_body_still_gives_a_problem():
    rec = Recorder(httpx.Response(502, text="<html>bad gateway</html>"))
    with pytest.raises(sc.ServerError) as info:
        mock_client(rec, max_retries=0).status("j1")
    assert info.value.problem.status == 502 and "bad gateway" in info.value.problem.detail


def test_timeout_maps_to_the_clients_timeout_error(sleeps):
    rec = Recorder(httpx.ReadTimeout("slow"))
    with pytest.raises(sc.TimeoutError) as info:
        mock_client(rec, max_retries=1).status("j1")
    assert isinstance(info.value, sc.SgdlabError) and len(rec.requests) == 2


def test_api_key_header_and_env_defaults(monkeypatch):
    monkeypatch.setenv("SGDLAB_URL", "http://from-env.test:9000/")
    monkeypatch.setenv("SGDLAB_API_KEY", "secret")
    rec = Recorder(httpx.Response(200, json=status_doc()))
    client = sc.Client(transport=httpx.MockTransport(rec))
    client.status("a/b")
    req = rec.requests[0]
    assert client.base_url == "http://from-env.test:9000"
    assert req.headers["Authorization"] == "Bearer secret"
    assert req.url.host == "from-env.test" and req.url.raw_path == b"/v1/jobs/a%2Fb"
    monkeypatch.delenv("SGDLAB_URL")
    monkeypatch.delenv("SGDLAB_API_KEY")
    plain = sc.Client(transport=httpx.MockTransport(rec))
    assert plain.base_url == "http://127.0.0.1:8000" and "Authorization" not in plain._http.headers


def test_pagination_follows_the_cursor():
    pages = {None: {"items": [status_doc(id="a"), status_doc(id="b")], "next_cursor": "c1"},
             "c1": {"items": [status_doc(id="c")], "next_cursor": "c2"},
             "c2": {"items": [status_doc(id="d", status="failed")], "next_cursor": None}}
    rec = Recorder(lambda r: httpx.Response(200, json=pages[r.url.params.get("cursor")]))
    client = mock_client(rec)
    assert [j.id for j in client.jobs.list(status="queued")] == ["a", "b", "c", "d"]
    assert [r.url.params.get("cursor") for r in rec.requests] == [None, "c1", "c2"]
    assert all(r.url.params["status"] == "queued" for r in rec.requests)
    rec.requests.clear()
    assert [j.id for j in client.jobs.list(limit=3)] == ["a", "b", "c"]
    assert len(rec.requests) == 2 and rec.requests[0].url.params["limit"] == "3"


def test_result_cancel_and_conflict():
    result = {"job_id": "j1", "seed": 1, "spec": {"kind": "simulation"},
              "basins": {"final": [{"basin": 0, "fraction": 0.7, "stderr": 0.01},
                                   {"basin": 1, "fraction": 0.3, "stderr": 0.01}]}}
    routes = {("GET", "/v1/jobs/j1/result"): httpx.Response(200, json=result),
              ("DELETE", "/v1/jobs/j1"): httpx.Response(200, json=status_doc(status="cancelled")),
              ("GET", "/v1/jobs/j2/result"): problem(409, "Job not finished", "job j2 is running")}
    client = mock_client(lambda r: routes[(r.method, r.url.path)])
    res = client.result("j1")
    assert isinstance(res, sc.SimulationResult) and res.basin_fractions() == {0: 0.7, 1: 0.3}
    assert client.cancel("j1").status == "cancelled"
    with pytest.raises(sc.ConflictError, match="job j2 is running"):
        client.result("j2")


def test_analyze_bodies():
    rec = Recorder(lambda r: httpx.Response(200, json={
        "/v1/landscapes/analyze": {"landscape": {"dim": 1, "minima": [], "saddles": [], "barriers": []},
                                   "theory": None},
        "/v1/markov-chains/analyze": {"stationary": [0.5, 0.5], "irreducible": True, "aperiodic": True}}[r.url.path]))
    client = mock_client(rec)
    client.analyze_landscape(landscapes.expression("w**2"), temperature=0.1, range=[(-2, 2)])
    client.analyze_markov_chain([[0.5, 0.5], [0.5, 0.5]], steps=5)
    assert rec.json_bodies() == [{"landscape": {"expression": "w**2"}, "temperature": 0.1, "range": [[-2, 2]]},
                                 {"transition_matrix": [[0.5, 0.5], [0.5, 0.5]], "steps": 5}]
