"""A small process pool for CPU-bound request work (building, differentiating and analysing landscapes).

It keeps that work out of the API process: SymPy and the analysis hold the GIL, and in the API process they
made /healthz and status reads wait. Each call has a hard time limit: past it the pool's processes are killed
and replaced (a SymPy call cannot be interrupted any other way), and the caller gets RequestWorkTimeout.
Errors raised by the work (SpecError, LimitExceeded, problems) come back as the same exception type.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

from .executors.local import _init_worker as lower_priority

REQUEST_WORKERS = 2


class RequestWorkTimeout(Exception):
    """Request work ran past its hard time limit; its worker was killed."""


def _captured(fn: Callable[..., Any], args: tuple) -> tuple[str, Any]:
    """Run fn(*args) in the worker; an exception travels as (type, attributes, args), whatever its __init__."""
    try:
        return "ok", fn(*args)
    except Exception as exc:  # re-raised as the same type in the API process
        return "error", (type(exc), dict(exc.__dict__), exc.args)


def _rebuilt(kind: type, attrs: dict, args: tuple) -> Exception:
    exc = kind.__new__(kind)
    Exception.__init__(exc, *args)
    exc.__dict__.update(attrs)
    return exc


class RequestPool:
    """`workers` forkserver processes (numerical stack preloaded); `call` runs one function with a time limit."""

    def __init__(self, workers: int = REQUEST_WORKERS):
        self.workers = workers
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                ctx = mp.get_context("forkserver")
                ctx.set_forkserver_preload(["sgdlab.jobs.worker_preload"])
                self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx,
                                                 initializer=lower_priority)
            return self._pool

    def _replace(self, pool: ProcessPoolExecutor, kill: bool) -> None:
        """Drop `pool` (killing its processes when asked); the next call starts a fresh one."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        processes = list((getattr(pool, "_processes", None) or {}).values())
        if kill:
            for proc in processes:
                proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        if kill:
            for proc in processes:
                proc.join(timeout=5)

    def call(self, fn: Callable[..., Any], args: tuple, timeout: float) -> Any:
        """fn(*args) in a worker process; RequestWorkTimeout after `timeout` seconds (the worker is killed)."""
        for attempt in (0, 1):
            pool = self._current()
            try:
                status, value = pool.submit(_captured, fn, args).result(timeout=timeout)
            except FuturesTimeout:
                self._replace(pool, kill=True)
                raise RequestWorkTimeout(f"the work took longer than {timeout:g} s") from None
            except BrokenProcessPool:   # another call's timeout killed this pool (or a worker died): once more
                self._replace(pool, kill=False)
                if attempt:
                    raise
                continue
            if status == "error":
                raise _rebuilt(*value)
            return value
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop the workers (killed: they hold no state, and one may be deep in SymPy)."""
        with self._lock:
            pool = self._pool
        if pool is not None:
            self._replace(pool, kill=True)


REQUEST_POOL = RequestPool()
atexit.register(REQUEST_POOL.close)
