"""The Dask executor: shards go to a distributed cluster (a real scheduler and workers).

Progress is per shard, from Dask variables the shards set (rate-limited); cancellation is a Dask variable the shards
read between chunks, plus cancelling the futures.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

from ..work import JobWork
from .polling import wait_for_tasks

REPORT_EVERY = 0.5


class DaskHooks:
    """Shard hooks that talk to the scheduler through named distributed Variables."""

    def __init__(self, job_id: str, task: int):
        self.job_id, self.task = job_id, task
        self._last = 0.0
        self._cancelled = False

    def _var(self, name: str):
        from distributed import Variable
        return Variable(f"sgdlab-{self.job_id}-{name}")

    def progress(self, shard: int, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last < REPORT_EVERY and fraction < 1.0:
            return
        self._last = now
        try:
            self._var(f"progress-{self.task}").set(fraction)
            self._cancelled = bool(self._var("cancel").get(timeout=1))
        except Exception:  # the scheduler is slow or the variable unset: keep running
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
        from distributed import Variable
        cancel_var = Variable(f"sgdlab-{job_id}-cancel", client=self.client)
        cancel_var.set(False)
        prog = [Variable(f"sgdlab-{job_id}-progress-{i}", client=self.client) for i in range(len(work.tasks))]
        futures = [self.client.submit(_call, fn, args, DaskHooks(job_id, i), pure=False)
                   for i, (fn, args) in enumerate(work.tasks)]
        cache = [0.0] * len(futures)
        last = [0.0]

        def progress_of(i: int) -> float:
            now = time.monotonic()
            if now - last[0] > 1.0:
                last[0] = now
                for k, v in enumerate(prog):
                    try:
                        cache[k] = float(v.get(timeout=0.2))
                    except Exception:
                        pass
            return cache[i]

        def stop_all():
            cancel_var.set(True)
            self.client.cancel(futures)

        try:
            wait_for_tasks(futures, work.weights, progress_of, lambda f: f.done(), on_progress, cancel, deadline,
                           stop_all)
            return self.client.gather(futures)
        finally:
            for v in prog + [cancel_var]:
                try:
                    v.delete()
                except Exception:
                    pass

    def ping(self) -> bool:
        try:
            return self.client.status == "running"
        except Exception:
            return False

    def close(self) -> None:
        self.client.close()
