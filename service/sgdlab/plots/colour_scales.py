"""Colour scales for 2-D densities: logarithmic, so both the peaks and the tails between basins show."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm

LOG_DECADES = 6          # the scale spans at most this many decades below the peak
EMPTY_COLOUR = "#f0f0f0"  # bins with zero density (or below the scale) are drawn in this light grey


def log_density_norm(*arrays: np.ndarray) -> LogNorm | None:
    """A LogNorm from the smallest positive value (at most LOG_DECADES below the peak) to the peak of all arrays,
    or None when nothing is positive."""
    values = np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.zeros(0)
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        return None
    top = float(positive.max())
    low = max(float(positive.min()), top * 10.0 ** -LOG_DECADES)
    return LogNorm(vmin=low if low < top else top / 10.0, vmax=top, clip=False)


def density_cmap(name: str = "viridis"):
    """A copy of colormap `name` that draws empty bins (zero, masked, below vmin) in EMPTY_COLOUR."""
    from matplotlib import colormaps
    return colormaps[name].with_extremes(bad=EMPTY_COLOUR, under=EMPTY_COLOUR)


def masked_density(values: np.ndarray) -> np.ma.MaskedArray:
    """`values` with zero, negative and non-finite entries masked (a log scale cannot place them)."""
    v = np.asarray(values, dtype=float)
    return np.ma.masked_where(~np.isfinite(v) | (v <= 0), v)
