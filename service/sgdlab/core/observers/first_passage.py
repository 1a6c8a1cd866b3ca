"""First-passage times into a ball around a target point, with censoring at the last step."""

from __future__ import annotations

import numpy as np


class FirstPassageObserver:
    """Per particle, the first step at which |w - target| < radius; -1 while not reached (censored)."""

    per_step = True

    def __init__(self, target: np.ndarray, radius: float):
        self.target = np.asarray(target, dtype=float)
        self.r2 = float(radius) ** 2
        self.records: list[np.ndarray] = []
        self.times: np.ndarray | None = None
        self.open: np.ndarray | None = None

    def begin_block(self, w, offset):
        self.times = np.full(len(w), -1, dtype=np.int64)
        self.after_step(0, w)

    def after_step(self, t, w):
        d = w - self.target
        with np.errstate(invalid="ignore", over="ignore"):
            inside = np.einsum("nd,nd->n", d, d) < self.r2
        hit = inside & (self.times < 0)
        if hit.any():
            self.times[hit] = t

    def end_block(self, w):
        self.records.append(self.times)

    def state(self):
        return {"times": np.concatenate(self.records) if self.records else np.empty(0, dtype=np.int64)}

    @staticmethod
    def merge(states):
        return {"times": np.concatenate([s["times"] for s in states])}
