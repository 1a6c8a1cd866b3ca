"""The wait loop both executors share: poll futures, report weighted progress, stop on cancel or deadline."""

from __future__ import annotations

import threading
import time
from typing import Callable

from ...core.errors import Cancelled
from . import WallTimeExceeded


def wait_for_tasks(futures: list, weights: list[float], task_progress: Callable[[int], float],
                   is_done: Callable[[object], bool], on_progress: Callable[[float], None],
                   cancel: threading.Event, deadline: float, stop_all: Callable[[], None],
                   interval: float = 0.25) -> None:
    """Block until every future is done; raise Cancelled or WallTimeExceeded (after `stop_all`) otherwise.

    A finishing task wakes the loop at once (a small job does not wait out the poll `interval`, which only
    paces progress reports and the cancel and deadline checks)."""
    finished = threading.Event()
    for f in futures:
        f.add_done_callback(lambda _f: finished.set())
    while True:
        finished.clear()
        done = [is_done(f) for f in futures]
        frac = sum(w * (1.0 if d else task_progress(i)) for i, (w, d) in enumerate(zip(weights, done)))
        on_progress(min(frac, 1.0))
        if all(done):
            return
        if cancel.is_set():
            stop_all()
            raise Cancelled("cancelled")
        if time.time() > deadline:
            stop_all()
            raise WallTimeExceeded("the job ran past its wall time")
        finished.wait(interval)
