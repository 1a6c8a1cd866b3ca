"""The Dask executor: shards go to a distributed cluster (a real scheduler and real workers).

Cancellation is a named `distributed.Event` that each shard polls between chunks (at most every REPORT_EVERY
seconds), plus cancelling the futures. Progress goes the other way through a named `distributed.Queue`: each
shard puts (task, fraction) at most every REPORT_EVERY seconds and the executor drains it while it waits.

Shard records stay on the workers: `run` returns the shards' futures and `call` passes them to the finishing task,
which the cluster runs with the records fetched worker to worker. The API process sends only the small task
specs and receives only the result document (a 50k-particle job's records are 41 MiB with a fine loss trace).
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from ..work import JobWork
from . import WallTimeExceeded
from .polling import wait_for_tasks

REPORT_EVERY = 0.5


def _event_name(job_id: str) -> str:
    return f"sgdlab-cancel-{job_id}"


def _queue_name(job_id: str) -> str:
    return f"sgdlab-progress-{job_id}"


class DaskHooks:
    """Shard hooks that read the job's cancellation Event from the scheduler (rate-limited)."""

    def __init__(self, job_id: str, task: int):
        self.job_id, self.task = job_id, task
        self._last = 0.0
        self._cancelled = False

    def progress(self, shard: int, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last < REPORT_EVERY:
            return
        self._last = now
        try:
            from distributed import Event, Queue
            Queue(_queue_name(self.job_id)).put((self.task, fraction))
            self._cancelled = Event(_event_name(self.job_id)).is_set()
        except Exception:  # the scheduler is busy: keep running, ask again later
            pass

    def cancelled(self) -> bool:
        return self._cancelled


def _call(fn, args, hooks):
    return fn(*args, hooks)


class DaskExecutor:
    """Runs tasks on a distributed.Client connected to `address`."""

    def __init__(self, address: str):
        from distributed import Client
        self.client = Client(address, timeout="30s", set_as_default=False)

    def run(self, work: JobWork, job_id: str, on_progress: Callable[[float], None], cancel: threading.Event,
            deadline: float) -> list:
        """The shards' futures in task order, all finished; their records stay on the workers (pass the list to
        `call`). Raises a task's own exception when it failed."""
        from distributed import Event, Queue
        stop = Event(_event_name(job_id), client=self.client)
        stop.clear()
        progress_queue = Queue(_queue_name(job_id), client=self.client)
        fractions = [0.0] * len(work.tasks)
        futures = [self.client.submit(_call, fn, args, DaskHooks(job_id, i), pure=False)
                   for i, (fn, args) in enumerate(work.tasks)]

        drained = [0.0]

        def progress_of(i: int) -> float:
            if time.monotonic() - drained[0] > 0.2:  # drain once per poll of the wait loop
                drained[0] = time.monotonic()
                try:
                    while progress_queue.qsize():
                        for task, fraction in progress_queue.get(batch=True, timeout=1):
                            fractions[task] = max(fractions[task], float(fraction))
                except Exception:
                    pass
            return fractions[i]

        def stop_all():
            stop.set()
            self.client.cancel(futures)

        try:
            wait_for_tasks(futures, work.weights, progress_of, lambda f: f.done(), on_progress, cancel, deadline,
                           stop_all)
            for future in futures:
                if future.status != "finished":
                    future.result()  # raises the task's exception (or CancelledError) here
            return futures
        finally:
            try:
                progress_queue.close()
            except Exception:
                pass

    def call(self, fn, *args, timeout: float | None = None):
        """fn(*args) on a worker; futures among the arguments (the shards of `run`) arrive there as their results."""
        from distributed import TimeoutError as DaskTimeout
        future = self.client.submit(fn, *args, pure=False)
        try:
            return future.result(timeout=timeout)
        except (DaskTimeout, TimeoutError):
            self.client.cancel([future])
            raise WallTimeExceeded("the job ran past its wall time while building its result") from None

    def ping(self) -> bool:
        try:
            return self.client.status == "running"
        except Exception:
            return False

    def close(self) -> None:
        self.client.close()
