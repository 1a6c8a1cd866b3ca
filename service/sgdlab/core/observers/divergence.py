"""Which particles diverged: a row with a non-finite coordinate, or, at the end of a run, a particle blowing up
while still finite: farther than the divergence radius from the centre of the analysis box
(DIVERGENCE_RADIUS_FACTOR x the box's diagonal), or outside the box where one gradient step at the last learning
rate multiplies its distance from the centre by at least BLOW_UP_FACTOR (an overshooting, expanding iterate: it
is on its way to infinity). Such a particle is not a particle of the stationary law.

Diverged particles are excluded from histograms, basin fractions, arrival cells, local covariances and exit
times, and counted instead (API.md `validity.diverged`)."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

DIVERGENCE_RADIUS_FACTOR = 1e3   # the divergence radius in diagonals of the analysis box
BLOW_UP_FACTOR = 2.0             # outside the box, a gradient step growing the distance this much: blowing up


def diverged_rows(w: np.ndarray) -> np.ndarray:
    """(n, d) positions -> (n,) True where a coordinate is inf or nan."""
    return ~np.isfinite(w).all(axis=1)


def divergence_ball(box: Sequence[Sequence[float]]) -> tuple[np.ndarray, float]:
    """(centre, radius) of the divergence ball of an analysis box [[lo, hi], ...]."""
    b = np.asarray(box, dtype=float).reshape(-1, 2)
    return 0.5 * (b[:, 0] + b[:, 1]), DIVERGENCE_RADIUS_FACTOR * float(np.linalg.norm(b[:, 1] - b[:, 0]))


def mark_diverged(w: np.ndarray, box: Sequence[Sequence[float]], lr: float = 0.0,
                  grad: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
    """Set to NaN, in place, the rows of w that diverged by the end-of-run rule (shared by every backend): beyond
    the divergence radius, or (given `grad` and lr > 0) outside `box` where the step w - lr grad L(w) multiplies
    the distance from the box's centre by at least BLOW_UP_FACTOR. Every observer and the diverged count then
    see them as diverged."""
    centre, radius = divergence_ball(box)
    b = np.asarray(box, dtype=float).reshape(-1, 2)
    with np.errstate(all="ignore"):
        dist = np.linalg.norm(w - centre, axis=1)
        far = dist > radius
        outside = np.isfinite(dist) & ~far & ((w < b[:, 0]) | (w > b[:, 1])).any(axis=1)
        if grad is not None and lr > 0 and outside.any():
            rows = np.flatnonzero(outside)
            x = w[rows]
            step = x - lr * grad(x)
            grows = ~(np.linalg.norm(step - centre, axis=1) < BLOW_UP_FACTOR * dist[rows])
            far[rows[grows]] = True
    w[far] = np.nan
