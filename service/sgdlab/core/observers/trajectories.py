"""A few sample trajectories: the first `count` particles of the job, recorded every k steps."""

from __future__ import annotations

import numpy as np


class TrajectoryObserver:
    """Positions of the job's particles 0..count-1 (those that fall in this shard) at steps 0, k, 2k, ..., steps."""

    per_step = True

    def __init__(self, count: int, steps: int, every: int):
        self.points = list(range(0, steps + 1, every))
        if self.points[-1] != steps:
            self.points.append(steps)
        self.index = {s: i for i, s in enumerate(self.points)}
        self.count = count
        self.paths: list[np.ndarray] = []
        self.cur: np.ndarray | None = None
        self.take = 0

    def begin_block(self, w, offset):
        self.take = max(0, min(len(w), self.count - offset))
        self.cur = np.empty((self.take, len(self.points), w.shape[1])) if self.take else None
        self.after_step(0, w)

    def after_step(self, t, w):
        if self.take:
            i = self.index.get(t)
            if i is not None:
                self.cur[:, i, :] = w[: self.take]

    def end_block(self, w):
        if self.take:
            self.paths.append(self.cur)

    def state(self):
        return {"paths": np.concatenate(self.paths) if self.paths else np.empty((0, len(self.points), 0))}

    @staticmethod
    def merge(states):
        parts = [s["paths"] for s in states if s["paths"].shape[0]]
        return {"paths": np.concatenate(parts) if parts else np.empty((0, 0, 0))}

    def summarise(self, merged):
        p = merged["paths"]
        paths = [[[None if not np.isfinite(x) else float(x) for x in pt] for pt in path] for path in p]
        if p.ndim == 3 and p.shape[2:] == (1,):
            paths = [[pt[0] for pt in path] for path in paths]
        return {"steps": self.points, "paths": paths}
