"""Basin occupation: the share of particles in each minimum's basin of attraction, finally and at snapshots."""

from __future__ import annotations

from typing import Callable

import numpy as np

from .basin_moments import BasinMoments
from .divergence import diverged_rows

BasinOf = Callable[[np.ndarray], np.ndarray]


def basin_counts(basin_of: BasinOf, w: np.ndarray, n_basins: int, labels: np.ndarray | None = None) -> np.ndarray:
    """Counts per basin, then a slot for finite points in no basin (outside, on a ridge), then one for diverged
    (`labels`: basin_of(w) when already computed)."""
    labels = basin_of(w) if labels is None else labels
    labels = np.where(labels < 0, n_basins, labels)
    labels = np.where(diverged_rows(w), n_basins + 1, labels)
    return np.bincount(labels, minlength=n_basins + 2)


def basin_fractions(counts: np.ndarray) -> list[dict]:
    """Fractions among the particles that did not diverge, with binomial standard errors, one entry per basin
    (counts as from `basin_counts`: the unassigned slot counts in the total, the diverged slot does not)."""
    counts = np.asarray(counts, dtype=float)
    n = counts[:-1].sum()
    out = []
    for k, c in enumerate(counts[:-2]):
        if not n:           # no particle survived: no fraction to report
            out.append({"basin": k, "fraction": None, "stderr": None})
            continue
        p = c / n
        out.append({"basin": k, "fraction": float(p), "stderr": float(np.sqrt(p * (1 - p) / n))})
    return out


class BasinObserver:
    """Basin counts at the end and at snapshot steps; with `minima`, also the per-basin moments of the final
    positions about each minimum (for the local laws)."""

    def __init__(self, basin_of: BasinOf, n_basins: int, snapshots: list[int], minima: np.ndarray | None = None):
        self.basin_of = basin_of
        self.moments = BasinMoments(minima) if minima is not None and len(minima) else None
        self.k = n_basins
        self.snapshots = sorted(set(snapshots))
        self.snap_index = {s: i for i, s in enumerate(self.snapshots)}
        self.final = np.zeros(n_basins + 2, dtype=np.int64)
        self.snaps = np.zeros((len(self.snapshots), n_basins + 2), dtype=np.int64)
        self.per_step = bool(self.snapshots)

    def begin_block(self, w, offset):
        self.after_step(0, w)

    def after_step(self, t, w):
        i = self.snap_index.get(t)
        if i is not None:
            self.snaps[i] += basin_counts(self.basin_of, w, self.k)

    def end_block(self, w):
        labels = self.basin_of(w)
        self.final += basin_counts(self.basin_of, w, self.k, labels)
        if self.moments is not None:
            self.moments.add(w, labels)

    def state(self):
        return {"final": self.final, "snapshots": self.snaps, **(self.moments.state() if self.moments else {})}

    @staticmethod
    def merge(states):
        return {k: sum(s[k] for s in states) for k in states[0]}

    def summarise(self, merged):
        final = merged["final"]
        n = int(final[:-1].sum())                       # particles that did not diverge
        return {"final": basin_fractions(final), "particles": n, "diverged": int(final[-1]),
                "unassigned": int(final[-2]), "unassigned_fraction": float(final[-2] / n) if n else None,
                "snapshots": [{"step": s, "fractions": [b["fraction"] for b in basin_fractions(merged["snapshots"][i])]}
                              for i, s in enumerate(self.snapshots)]}
