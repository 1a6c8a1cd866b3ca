"""Which particles diverged: a row with a non-finite coordinate, or, at the end of a run, farther than the
divergence radius from the centre of the analysis box (DIVERGENCE_RADIUS_FACTOR x the box's diagonal): a particle
that blew up but was still finite at the last step is not a particle of the stationary law.

Diverged particles are excluded from histograms, basin fractions, arrival cells, local covariances and exit
times, and counted instead (API.md `validity.diverged`)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

DIVERGENCE_RADIUS_FACTOR = 1e3   # the divergence radius in diagonals of the analysis box


def diverged_rows(w: np.ndarray) -> np.ndarray:
    """(n, d) positions -> (n,) True where a coordinate is inf or nan."""
    return ~np.isfinite(w).all(axis=1)


def divergence_ball(box: Sequence[Sequence[float]]) -> tuple[np.ndarray, float]:
    """(centre, radius) of the divergence ball of an analysis box [[lo, hi], ...]."""
    b = np.asarray(box, dtype=float).reshape(-1, 2)
    return 0.5 * (b[:, 0] + b[:, 1]), DIVERGENCE_RADIUS_FACTOR * float(np.linalg.norm(b[:, 1] - b[:, 0]))


def mark_diverged(w: np.ndarray, centre: np.ndarray, radius: float) -> None:
    """Set to NaN, in place, the rows of w farther than `radius` from `centre` (the end-of-run rule, shared by
    every backend), so that every observer and the diverged count see them as diverged."""
    with np.errstate(all="ignore"):
        far = np.linalg.norm(w - centre, axis=1) > radius
    w[far] = np.nan
