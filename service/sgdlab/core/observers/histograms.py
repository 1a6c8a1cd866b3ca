"""Histogram observers: the final histogram, snapshots at given steps, and a time average (burn-in, every k)."""

from __future__ import annotations

import numpy as np

from .binning import Binning


class HistogramObserver:
    """Final, snapshot and time-averaged counts on one binning."""

    per_step = True

    def __init__(self, binning: Binning, snapshots: list[int], burn_in: int | None, every: int | None):
        self.binning = binning
        self.snapshots = sorted(set(snapshots))
        self.snap_index = {s: i for i, s in enumerate(self.snapshots)}
        self.burn_in = burn_in
        self.every = every
        self.final = binning.zeros()
        self.snaps = np.zeros((len(self.snapshots), self.final.size), dtype=np.int64)
        self.avg = binning.zeros() if every else None
        self.avg_frames = 0
        self.per_step = bool(self.snapshots) or bool(every)

    def begin_block(self, w: np.ndarray, offset: int) -> None:
        self.after_step(0, w)

    def after_step(self, t: int, w: np.ndarray) -> None:
        i = self.snap_index.get(t)
        if i is not None:
            self.binning.count(w, out=self.snaps[i])
        if self.every and t > self.burn_in and (t - self.burn_in) % self.every == 0:
            self.binning.count(w, out=self.avg)
            self.avg_frames += 1

    def end_block(self, w: np.ndarray) -> None:
        self.binning.count(w, out=self.final)

    def state(self) -> dict:
        out = {"final": self.final, "snapshots": self.snaps}
        if self.avg is not None:
            out["time_average"] = self.avg
        return out

    @staticmethod
    def merge(states: list[dict]) -> dict:
        return {k: sum(s[k] for s in states) for k in states[0]}

    def summarise(self, merged: dict) -> dict:
        b = self.binning
        out = {"final": b.histogram(merged["final"]),
               "snapshots": [{"step": s, **b.histogram(merged["snapshots"][i])} for i, s in enumerate(self.snapshots)]}
        if "time_average" in merged:
            out["time_average"] = {**b.histogram(merged["time_average"]), "burn_in": self.burn_in,
                                   "every": self.every}
        return out
