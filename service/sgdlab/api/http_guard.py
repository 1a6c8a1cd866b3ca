"""The HTTP connection guard of `sgdlab serve`: read timeouts, a connection cap and rate-limited accept-error logs.

uvicorn times out idle keep-alive connections only; a client that sends half its headers, or a Content-Length
larger than the body it sends, would hold a connection (and a file descriptor) forever. `guarded_protocol` is
uvicorn's h11 protocol with two deadlines per request (headers, then body) answered with a 408 problem document,
and a cap on open connections: one over the cap is closed at once, before it costs anything.
"""

from __future__ import annotations

import json
import logging
import resource
import time
from dataclasses import dataclass

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .problems import PROBLEM_JSON, Problem

FD_RESERVE = 128
"""File descriptors kept free for the store, the worker pools and logs when capping connections."""


@dataclass(frozen=True)
class ConnectionLimits:
    """Deadlines (seconds) and the cap on open connections of one server."""

    header_timeout: float
    body_timeout: float
    max_connections: int


def fd_capped(max_connections: int) -> int:
    """`max_connections`, lowered to leave FD_RESERVE descriptors under the process's open-file limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return max_connections
    return max(1, min(max_connections, soft - FD_RESERVE))


def timeout_response(what: str, setting: str, seconds: float) -> bytes:
    """A complete HTTP/1.1 408 response (problem document, Connection: close), written straight to the socket."""
    doc = Problem(408, "Request Timeout", f"the request {what} did not arrive within {setting}={seconds:g} s",
                  "request-timeout", limit=setting, limit_value=seconds).document()
    body = json.dumps(doc).encode()
    head = (f"HTTP/1.1 408 Request Timeout\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {len(body)}\r\n"
            "connection: close\r\n\r\n").encode()
    return head + body


def guarded_protocol(limits: ConnectionLimits) -> type[H11Protocol]:
    """uvicorn's h11 protocol with header and body deadlines and a connection cap (`limits`)."""

    class GuardedH11Protocol(H11Protocol):
        """One connection: a deadline runs while a request's headers, then its body, are being received."""

        _deadline = None
        _phase = "headers"

        def connection_made(self, transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                transport.abort()  # frees the descriptor now; connection_lost cleans up
                return
            self._arm("headers")

        def data_received(self, data: bytes) -> None:
            if self._deadline is None and self.conn.their_state is h11.IDLE:
                self._arm("headers")  # the first bytes of the next request on a kept-alive connection
            super().data_received(data)
            state = self.conn.their_state
            if state is h11.SEND_BODY and self._phase == "headers":
                self._arm("body")
            elif state not in (h11.IDLE, h11.SEND_BODY):
                self._disarm()  # the whole request is in (or the connection is closing)

        def connection_lost(self, exc) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self, phase: str) -> None:
            self._disarm()
            self._phase = phase
            seconds = limits.header_timeout if phase == "headers" else limits.body_timeout
            self._deadline = self.loop.call_later(seconds, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if self.transport is None or self.transport.is_closing():
                return
            cycle = self.cycle if self._phase == "body" else None
            if cycle is None or not cycle.response_started:
                if self._phase == "headers":
                    self.transport.write(timeout_response("headers", "http_header_timeout", limits.header_timeout))
                else:
                    self.transport.write(timeout_response("body", "http_body_timeout", limits.body_timeout))
            if cycle is not None:  # the app waiting on the body gets http.disconnect and answers nothing more
                cycle.disconnected = True
                cycle.message_event.set()
            self.transport.close()

    return GuardedH11Protocol


class RateLimitFilter(logging.Filter):
    """Let one record per message through every `interval` seconds; say how many were dropped in between.

    Without it, a flood of refused connections ("socket.accept() out of system resource", "Exceeded concurrency
    limit.") writes a log line per attempt."""

    def __init__(self, interval: float = 10.0, clock=time.monotonic):
        super().__init__()
        self.interval, self.clock = interval, clock
        self._last: dict[str, float] = {}
        self._dropped: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = f"{record.name}:{record.msg}"[:200]
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._dropped[key] = self._dropped.get(key, 0) + 1
            return False
        self._last[key] = now
        dropped = self._dropped.pop(key, 0)
        if dropped:
            record.msg = f"{record.msg} ({dropped} similar messages dropped in the last {self.interval:g} s)"
        if len(self._last) > 1000:  # bounded: forget the oldest keys
            for k in sorted(self._last, key=self._last.get)[:500]:
                self._last.pop(k, None)
        return True


def rate_limit_server_logs(interval: float = 10.0) -> RateLimitFilter:
    """Install one RateLimitFilter on the loggers that log per refused or broken connection."""
    f = RateLimitFilter(interval)
    for name in ("asyncio", "uvicorn.error"):
        logging.getLogger(name).addFilter(f)
    return f
