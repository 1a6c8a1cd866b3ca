"""ASGI middleware: a bounded request body (413), JSON-only bodies on /v1 (415), HTTP metrics, and a 503 (not a
500) for a request cut off by shutdown."""

from __future__ import annotations

import asyncio
import json
import re
import time

from .problems import PROBLEM_JSON, Problem


async def _send_problem(send, p: Problem, path: str) -> None:
    body = json.dumps(p.document(path)).encode()
    await send({"type": "http.response.start", "status": p.status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
                + [(k.lower().encode(), v.encode()) for k, v in p.headers.items()]})
    await send({"type": "http.response.body", "body": body})


def replaying(body: bytes, receive):
    """A `receive` that gives the already-read `body` once, then defers to the server's."""
    sent = False

    async def replay():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class BodyGuard:
    """Refuse bodies over `max_bytes` (413) and non-JSON bodies on /v1 writes (415) before any handler reads them."""

    def __init__(self, app, max_bytes: int, route_limits: dict[str, tuple[str, int]] | None = None):
        self.app, self.max_bytes = app, max_bytes
        self.route_limits = route_limits or {}  # path -> (limit name, bytes) replacing max_body_bytes there

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        path = scope.get("path", "")
        limit_name, max_bytes = self.route_limits.get(path, ("max_body_bytes", self.max_bytes))
        too_big = Problem(413, "Payload Too Large", f"the request body exceeds {limit_name}={max_bytes}",
                          "payload-too-large", limit=limit_name, limit_value=max_bytes)
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > max_bytes:
            return await _send_problem(send, too_big, path)
        ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if path.startswith("/v1/") and ctype not in (b"application/json", b"application/problem+json") \
                and not ctype.endswith(b"+json"):
            return await _send_problem(send, Problem(
                415, "Unsupported Media Type", f"send the body as application/json (got '{ctype.decode() or 'none'}')",
                "unsupported-media-type", errors=[{"field": "Content-Type", "message": "must be application/json"}]),
                path)
        # buffer the body, counting bytes, so a lying or missing Content-Length cannot get past the bound
        chunks, size = [], 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > max_bytes:
                return await _send_problem(send, too_big, path)
            chunks.append(chunk)
            if not msg.get("more_body", False):
                break
        body = b"".join(chunks)
        return await self.app(scope, replaying(body, receive), send)


HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"
"""The `method` label of every method name outside HTTP_METHODS (any token is a valid method name)."""
UNMATCHED_ROUTE = "unmatched"
"""The `route` label of every request no route matched."""


def metric_labels(scope) -> tuple[str, str]:
    """(method, route) labels of a request: both from bounded sets, whatever the client sends."""
    method = scope.get("method", "")
    route = getattr(scope.get("route"), "path", None)
    return (method if method in HTTP_METHODS else OTHER_METHOD), (route or UNMATCHED_ROUTE)


class HttpMetrics:
    """Count requests and time them by method, route template and status (never by raw path or job id): unknown
    methods and unmatched paths each share one label value, so clients cannot grow the series."""

    def __init__(self, app, metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status = [500]

        async def send_wrapper(msg):
            if msg["type"] == "http.response.start":
                status[0] = msg["status"]
            await send(msg)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            method, template = metric_labels(scope)
            self.metrics.http_requests.labels(method, template, str(status[0])).inc()
            self.metrics.http_duration.labels(method, template).observe(time.perf_counter() - started)


class ShutdownAnswers503:
    """A request still unanswered when shutdown cancels it gets a 503 problem document (uvicorn would send a 500)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def send_wrapper(msg):
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, receive, send_wrapper)
        except asyncio.CancelledError:
            if started:
                raise
            await _send_problem(send, Problem(503, "Service Unavailable", "the server is shutting down; retry "
                                              "the request", "shutting-down",
                                              headers={"Retry-After": "5", "Connection": "close"}),
                                scope.get("path", ""))


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def lone_surrogate_path(value, path: str = "") -> str | None:
    """The field path of the first string (or key) holding a lone UTF-16 surrogate, or None (iterative walk)."""
    stack = [(path, value)]
    while stack:
        where, v = stack.pop()
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return where or "body"
        elif isinstance(v, dict):
            for k, item in v.items():
                sub = f"{where}.{k}" if where else str(k)
                try:
                    k.encode("utf-8")
                except UnicodeEncodeError:
                    return where or "body"
                stack.append((sub, item))
        elif isinstance(v, list):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(v))
    return None


class LoneSurrogates:
    """422 for a JSON body whose strings hold a lone UTF-16 surrogate ("\\ud800"): it is valid JSON but not text,
    and would fail wherever the string is encoded (the store, a response). Scanned only when such an escape appears."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        chunks = []
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunks.append(msg.get("body", b""))
            if not msg.get("more_body", False):
                break
        body = b"".join(chunks)
        if _SURROGATE_ESCAPE.search(body):
            try:
                where = lone_surrogate_path(json.loads(body))
            except (ValueError, RecursionError):
                where = None  # not JSON: the route's own parsing answers
            if where is not None:
                message = "contains a lone UTF-16 surrogate (\\ud800-\\udfff), which is not text"
                return await _send_problem(send, Problem(422, "Validation Error", f"{where}: {message}", "validation",
                                                         errors=[{"field": where, "message": message}]),
                                           scope.get("path", ""))
        return await self.app(scope, replaying(body, receive), send)
