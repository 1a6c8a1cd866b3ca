"""Run one shard of particles: blocks sized for the cache, stepped in place, observed, with progress and cancel."""

from __future__ import annotations

import time

import numpy as np

from ..dynamics.inits import initial_positions
from ..dynamics.methods import block_size_for, make_method
from ..dynamics.schedules import lr_series
from ..errors import Cancelled
from .hooks import NoHooks, ShardHooks
from .observers_for_plan import observers_for
from .plan import SimulationPlan, landscape_of
from .shards import shard_generator, shard_seeds

CHUNK_STEPS = 64  # steps between progress reports and cancellation checks


def run_shard(plan: SimulationPlan, shard: int, hooks: ShardHooks | None = None) -> dict:
    """Simulate shard `shard` of the plan and return its mergeable observer states."""
    hooks = hooks or NoHooks()
    spec = plan.spec
    offset, count = plan.shards[shard]
    rng = shard_generator(shard_seeds(spec.seed, len(plan.shards))[shard])
    land = landscape_of(spec.landscape, plan.limits)
    block = block_size_for(land, spec.dynamics)
    method = make_method(land, spec.dynamics, block)
    lrs = lr_series(spec.dynamics.lr, spec.steps).tolist()
    minima = [m.location for m in plan.analysis.minima]
    observers = observers_for(plan, offset)
    per_step = [o for o in observers.values() if o.per_step]
    steps = spec.steps
    total = max(count * steps, 1)
    diverged = 0
    started = time.perf_counter()
    with np.errstate(all="ignore"):
        for b0 in range(0, count, block):
            n = min(block, count - b0)
            w = initial_positions(spec.init, n, plan.dim, rng, land.default_range, minima)
            method.start_block(n, rng)
            for o in observers.values():
                o.begin_block(w, offset + b0)
            for t in range(steps):
                method.step(w, t, lrs[t], rng)
                for o in per_step:
                    o.after_step(t + 1, w)
                if (t + 1) % CHUNK_STEPS == 0:
                    if hooks.cancelled():
                        raise Cancelled(f"shard {shard} cancelled at step {t + 1}")
                    hooks.progress(shard, (b0 * steps + n * (t + 1)) / total)
            for o in observers.values():
                o.end_block(w)
            diverged += int((~np.isfinite(w).all(axis=1)).sum())
            hooks.progress(shard, (b0 + n) * steps / total)
    return {"shard": shard, "states": {k: o.state() for k, o in observers.items()}, "diverged": diverged,
            "particles": count, "particle_steps": count * steps, "seconds": time.perf_counter() - started}
