"""Running a sweep: its points' tasks go through the same executor as jobs, several points at a time; each
finished point's result is stored at once, so a restart runs only the points that had not finished."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait, FIRST_EXCEPTION
from typing import Callable, Iterable

from ..core.errors import Cancelled, SpecError
from ..limits import Limits
from ..spec import SweepAxis, SweepRequest
from ..tables.point_summary import point_summary
from ..theory.sweep_analyses import SweepEntry, sweep_analyses
from .executors import WallTimeExceeded
from .sweep_points import SweepPoint, expand_sweep, point_count
from .work import preparation

POINTS_IN_FLIGHT_PER_WORKER = 4
"""Points run at once per executor worker: a point's last task and its finishing overlap the next point's."""

_live: dict[str, dict[int, float]] = {}
_live_lock = threading.Lock()


def point_progress(job_id: str) -> dict[int, float]:
    """{k: fraction} of the points of a running sweep that have started in this process (finished: 1.0)."""
    with _live_lock:
        return dict(_live.get(job_id, {}))


def sweep_points_total(rec) -> int:
    """How many points the sweep of this job record has (0 for other kinds); reads only the spec's axes, mode and
    repeats, so a status read's spec (without its inline data) is enough."""
    if rec.kind != "sweep" or not isinstance(rec.spec, dict):
        return 0
    spec = rec.spec
    req = SweepRequest.model_construct(axes=[SweepAxis.model_validate(a) for a in spec.get("axes") or []],
                                       mode=spec.get("mode", "product"), repeats=int(spec.get("repeats", 1)))
    return point_count(req)


def sweep_progress(store, job_id: str, total: int) -> dict:
    """The `points` member of a running sweep's SSE progress event: how many points are stored, how many the
    sweep has (`total`), and the fraction done of each point running now."""
    done = store.finished_points(job_id)
    running = {str(k): round(f, 4) for k, f in point_progress(job_id).items() if k not in done}
    return {"points": {"done": len(done), "total": total, "running": running}}


def point_path(job_id: str, k: int) -> str:
    """The URL path of a point's full result."""
    return f"/v1/jobs/{job_id}/points/{k}/result"


def _point_cost(p: SweepPoint) -> float:
    return float(max(p.spec.particles * max(p.spec.steps, 1), 1))


def _lr_of(spec) -> float | None:
    lr = spec.dynamics.lr
    return float(lr) if isinstance(lr, (int, float)) else None


ANALYSIS_BLOCKS = ("kind", "beta", "temperature", "landscape", "diverged", "validity", "exit_times", "basins",
                   "gibbs", "histograms")
"""The blocks of a point's result the cross-point analyses read (the rest is dropped once summarised)."""


def _for_analyses(result: dict) -> dict:
    """The part of a point's result the analyses need: no trajectories, traces, snapshots or survival curves."""
    out = {k: result[k] for k in ANALYSIS_BLOCKS if k in result}
    if "histograms" in out:
        out["histograms"] = {"final": (out["histograms"] or {}).get("final")}
    if "exit_times" in out:
        out["exit_times"] = {k: v for k, v in out["exit_times"].items() if k != "survival"}
    if "gibbs" in out:
        out["gibbs"] = {k: v for k, v in out["gibbs"].items() if k != "density_theory"}
    return out


def sweep_result(spec: SweepRequest, job_id: str, points: list[SweepPoint], results: Iterable[tuple[int, dict]],
                 seconds: float) -> dict:
    """The sweep's result document: a summary per point (with its link) and the analyses its axes support.
    `results` yields (k, full result) one point at a time; each is summarised, then cut to what the analyses
    read."""
    summaries, kept = {}, {}
    for k, result in results:
        summaries[k] = point_summary(result)
        kept[k] = _for_analyses(result)
    entries = [SweepEntry(p.index, _lr_of(p.spec), p.spec.dynamics.batch_size, p.spec.steps, kept[p.index])
               for p in points]
    return {"job_id": job_id, "kind": "sweep", "seed": spec.base.seed,
            "spec": spec.model_dump(mode="json", by_alias=True, exclude_none=True),
            "mode": spec.mode, "repeats": spec.repeats,
            "axes": [a.path for a in spec.axes],
            "points": [{"index": p.index, "params": p.params, "seed": p.seed,
                        "summary": summaries[p.index], "result": point_path(job_id, p.index)}
                       for p in points],
            "analyses": sweep_analyses(entries),
            "performance": {"seconds": seconds, "points": len(points),
                            "particle_steps": sum(p.spec.particles * p.spec.steps for p in points)}}


def run_sweep(executor, store, spec: SweepRequest, job_id: str, attempt: int, limits: Limits,
              on_progress: Callable[[float], None], cancel: threading.Event, deadline: float,
              concurrency: int) -> dict:
    """Run the points not yet stored (several at once on the executor), store each as it finishes, and return
    the sweep's result; Cancelled when cancelled, the first point's error (naming the point) when one fails."""
    started = time.time()
    points = expand_sweep(spec, limits, check=False)
    done = set(store.finished_points(job_id))
    todo = [p for p in points if p.index not in done]
    weight = {p.index: _point_cost(p) for p in points}
    total = sum(weight.values())
    progress = {k: 1.0 for k in done}
    with _live_lock:
        _live[job_id] = progress
    stop = threading.Event()
    lock = threading.Lock()

    def report() -> None:
        with lock:
            frac = sum(weight[k] * f for k, f in progress.items()) / total
        on_progress(frac)

    def run_point(p: SweepPoint) -> None:
        if cancel.is_set() or stop.is_set():
            raise Cancelled("cancelled")
        t0 = time.time()

        def on_point(f: float) -> None:
            with lock:
                progress[p.index] = f
            report()

        try:    # as any job: the landscape is analysed and the shards planned on a worker, then the shards run
            work = executor.values(executor.run(preparation(p.spec, limits), f"{job_id}-p{p.index}-plan",
                                                lambda f: None, cancel, deadline))[0]
        except SpecError as e:
            raise SpecError(f"point {p.index}: {e.message}", e.field) from None
        try:
            results = executor.run(work, f"{job_id}-p{p.index}", on_point, cancel, deadline)
            result = executor.call(work.finish, results, time.time() - t0, f"{job_id}/points/{p.index}",
                                   timeout=max(1.0, deadline - time.time()))
        except (Cancelled, WallTimeExceeded, SpecError):
            raise
        except Exception as e:  # a broken worker or a bug: the sweep's error names the point
            raise RuntimeError(f"point {p.index}: {type(e).__name__}: {e}") from e
        store.put_point(job_id, p.index, result, attempt)
        on_point(1.0)

    try:
        report()   # a resumed sweep starts from its stored points
        with ThreadPoolExecutor(max(1, concurrency), thread_name_prefix=f"sweep-{job_id[:8]}") as pool:
            futures = [pool.submit(run_point, p) for p in todo]
            wait(futures, return_when=FIRST_EXCEPTION)
            failed = [f for f in futures if f.done() and f.exception() is not None]
            if failed:
                stop.set()
                for f in futures:
                    f.cancel()
                wait(futures)
                errors = [f.exception() for f in failed]
                raise next((e for e in errors if not isinstance(e, Cancelled)), errors[0])
        report()
        return sweep_result(spec, job_id, points, store.point_results(job_id), time.time() - started)
    finally:
        with _live_lock:
            _live.pop(job_id, None)
