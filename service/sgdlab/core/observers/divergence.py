"""Which particles diverged: a row with a non-finite coordinate (the simulator's own definition).

Diverged particles are excluded from histograms, basin fractions, arrival cells, local covariances and exit
times, and counted instead (API.md `validity.diverged`)."""

from __future__ import annotations

import numpy as np


def diverged_rows(w: np.ndarray) -> np.ndarray:
    """(n, d) positions -> (n,) True where a coordinate is inf or nan."""
    return ~np.isfinite(w).all(axis=1)
