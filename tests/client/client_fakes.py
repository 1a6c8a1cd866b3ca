"""Fakes of the client tests: a recorded fake service on httpx.MockTransport."""

from __future__ import annotations

import json
from typing import Any, Callable

import httpx

STATUS_DOC = {"id": "j1", "kind": "simulation", "status": "queued", "progress": 0.0,
              "created_at": "2024-01-01T00:00:00Z", "started_at": None, "finished_at": None, "error": None,
              "links": {"self": "/v1/jobs/j1", "result": "/v1/jobs/j1/result", "events": "/v1/jobs/j1/events"}}


def status_doc(**changes: Any) -> dict[str, Any]:
    """A job status document with some fields changed."""
    return {**STATUS_DOC, **changes}


def problem(status: int, title: str, detail: str = "", errors: list | None = None) -> httpx.Response:
    """An RFC 9457 error response."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "errors": errors or []}
    return httpx.Response(status, content=json.dumps(body).encode(),
                          headers={"content-type": "application/problem+json"})


class Recorder:
    """A MockTransport handler that answers from a script of responses and records every request."""

    def __init__(self, *responses: Any):
        self.script = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        item = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(item, Exception):
            raise item
        if callable(item):
            return item(request)
        return item

    def json_bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


def mock_client(handler: Callable, **kwargs: Any):
    """A sync Client on a MockTransport."""
    from sgdlab_client import Client
    kwargs.setdefault("base_url", "http://sgdlab.test")
    return Client(transport=httpx.MockTransport(handler), **kwargs)


def mock_async_client(handler: Callable, **kwargs: Any):
    """An AsyncClient on a MockTransport."""
    from sgdlab_client import AsyncClient
    kwargs.setdefault("base_url", "http://sgdlab.test")
    return AsyncClient(transport=httpx.MockTransport(handler), **kwargs)


class RecordingTransport(httpx.BaseTransport):
    """A real HTTP transport that also keeps every request it sends and the status it got (for contract checks)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.exchanges: list[tuple[httpx.Request, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        response = self.inner.handle_request(request)
        self.exchanges.append((request, response.status_code))
        return response

    def close(self) -> None:
        self.inner.close()
