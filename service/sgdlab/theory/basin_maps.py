"""Picklable maps from points to the index of the minimum whose basin of attraction holds them (-1: none)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sgdlab.core.landscapes.base import Landscape


def _as_points(w: np.ndarray, dim: int) -> np.ndarray:
    """View `w` as an (n, dim) float array (1-D input of length n is accepted when dim == 1)."""
    arr = np.asarray(w, dtype=float)
    if arr.ndim == 1 and dim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise ValueError(f"expected points of shape (n, {dim}), got {arr.shape}")
    return arr


@dataclass
class IntervalBasinMap:
    """1-D: the basin is decided by which interval between consecutive maxima holds the point."""

    maxima: np.ndarray          # sorted locations of the maxima (all of them, also the outer ones)
    segment_basin: np.ndarray   # (len(maxima) + 1,) minimum index of each interval, -1 when it holds none

    def __call__(self, w: np.ndarray) -> np.ndarray:
        """Basin index of each point, -1 for non-finite points or intervals without a minimum."""
        x = _as_points(w, 1)[:, 0]
        labels = self.segment_basin[np.searchsorted(self.maxima, x)]
        if not np.isfinite(x).all():
            labels = np.where(np.isfinite(x), labels, -1)
        return labels.astype(np.int64, copy=False)


@dataclass
class LabelGridBasinMap:
    """2-D: a precomputed label grid (gradient flow from every node); lookup of the nearest node."""

    lo: np.ndarray       # (2,) first node per axis
    step: np.ndarray     # (2,) node spacing per axis
    labels: np.ndarray   # (nx, ny) int labels

    def __call__(self, w: np.ndarray) -> np.ndarray:
        """Basin index of each point by its nearest grid node (clipped to the grid), -1 for non-finite points."""
        pts = _as_points(w, 2)
        nx, ny = self.labels.shape
        finite = np.isfinite(pts[:, 0]) & np.isfinite(pts[:, 1])
        flat = np.zeros(len(pts), dtype=np.int64)
        for axis, n, scale in ((0, nx, ny), (1, ny, 1)):
            u = pts[:, axis] - self.lo[axis]
            u *= 1.0 / self.step[axis]
            np.rint(u, out=u)
            np.clip(u, 0, n - 1, out=u)
            u[~finite] = 0
            flat += u.astype(np.int64) * scale
        out = self.labels.ravel()[flat]
        out[~finite] = -1
        return out.astype(np.int64, copy=False)


@dataclass
class DescentBasinMap:
    """d >= 3: a short vectorised gradient descent, then the nearest minimum (-1 if none is near)."""

    landscape: Landscape
    minima: np.ndarray      # (k, d) locations
    step_size: float        # gradient step (1 / largest curvature at the critical points)
    max_move: float         # cap on one step's displacement
    iterations: int = 100
    capture_radius: float = np.inf
    chunk: int = 65536

    def __getstate__(self) -> dict:
        """A landscape built from a spec travels as its spec key and is resolved (cached) where it is used."""
        state = dict(self.__dict__)
        key = getattr(self.landscape, "rebuild_key", None)
        if key is not None:
            state["landscape"], state["landscape_key"] = None, key
        return state

    def _landscape(self) -> Landscape:
        if self.landscape is None:
            from sgdlab.core.landscapes.build import landscape_from_json
            self.landscape = landscape_from_json(*self.__dict__["landscape_key"])
        return self.landscape

    def __call__(self, w: np.ndarray) -> np.ndarray:
        """Basin index of each point after `iterations` descent steps, by the nearest minimum."""
        pts = _as_points(w, self.minima.shape[1] if len(self.minima) else np.asarray(w).shape[-1])
        out = np.full(len(pts), -1, dtype=np.int64)
        if len(self.minima) == 0:
            return out
        for start in range(0, len(pts), self.chunk):
            out[start:start + self.chunk] = self._label_chunk(pts[start:start + self.chunk])
        return out

    def _label_chunk(self, pts: np.ndarray) -> np.ndarray:
        x = pts.copy()
        g = np.empty_like(x)
        land = self._landscape()
        for _ in range(self.iterations):
            land.grad(x, out=g)
            g *= self.step_size
            norm = np.sqrt(np.einsum("ij,ij->i", g, g))
            np.minimum(1.0, self.max_move / np.maximum(norm, 1e-300), out=norm)
            g *= norm[:, None]
            x -= g
        d2 = ((x[:, None, :] - self.minima[None, :, :]) ** 2).sum(axis=2)
        nearest = np.argmin(d2, axis=1)
        near = np.sqrt(d2[np.arange(len(x)), nearest]) <= self.capture_radius
        return np.where(near & np.isfinite(x).all(axis=1), nearest, -1)
