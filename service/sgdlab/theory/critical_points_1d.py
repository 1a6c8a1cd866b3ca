"""Exact critical points of a 1-D loss: dense sign-change scan of L' then bracketed root refinement."""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

from sgdlab.core.landscapes.base import Landscape


def _grad_scalar(landscape: Landscape, x: float) -> float:
    return float(landscape.grad(np.array([[x]], dtype=float))[0, 0])


def critical_points_1d(landscape: Landscape, lo: float, hi: float,
                       grid_points: int = 20001) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (minima, maxima) locations of L on [lo, hi] where L' changes sign, refined to ~1e-13."""
    x = np.linspace(lo, hi, int(grid_points))
    g = np.asarray(landscape.grad(x[:, None]), dtype=float)[:, 0]
    s = np.sign(np.where(np.isfinite(g), g, 0.0))
    minima: list[float] = []
    maxima: list[float] = []
    brackets = np.nonzero(s[:-1] * s[1:] < 0)[0]
    for i in brackets:
        root = brentq(lambda t: _grad_scalar(landscape, t), x[i], x[i + 1], xtol=1e-14, rtol=1e-15, maxiter=200)
        (minima if s[i] < 0 else maxima).append(root)
    for i in np.nonzero((s == 0) & np.isfinite(g))[0]:
        left = s[i - 1] if i > 0 else 0.0
        right = s[i + 1] if i + 1 < len(s) else 0.0
        if left < 0 < right or (left == 0 and right > 0 and i == 0) or (right == 0 and left < 0 and i == len(s) - 1):
            minima.append(float(x[i]))
        elif left > 0 > right:
            maxima.append(float(x[i]))
    return np.sort(np.array(minima, dtype=float)), np.sort(np.array(maxima, dtype=float))
