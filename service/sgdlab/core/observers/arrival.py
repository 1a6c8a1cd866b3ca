"""The arrival matrix P(final basin | initial cell): starting here, which valley do runs end in?"""

from __future__ import annotations

import numpy as np

from .basins import BasinOf
from .binning import Binning
from .divergence import diverged_rows


class ArrivalObserver:
    """Counts of (initial cell, final basin); cells bin the initial positions (the first two coordinates).
    Particles that diverged are left out (they end in no basin)."""

    per_step = False

    def __init__(self, binning: Binning, basin_of: BasinOf, n_basins: int):
        self.binning = binning
        self.basin_of = basin_of
        self.k = n_basins
        self.n_cells = int(np.prod(binning.bins))
        self.counts = np.zeros((self.n_cells, n_basins + 1), dtype=np.int64)
        self.cells: np.ndarray | None = None

    def begin_block(self, w, offset):
        self.cells = self.binning.cell_index(w[:, : self.binning.dim])

    def end_block(self, w):
        labels = self.basin_of(w)
        labels = np.where(labels < 0, self.k, labels)
        ok = (self.cells >= 0) & ~diverged_rows(w)
        flat = self.cells[ok] * (self.k + 1) + labels[ok]
        self.counts += np.bincount(flat, minlength=self.counts.size).reshape(self.counts.shape)

    def state(self):
        return {"counts": self.counts}

    @staticmethod
    def merge(states):
        return {"counts": sum(s["counts"] for s in states)}

    def summarise(self, merged):
        c = merged["counts"].astype(float)
        tot = c.sum(axis=1, keepdims=True)
        prob = np.divide(c[:, :-1], tot, out=np.zeros_like(c[:, :-1]), where=tot > 0)
        return {"edges": [e.tolist() for e in self.binning.edges], "probability": prob.tolist(),
                "particles": tot[:, 0].astype(int).tolist()}
