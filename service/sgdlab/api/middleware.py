"""ASGI middleware: a bounded request body (413), JSON-only bodies on /v1 (415), and HTTP metrics."""

from __future__ import annotations

import json
import time

from .problems import PROBLEM_JSON, Problem


async def _send_problem(send, p: Problem, path: str) -> None:
    body = json.dumps(p.document(path)).encode()
    await send({"type": "http.response.start", "status": p.status,
                "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
                + [(k.lower().encode(), v.encode()) for k, v in p.headers.items()]})
    await send({"type": "http.response.body", "body": body})


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
        sent = False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


class HttpMetrics:
    """Count requests and time them by method, route template and status (never by raw path or job id)."""

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
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.http_requests.labels(scope["method"], template, str(status[0])).inc()
            self.metrics.http_duration.labels(scope["method"], template).observe(time.perf_counter() - started)
