"""First-passage times from basin `from` into a ball around minimum `to`, with censoring at the last step.

Only particles that start in basin `from` are tracked (the Kramers and exact estimates assume that start);
the others are recorded as NOT_TRACKED and reported as `not_tracked`. Particles that diverged by the last step
are recorded as DIVERGED, whether or not they passed through the target on the way, and left out of the estimate
(a blow-up can sweep through the target ball: that is no escape over the barrier).
"""

from __future__ import annotations

import numpy as np

from .divergence import diverged_rows

CENSORED = -1
NOT_TRACKED = -2
DIVERGED = -3


class FirstPassageObserver:
    """Per particle, the first step at which |w - target| < radius; CENSORED while not reached."""

    per_step = True

    def __init__(self, target: np.ndarray, radius: float, basin_of=None, from_basin: int | None = None):
        self.basin_of, self.from_basin = basin_of, from_basin
        self.target = np.asarray(target, dtype=float)
        self.r2 = float(radius) ** 2
        self.records: list[np.ndarray] = []
        self.times: np.ndarray | None = None
        self.open: np.ndarray | None = None

    def begin_block(self, w, offset):
        self.times = np.full(len(w), CENSORED, dtype=np.int64)
        if self.basin_of is not None:
            self.times[self.basin_of(w) != self.from_basin] = NOT_TRACKED
        self.after_step(0, w)

    def after_step(self, t, w):
        d = w - self.target
        with np.errstate(invalid="ignore", over="ignore"):
            inside = np.einsum("nd,nd->n", d, d) < self.r2
        hit = inside & (self.times == CENSORED)
        if hit.any():
            self.times[hit] = t

    def end_block(self, w):
        self.times[diverged_rows(w) & (self.times != NOT_TRACKED)] = DIVERGED
        self.records.append(self.times)

    def state(self):
        return {"times": np.concatenate(self.records) if self.records else np.empty(0, dtype=np.int64)}

    @staticmethod
    def merge(states):
        return {"times": np.concatenate([s["times"] for s in states])}
