"""CPU-bound request work (building, differentiating and analysing landscapes) out of the API process.

Calls go to the request pool's worker processes, at most REQUEST_WORKERS at once; the others wait on their own
limiter, so they hold neither the GIL nor the threads that serve status reads, and /healthz never waits.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import OrderedDict
from typing import Callable, TypeVar

import anyio
from anyio import to_thread

from ..core.errors import SpecError
from ..jobs.request_pool import REQUEST_POOL, REQUEST_WORKERS

T = TypeVar("T")
REFUSALS_KEPT = 256  # refused requests remembered (by body and limits), so a repeat costs no worker time

_limiters: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter]" = \
    weakref.WeakKeyDictionary()


_refusals: "OrderedDict[tuple, SpecError]" = OrderedDict()
_refusals_lock = threading.Lock()


async def run_heavy(fn: Callable[..., T], *args, timeout: float, key: tuple | None = None) -> T:
    """fn(*args) in a request-pool process, killed after `timeout` seconds (RequestWorkTimeout).

    With a `key` (what determines the outcome: the request body and the limits), a SpecError is remembered
    and raised again at once for the same key, without sending the work to a worker."""
    if key is not None:
        with _refusals_lock:
            known = _refusals.get(key)
        if known is not None:
            raise known.copy()
    try:
        return await _in_pool(fn, args, timeout)
    except SpecError as exc:
        if key is not None:
            with _refusals_lock:
                _refusals[key] = exc
                while len(_refusals) > REFUSALS_KEPT:
                    _refusals.popitem(last=False)
        raise


async def _in_pool(fn: Callable[..., T], args: tuple, timeout: float) -> T:
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(REQUEST_WORKERS)
    return await to_thread.run_sync(REQUEST_POOL.call, fn, args, timeout, limiter=limiter)
