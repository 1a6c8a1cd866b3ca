"""The local executor: a forkserver process pool, one worker per core; progress and cancel via a manager dict."""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Callable

from ..work import JobWork
from . import WallTimeExceeded
from .polling import wait_for_tasks

REPORT_EVERY = 0.2


class WorkerDied(RuntimeError):
    """A worker process died mid-job; the job fails, the pool is replaced."""  # seconds between a worker's progress writes and cancel reads


class ManagerHooks:
    """Shard hooks that write progress to and read cancellation from manager-held dicts (rate-limited)."""

    def __init__(self, board, job_id: str, task: int):
        self.board, self.job_id, self.task = board, job_id, task
        self._last = 0.0
        self._cancelled = False

    def progress(self, shard: int, fraction: float) -> None:
        now = time.monotonic()
        if now - self._last >= REPORT_EVERY or fraction >= 1.0:
            self._last = now
            self.board[(self.job_id, self.task)] = fraction
            self._cancelled = bool(self.board.get((self.job_id, "cancel"), False))

    def cancelled(self) -> bool:
        return self._cancelled


WORKER_NICENESS = 5  # workers yield the CPU to the API process, so submissions stay fast under load


def _init_worker() -> None:
    try:
        os.nice(WORKER_NICENESS)
    except OSError:  # pragma: no cover - not permitted here: run at normal priority
        pass


def _warm_up() -> bool:
    return True


def _forget_when_done(board, job_id: str, futures: list) -> None:
    """Drop the job's progress and cancel entries once every task has stopped (not before: a cancelled task
    that is still running must go on seeing its cancel flag)."""
    left = [len(futures)]
    lock = threading.Lock()

    def done(_):
        with lock:
            left[0] -= 1
            last = left[0] == 0
        if last:
            for key in [(job_id, i) for i in range(len(futures))] + [(job_id, "cancel")]:
                try:
                    board.pop(key, None)
                except Exception:  # the manager is shutting down
                    pass

    for f in futures:
        f.add_done_callback(done)


def _call(fn, args, hooks):
    return fn(*args, hooks)


class LocalExecutor:
    """Runs tasks on a ProcessPoolExecutor (forkserver context)."""

    def __init__(self, workers: int):
        self.ctx = mp.get_context("forkserver")
        # workers fork from a server that has already imported the numerical stack: no per-worker import cost
        self.ctx.set_forkserver_preload(["sgdlab.jobs.worker_preload"])
        self.workers = workers
        self.manager = self.ctx.Manager()
        self.board = self.manager.dict()
        self._pool_lock = threading.Lock()
        self.pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=self.ctx, initializer=_init_worker)
        # start every worker now, so the first job does not pay for process start-up
        for f in [pool.submit(_warm_up) for _ in range(self.workers)]:
            f.result()
        return pool

    def _replace_broken_pool(self, broken: ProcessPoolExecutor) -> None:
        """A worker died (e.g. killed for memory): the pool is unusable, so start a new one (once)."""
        with self._pool_lock:
            if self.pool is broken:
                broken.shutdown(wait=False, cancel_futures=True)
                self.pool = self._new_pool()

    def run(self, work: JobWork, job_id: str, on_progress: Callable[[float], None], cancel: threading.Event,
            deadline: float) -> list:
        pool = self.pool
        try:
            return self._run(pool, work, job_id, on_progress, cancel, deadline)
        except BrokenProcessPool:
            self._replace_broken_pool(pool)
            raise WorkerDied("a worker process died while running this job (out of memory?); the pool was "
                             "restarted") from None

    def _run(self, pool, work: JobWork, job_id: str, on_progress, cancel, deadline) -> list:
        board = self.board
        futures, stop = self._feed(pool, work, job_id)

        def stop_all():
            board[(job_id, "cancel")] = True
            stop()

        _forget_when_done(board, job_id, futures)
        wait_for_tasks(futures, work.weights, lambda i: float(board.get((job_id, i), 0.0)),
                       lambda f: f.done(), on_progress, cancel, deadline, stop_all)
        return [f.result() for f in futures]

    def _feed(self, pool, work: JobWork, job_id: str) -> tuple[list[Future], Callable[[], None]]:
        """Submit the job's tasks `workers` at a time, the next as one finishes, so that the pool's FIFO queue
        interleaves concurrent jobs (a small job's shards do not wait behind all of a long job's).

        Returns one future per task (done when its task is) and a function that stops the feeding."""
        n = len(work.tasks)
        outer: list[Future] = [Future() for _ in range(n)]
        inner: list[Future] = []
        lock = threading.Lock()
        state = {"next": 0, "stopped": False}

        def submit_next() -> None:
            with lock:
                i = state["next"]
                if i >= n or state["stopped"]:
                    return
                state["next"] += 1
            fn, args = work.tasks[i]
            try:
                f = pool.submit(_call, fn, args, ManagerHooks(self.board, job_id, i))
            except Exception as exc:  # the pool broke or shut down
                outer[i].set_exception(exc)
                return
            with lock:
                inner.append(f)

            def relay(done: Future, i: int = i) -> None:
                if done.cancelled():
                    outer[i].cancel()
                elif done.exception() is not None:
                    outer[i].set_exception(done.exception())
                else:
                    outer[i].set_result(done.result())
                submit_next()

            f.add_done_callback(relay)

        def stop() -> None:
            """Never submit the rest; cancel what waits in the pool. A running task stops at its next chunk
            (the board's cancel flag) and its future completes then, so the flag outlives it."""
            with lock:
                state["stopped"] = True
                submitted = state["next"]
                started = list(inner)
            for f in started:
                f.cancel()
            for f in outer[submitted:]:
                f.cancel()

        for _ in range(min(self.workers, n)):
            submit_next()
        return outer, stop

    def values(self, handles: list) -> list:
        """`run` already returns the results themselves."""
        return handles

    def call(self, fn, *args, timeout: float | None = None):
        pool = self.pool
        try:
            return pool.submit(fn, *args).result(timeout=timeout)
        except FuturesTimeout:
            raise WallTimeExceeded("the job ran past its wall time while building its result") from None
        except BrokenProcessPool:
            self._replace_broken_pool(pool)
            raise WorkerDied("a worker process died while finishing this job; the pool was restarted") from None

    def ping(self) -> bool:
        pool = self.pool
        if getattr(pool, "_broken", False):
            self._replace_broken_pool(pool)
        return not getattr(self.pool, "_broken", False) and not getattr(self.pool, "_shutdown_thread", False)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        try:
            self.manager.shutdown()
        except Exception:  # pragma: no cover - best effort at exit
            pass
