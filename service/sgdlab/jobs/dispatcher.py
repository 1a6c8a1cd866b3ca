"""The dispatcher: takes queued jobs in order, runs them on the executor, writes progress, results and failures."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from ..core.errors import Cancelled, SpecError
from ..spec import ANY_JOB_REQUEST
from .executors import Executor, WallTimeExceeded
from ..problem_documents import failure_problem
from .store import JobStore
from .sweep_work import POINTS_IN_FLIGHT_PER_WORKER, run_sweep
from .work import preparation

log = logging.getLogger("sgdlab.dispatcher")
ANALYSIS_PROGRESS = 0.02  # progress reported once the first phase (landscape analysis, planning) is done


class Dispatcher:
    """`concurrent_jobs` threads, each claiming the oldest queued job and running it to its end."""

    def __init__(self, store: JobStore, executor: Executor, settings, metrics=None):
        self.store, self.executor, self.settings, self.metrics = store, executor, settings, metrics
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._cancels: dict[str, threading.Event] = {}
        self._owners: dict[str, str] = {}          # running job id -> owner
        self._lock = threading.Lock()

    def start(self) -> None:
        """Requeue what a crash left running, then start the worker threads."""
        n = self.store.requeue_running()
        if n:
            log.info("requeued jobs left running by a previous process", extra={"requeued": n})
        for i in range(self.settings.concurrent_jobs):
            t = threading.Thread(target=self._loop, name=f"sgdlab-dispatch-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        """Stop taking jobs; running ones are cancelled in the executor and go back to the queue."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            for ev in self._cancels.values():
                ev.set()
        for t in self._threads:
            t.join(timeout=10)
        self.store.requeue_running()

    def notify(self) -> None:
        """A job was queued: wake an idle thread."""
        self._wake.set()

    def cancel(self, job_id: str) -> None:
        """Stop a running job at its next chunk boundary (the store already says `cancelled`)."""
        with self._lock:
            ev = self._cancels.get(job_id)
        if ev is not None:
            ev.set()

    def _claim(self):
        """The oldest queued job whose owner holds fewer than `per_owner` running jobs (fair share: with two or
        more slots, one key's long jobs always leave a slot for another key's job)."""
        per_owner = max(1, self.settings.concurrent_jobs - 1)
        with self._lock:
            held: dict[str, int] = {}
            for owner in self._owners.values():
                held[owner] = held.get(owner, 0) + 1
            job = self.store.claim_next(skip_owners=[o for o, n in held.items() if n >= per_owner])
            if job is not None:
                self._owners[job.id] = job.owner
            return job

    def _loop(self) -> None:
        while not self._stop.is_set():
            job = self._claim()
            if job is None:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            try:
                self._run(job)
            except Exception:  # never let one job kill the dispatcher
                log.exception("dispatcher error", extra={"job_id": job.id})
            finally:
                with self._lock:
                    self._owners.pop(job.id, None)
                self._wake.set()      # a slot is free: a job skipped for fair share may go now

    def _run(self, job) -> None:
        ev = threading.Event()
        with self._lock:
            self._cancels[job.id] = ev
        current = self.store.get(job.id)
        if current is None or current.status != "running":  # cancelled between the claim and now
            ev.set()
        started = time.time()
        if self.metrics:
            created = datetime.fromisoformat(job.created_at.replace("Z", "+00:00")).timestamp()
            self.metrics.queue_wait.observe(max(0.0, started - created))
        log.info("job started", extra={"job_id": job.id, "kind": job.kind, "attempt": job.attempts})
        last_write = [0.0]

        def on_progress(p: float) -> None:
            now = time.monotonic()
            if now - last_write[0] >= self.settings.progress_interval:
                last_write[0] = now
                self.store.set_progress(job.id, p)

        status, result, error = "failed", None, None
        try:
            spec = ANY_JOB_REQUEST.validate_python(job.spec)
            deadline = started + self.settings.limits.job_wall_seconds
            if spec.kind == "sweep":  # its points run as sub-jobs on the same executor (jobs/sweep_work.py)
                result = run_sweep(self.executor, self.store, spec, job.id, job.attempts, self.settings.limits,
                                   on_progress, ev, deadline, self.settings.workers * POINTS_IN_FLIGHT_PER_WORKER)
                work = None
            else:
                # phase 1 on a worker: build and analyse the landscape, plan the shards (never in the API process)
                work = self.executor.values(self.executor.run(preparation(spec, self.settings.limits), job.id,
                                                              lambda p: on_progress(ANALYSIS_PROGRESS * p), ev,
                                                              deadline))[0]
                results = self.executor.run(work, job.id,
                                            lambda p: on_progress(ANALYSIS_PROGRESS + (1 - ANALYSIS_PROGRESS) * p),
                                            ev, deadline)
                result = self.executor.call(work.finish, results, time.time() - started, job.id,
                                            timeout=max(1.0, deadline - time.time()))
            status = "succeeded"
            if self.metrics:
                self.metrics.particle_steps.inc((work and work.particle_steps) or result.get("performance", {}).get(
                    "particle_steps", 0))
        except Cancelled:
            if self._stop.is_set():
                log.info("job interrupted by shutdown; requeued", extra={"job_id": job.id})
                return
            status = "cancelled"
        except WallTimeExceeded:
            error = failure_problem("wall-time", "Job exceeded its wall time",
                                    f"the job ran longer than job_wall_seconds="
                                    f"{self.settings.limits.job_wall_seconds:g}", 422)
        except SpecError as e:
            error = failure_problem("validation", "Invalid job", str(e), 422, field=e.field)
        except Exception as e:  # a bug or a broken worker: record it, never lose the job silently
            log.exception("job failed", extra={"job_id": job.id})
            error = failure_problem("job-failed", "Job failed", f"{type(e).__name__}: {e}", 500)
        finally:
            with self._lock:
                self._cancels.pop(job.id, None)
        if status != "cancelled":
            try:
                self.store.finish(job.id, status, result, error)
            except Exception as e:  # a result the store cannot hold must not leave the job running forever
                log.exception("could not store the result", extra={"job_id": job.id})
                self.store.finish(job.id, "failed", None, failure_problem(
                    "job-failed", "Job failed", f"the result could not be stored: {type(e).__name__}: {e}", 500))
        if self.metrics:
            self.metrics.job_duration.labels(kind=job.kind).observe(time.time() - started)
        log.info("job finished", extra={"job_id": job.id, "status": status, "seconds": round(time.time() - started, 3)})
