"""AsyncClient over httpx.MockTransport: the same retry, error, idempotency, SSE and paging behaviour."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

import sgdlab_client as sc
from sgdlab_client import landscapes

from client_fakes import Recorder, mock_async_client, problem, status_doc

SPEC = sc.simulation(landscapes.expression("w**4/4 - w**2/2"), 0.01, particles=10, steps=5)


def run(coro):
    return asyncio.run(coro)


def test_async_submit_retries_with_one_key_and_honours_retry_after(sleeps):
    busy = problem(429, "Too many jobs")
    busy.headers["Retry-After"] = "5"
    rec = Recorder(httpx.ConnectError("refused"), busy, httpx.Response(202, json=status_doc()))

    async def go():
        async with mock_async_client(rec) as client:
            return await client.submit(SPEC)

    job = run(go())
    assert job.id == "j1"
    assert len({r.headers["Idempotency-Key"] for r in rec.requests}) == 1 and len(rec.requests) == 3
    assert len(sleeps) == 2 and sleeps[1] == 5.0 and 0 <= sleeps[0] <= 0.25


@pytest.mark.parametrize("status, cls", [(401, sc.AuthenticationError), (404, sc.NotFoundError),
                                         (409, sc.ConflictError), (422, sc.ValidationError),
                                         (429, sc.RateLimitError), (503, sc.ServerError)])
def test_async_error_mapping(status, cls):
    async def go():
        async with mock_async_client(Recorder(problem(status, "t")), max_retries=0) as client:
            await client.result("j1")

    with pytest.raises(cls):
        run(go())


def test_async_connection_error_is_readable(sleeps):
    async def go():
        async with mock_async_client(Recorder(httpx.ConnectError("refused")), max_retries=2) as client:
            await client.landscapes()

    with pytest.raises(sc.ConnectionError, match="cannot reach sgdlab"):
        run(go())
    assert len(sleeps) == 2


def test_async_pagination_and_wait_via_sse():
    pages = {None: {"items": [status_doc(id="a")], "next_cursor": "x"},
             "x": {"items": [status_doc(id="b")], "next_cursor": None}}
    events = ("event: progress\ndata: " + json.dumps({"id": "j1", "status": "running", "progress": 0.5}) +
              "\n\nevent: status\ndata: " + json.dumps(status_doc(status="succeeded", progress=1.0)) + "\n\n")

    def handler(r: httpx.Request) -> httpx.Response:
        if r.url.path == "/v1/jobs" and r.method == "GET":
            return httpx.Response(200, json=pages[r.url.params.get("cursor")])
        if r.url.path.endswith("/events"):
            return httpx.Response(200, content=events.encode())
        return httpx.Response(202, json=status_doc())

    async def go():
        async with mock_async_client(handler) as client:
            ids = [j.id async for j in client.jobs.list()]
            job = await client.submit(SPEC)
            seen = [e.progress async for e in job.events()]
            final = await job.wait()
            return ids, seen, final

    ids, seen, final = run(go())
    assert ids == ["a", "b"] and seen == [0.5, 1.0] and final.status == "succeeded"


def test_async_wait_polls_when_the_stream_is_missing(sleeps):
    polls = iter([status_doc(status="running"), status_doc(status="succeeded", progress=1.0)])

    def handler(r: httpx.Request) -> httpx.Response:
        if r.url.path.endswith("/events"):
            raise httpx.RemoteProtocolError("stream broke")
        return httpx.Response(200, json=next(polls))

    async def go():
        async with mock_async_client(handler) as client:
            job = sc.AsyncJob(client, sc.JobStatus.model_validate(status_doc()))
            return await job.wait(poll_interval=0.1)

    assert run(go()).status == "succeeded" and sleeps == [0.1]
