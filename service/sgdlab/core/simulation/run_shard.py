"""Run one shard of particles: blocks sized for the cache, stepped in place, observed, with progress and cancel.

Two backends step the blocks (plan.backend, decided from the spec): `numpy` (vectorised, one method step for
the whole block at a time, every per-step observer after every step) and `compiled` (a fused kernel runs a
chunk of steps at once, recording first passages and time-average frames inside; the loop stops only at the
steps other observers record, at chunk boundaries for progress and cancellation, and at the end).
Snapshots, loss traces, trajectories and basin snapshots fire at a few given steps, so they stay outside the
kernel (fusing them would bring the loss, the basin map and their buffers into it for nothing measurable).
Divergence is read from the final positions on both backends (non-finite coordinates propagate alike), with one
shared end-of-block rule for particles blowing up while still finite (observers.divergence.mark_diverged).
"""

from __future__ import annotations

import time

import numpy as np

from ..dynamics.inits import initial_positions
from ..dynamics.methods import block_size_for, make_method
from ..dynamics.schedules import lr_series
from ..errors import Cancelled
from ..observers.divergence import diverged_rows, mark_diverged
from ..observers.first_passage import FirstPassageObserver
from ..observers.histograms import HistogramObserver
from .hooks import NoHooks, ShardHooks
from .observers_for_plan import observers_for
from .plan import SimulationPlan, landscape_of
from .shards import shard_generator, shard_seeds

CHUNK_STEPS = 64  # steps between progress reports and cancellation checks


def _steps_observed(observer) -> set[int] | None:
    """The steps at which the compiled loop must stop for `observer` (None: every step)."""
    if isinstance(observer, FirstPassageObserver):
        return set()                                   # fused into the kernel
    if isinstance(observer, HistogramObserver):
        return set(observer.snapshots)                 # the time average is fused into the kernel
    points = getattr(observer, "points", None)        # loss trace, trajectories
    if points is None:
        points = getattr(observer, "snapshots", None)  # basins
    return None if points is None else set(points)


def _stops(steps: int, per_step: list) -> list[int]:
    """Chunk ends of the compiled loop: observed steps, every CHUNK_STEPS-th step, and the last."""
    stops = set(range(CHUNK_STEPS, steps + 1, CHUNK_STEPS)) | {steps}
    for o in per_step:
        seen = _steps_observed(o)
        stops |= set(range(1, steps + 1)) if seen is None else seen
    return sorted(s for s in stops if 0 < s <= steps)


def run_shard(plan: SimulationPlan, shard: int, hooks: ShardHooks | None = None) -> dict:
    """Simulate shard `shard` of the plan and return its mergeable observer states."""
    hooks = hooks or NoHooks()
    spec = plan.spec
    offset, count = plan.shards[shard]
    rng = shard_generator(shard_seeds(spec.seed, len(plan.shards))[shard])
    land = landscape_of(spec.landscape, plan.limits)
    block = block_size_for(land, spec.dynamics)
    lr_array = lr_series(spec.dynamics.lr, spec.steps)
    minima = [m.location for m in plan.analysis.minima]
    observers = observers_for(plan, offset)
    per_step = [o for o in observers.values() if o.per_step]
    steps = spec.steps
    total = max(count * steps, 1)
    compiled = plan.backend is not None and plan.backend.name == "compiled"
    compile_seconds = 0.0
    began = time.time()      # wall clock (comparable across workers): the job's own run time spans the shards
    if compiled:
        from ..dynamics.compiled.stepper import CompiledStepper
        stepper = CompiledStepper(land, spec.dynamics, observers, lr_array)
        compile_seconds = stepper.compile_seconds
        stops = _stops(steps, per_step)
    else:
        method = make_method(land, spec.dynamics, block)
        lrs = lr_array.tolist()
    diverged = 0
    box, lr_end = plan.analysis.range, float(lr_array[-1]) if len(lr_array) else 0.0
    started = time.perf_counter()
    with np.errstate(all="ignore"):
        for b0 in range(0, count, block):
            n = min(block, count - b0)
            w = initial_positions(spec.init, n, plan.dim, rng, land.default_range, minima)
            if not compiled:
                method.start_block(n, rng)
            for o in observers.values():
                o.begin_block(w, offset + b0)
            if compiled:
                t = 0
                for stop in stops:
                    stepper.advance(w, t, stop, rng)
                    t = stop
                    for o in per_step:
                        o.after_step(stop, w)
                    if stop % CHUNK_STEPS == 0:
                        if hooks.cancelled():
                            raise Cancelled(f"shard {shard} cancelled at step {stop}")
                        hooks.progress(shard, (b0 * steps + n * stop) / total)
            else:
                for t in range(steps):
                    method.step(w, t, lrs[t], rng)
                    for o in per_step:
                        o.after_step(t + 1, w)
                    if (t + 1) % CHUNK_STEPS == 0:
                        if hooks.cancelled():
                            raise Cancelled(f"shard {shard} cancelled at step {t + 1}")
                        hooks.progress(shard, (b0 * steps + n * (t + 1)) / total)
            mark_diverged(w, box, lr_end, land.grad)     # blown up but finite: diverged too (both backends)
            for o in observers.values():
                o.end_block(w)
            diverged += int(diverged_rows(w).sum())
            hooks.progress(shard, (b0 + n) * steps / total)
    return {"shard": shard, "states": {k: o.state() for k, o in observers.items()}, "diverged": diverged,
            "particles": count, "particle_steps": count * steps, "seconds": time.perf_counter() - started,
            "compile_seconds": compile_seconds, "began": began, "ended": time.time()}
