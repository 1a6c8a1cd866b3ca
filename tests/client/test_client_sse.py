"""SSE decoding, the events stream and Job.wait (SSE first, polling fallback, timeout, failure)."""

from __future__ import annotations

import io
import json

import httpx
import pytest

import sgdlab_client as sc
from sgdlab_client.progress import ProgressBar, format_bar
from sgdlab_client.sse import SSEDecoder, iter_events

from client_fakes import Recorder, mock_client, problem, status_doc


def sse_body(*events: tuple[str, dict]) -> bytes:
    """An SSE stream: each event as `event:` and `data:` lines and a blank line, CRLF and comments mixed in."""
    out = [": keep-alive\r\n\r\n"]
    for name, data in events:
        out.append(f"event: {name}\r\ndata: {json.dumps(data)}\r\n\r\n")
    return "".join(out).encode()


def progress(p: float, status: str = "running") -> tuple[str, dict]:
    return ("progress", {"id": "j1", "status": status, "progress": p})


def test_decoder_follows_the_whatwg_rules():
    lines = [": comment", "event: progress", "data: {\"a\":", "data:1}", "id: 7", "retry: 1500", "",
             "data:  two spaces", "", "event: lonely", "data: x"]
    events = list(iter_events(lines))
    assert [e.event for e in events] == ["progress", "message"]
    assert events[0].data == '{"a":\n1}' and events[0].id == "7" and events[0].retry == 1500
    assert events[1].data == " two spaces" and events[1].id == "7"  # id persists; one leading space stripped
    dec = SSEDecoder()
    assert dec.feed("data: x\r\n") is None and dec.feed("\r\n").data == "x"


def test_events_stream_yields_typed_events():
    body = sse_body(progress(0.25), ("ping", {}), progress(0.5),
                    ("status", status_doc(status="succeeded", progress=1.0)))
    rec = Recorder(httpx.Response(200, content=body, headers={"content-type": "text/event-stream"}))
    events = list(mock_client(rec).events("j1"))
    assert [type(e).__name__ for e in events] == ["ProgressEvent", "ProgressEvent", "JobStatus"]
    assert [e.progress for e in events] == [0.25, 0.5, 1.0] and events[-1].finished
    assert rec.requests[0].headers["Accept"] == "text/event-stream"


def test_wait_uses_the_stream_and_draws_progress(capsys):
    body = sse_body(progress(0.0, "queued"), progress(0.5), ("status", status_doc(status="succeeded", progress=1.0)))
    rec = Recorder(lambda r: httpx.Response(200, content=body) if r.url.path.endswith("/events")
                   else httpx.Response(500))
    job = sc.Job(mock_client(rec), sc.JobStatus.model_validate(status_doc()))
    final = job.wait(progress=True)
    assert final.status == "succeeded" and job.last_status is final
    assert [r.url.path for r in rec.requests] == ["/v1/jobs/j1/events"]  # no polling needed
    err = capsys.readouterr().err
    assert "100.0%" in err and "succeeded" in err and err.endswith("\n")


def test_wait_falls_back_to_polling_when_the_stream_fails(sleeps):
    polls = iter([status_doc(status="running", progress=0.3), status_doc(status="running", progress=0.6),
                  status_doc(status="succeeded", progress=1.0)])

    def handler(r: httpx.Request) -> httpx.Response:
        if r.url.path.endswith("/events"):
            return problem(404, "Not Found")
        return httpx.Response(200, json=next(polls))

    job = sc.Job(mock_client(handler), sc.JobStatus.model_validate(status_doc()))
    assert job.wait(progress=False, poll_interval=0.2).status == "succeeded"
    assert sleeps == [0.2, pytest.approx(0.3)]  # interval grows by 1.5 between polls


def test_wait_falls_back_when_the_stream_ends_without_a_status(sleeps):
    def handler(r: httpx.Request) -> httpx.Response:
        if r.url.path.endswith("/events"):
            return httpx.Response(200, content=sse_body(progress(0.4)))
        return httpx.Response(200, json=status_doc(status="cancelled"))

    job = sc.Job(mock_client(handler), sc.JobStatus.model_validate(status_doc()))
    assert job.wait(progress=False).status == "cancelled"


def test_wait_raises_on_failure_with_the_problem():
    failed = status_doc(status="failed", error={"type": "about:blank", "title": "Job failed", "status": 500,
                                                "detail": "diverged at step 12"})
    rec = Recorder(lambda r: httpx.Response(200, content=sse_body(("status", failed))) if r.url.path.endswith("/events")
                   else httpx.Response(200, json=failed))
    job = sc.Job(mock_client(rec), sc.JobStatus.model_validate(status_doc()))
    with pytest.raises(sc.JobFailedError, match="diverged at step 12") as info:
        job.wait(progress=False)
    assert info.value.job.status == "failed"
    assert job.wait(progress=False, raise_on_failure=False).status == "failed"


def test_wait_times_out(monkeypatch, sleeps):
    clock = iter(range(0, 1000, 5))
    monkeypatch.setattr("sgdlab_client._sync.time.monotonic", lambda: float(next(clock)))
    rec = Recorder(lambda r: problem(404, "nope") if r.url.path.endswith("/events")
                   else httpx.Response(200, json=status_doc(status="running")))
    job = sc.Job(mock_client(rec), sc.JobStatus.model_validate(status_doc()))
    with pytest.raises(sc.TimeoutError, match="not finished"):
        job.wait(timeout=12, progress=False)


def test_progress_bar_rendering():
    assert format_bar(0.5, 10) == "[#####.....]" and format_bar(7, 4) == "[####]" and format_bar(-1, 2) == "[..]"
    t = iter([0.0, 0.0, 0.01, 0.5, 1.0, 61.0])
    out = io.StringIO()
    bar = ProgressBar("job", stream=out, width=10, min_interval=0.1, clock=lambda: next(t))
    bar.update(0.1, "running")   # drawn (status changed)
    bar.update(0.2)              # throttled
    bar.update(0.05)             # drawn; progress never goes backwards
    bar.update(0.9, "running")
    bar.close("succeeded")
    frames = out.getvalue().split("\r")[1:]
    assert len(frames) == 4
    assert "[##........]  20.0% running" in frames[1]
    assert frames[-1].startswith("job [##########] 100.0% succeeded") and frames[-1].endswith("01:01\n")
