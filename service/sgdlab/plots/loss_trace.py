"""The `loss_trace` plot: the particles' mean loss ± one std and the 10-90 % quantile band over steps."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sgdlab.tables import build_table

from .legends import legend_beside


def _column(rows: list[dict], key: str) -> np.ndarray:
    """A table column as floats (None -> NaN)."""
    return np.array([np.nan if r[key] is None else r[key] for r in rows], dtype=float)


def draw_loss_trace(fig: Figure, result: dict) -> None:
    """Bands (q10-q90, mean ± std), the mean and the median against steps."""
    rows = build_table("loss_trace", result)
    steps, mean, std = _column(rows, "step"), _column(rows, "mean"), _column(rows, "std")
    q10, q50, q90 = _column(rows, "q10"), _column(rows, "q50"), _column(rows, "q90")
    ax = fig.add_subplot()
    if np.isfinite(q10).any() and np.isfinite(q90).any():
        ax.fill_between(steps, q10, q90, color="tab:orange", alpha=0.2, label="10–90 % quantiles")
    if np.isfinite(std).any():
        ax.fill_between(steps, mean - std, mean + std, color="tab:blue", alpha=0.25, label="mean ± std")
    ax.plot(steps, mean, color="tab:blue", linewidth=1.5, label="mean")
    if np.isfinite(q50).any():
        ax.plot(steps, q50, color="tab:orange", linestyle="--", linewidth=1.0, label="median")
    ax.set_xlabel("steps")
    ax.set_ylabel("loss L(w)")
    ax.set_title("Loss over the run")
    legend_beside(fig, ax)
