"""Regular bins on a box: joint bins in 1-D and 2-D, per-coordinate marginals above; fast counting by bincount."""

from __future__ import annotations

from typing import Sequence

import numpy as np


class Binning:
    """Equal-width bins over `ranges` with `bins` per axis; joint for d <= 2, per-coordinate marginals above."""

    def __init__(self, ranges: Sequence[Sequence[float]], bins: Sequence[int]):
        self.lo = np.array([float(r[0]) for r in ranges])
        self.hi = np.array([float(r[1]) for r in ranges])
        self.bins = np.array([int(b) for b in bins], dtype=np.intp)
        self.dim = len(self.lo)
        self.joint = self.dim <= 2
        self.scale = self.bins / (self.hi - self.lo)

    @property
    def edges(self) -> list[np.ndarray]:
        """Bin edges per axis."""
        return [np.linspace(self.lo[k], self.hi[k], self.bins[k] + 1) for k in range(self.dim)]

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of a count array: (bx,) or (bx, by) jointly, (d, b) for marginals."""
        return tuple(self.bins) if self.joint else (self.dim, int(self.bins.max()))

    def zeros(self) -> np.ndarray:
        """An empty count array."""
        return np.zeros(int(np.prod(self.shape)), dtype=np.int64)

    def _axis_index(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Bin index along axis k and a mask of points inside [lo, hi] (hi falls in the last bin)."""
        with np.errstate(invalid="ignore"):
            u = (x - self.lo[k]) * self.scale[k]
            ok = (u >= 0) & (u <= self.bins[k])
        idx = np.minimum(np.where(ok, u, 0).astype(np.intp), self.bins[k] - 1)
        return idx, ok

    def cell_index(self, w: np.ndarray) -> np.ndarray:
        """Flat joint cell of each point (row-major), -1 outside the box or non-finite (joint binnings only)."""
        idx, ok = self._axis_index(w[:, 0], 0)
        for k in range(1, self.dim):
            ik, okk = self._axis_index(w[:, k], k)
            idx = idx * self.bins[k] + ik
            ok &= okk
        return np.where(ok, idx, -1)

    def count(self, w: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Add the counts of the points w (n, d) to `out` (flattened, see `shape`) and return it."""
        out = self.zeros() if out is None else out
        if self.joint:
            cell = self.cell_index(w)
            out += np.bincount(cell[cell >= 0], minlength=out.size)
        else:
            width = int(self.bins.max())
            for k in range(self.dim):
                ik, ok = self._axis_index(w[:, k], k)
                out[k * width:(k + 1) * width] += np.bincount(ik[ok], minlength=width)
        return out

    def histogram(self, counts: np.ndarray) -> dict:
        """docs/API.md's H block: edges per axis, counts and a density integrating to 1 over the range."""
        counts = np.asarray(counts)
        if self.joint:
            widths = (self.hi - self.lo) / self.bins
            total = counts.sum()
            density = counts / (total * np.prod(widths)) if total else np.zeros(counts.shape)
        else:
            width = int(self.bins.max())
            c = counts.reshape(self.dim, width).astype(float)
            tot = c.sum(axis=1, keepdims=True)
            dens = np.divide(c, tot * ((self.hi - self.lo) / self.bins)[:, None],
                             out=np.zeros_like(c), where=tot > 0)
            density = dens.reshape(-1)
        return {"edges": [e.tolist() for e in self.edges], "counts": counts.astype(int).tolist(),
                "density": np.asarray(density, dtype=float).tolist(),
                "layout": "joint" if self.joint else "marginal"}
