"""Executors run a job's tasks: `local` (a process pool) or `dask` (a distributed cluster)."""

from __future__ import annotations

from typing import Callable, Protocol
import threading

from ..work import JobWork


class Executor(Protocol):
    """Runs a job's tasks in parallel, reporting progress and honouring cancellation and the deadline."""

    def run(self, work: JobWork, job_id: str, on_progress: Callable[[float], None],
            cancel: threading.Event, deadline: float) -> list:
        """The task results in task order (or handles on them that `call` accepts in their place, as the Dask
        executor's futures); raises Cancelled when cancelled, WallTimeExceeded past the deadline."""

    def call(self, fn: Callable, *args, timeout: float | None = None) -> object:
        """Run fn(*args) on a worker and return its value (keeps heavy finishing work off the API process)."""

    def ping(self) -> bool:
        """True when the executor can take work."""

    def close(self) -> None:
        """Release workers."""


class WallTimeExceeded(Exception):
    """A job ran past the configured wall time."""


def make_executor(settings) -> Executor:
    """The executor the settings ask for."""
    if settings.executor_kind == "dask":
        from .dask import DaskExecutor
        return DaskExecutor(settings.dask_address)
    from .local import LocalExecutor
    return LocalExecutor(settings.workers)
