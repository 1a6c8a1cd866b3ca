"""The `trajectories` plot: sampled particle paths (1-D: w against steps; 2-D: paths on the contours)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sgdlab.tables.builders import trajectory_array

from .errors import PlotUnavailable
from .landscape_view import draw_contours, mark_critical_points_1d, mark_critical_points_2d, rebuild_landscape


PLOTTABLE = 1e100
"""Coordinates beyond ±PLOTTABLE (or not finite) are not drawn: the axis transforms would overflow."""


def _plottable(paths: np.ndarray) -> tuple[np.ndarray, int]:
    """(paths with diverged points as NaN, how many points were masked)."""
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(paths) <= PLOTTABLE)
    return np.where(bad, np.nan, paths), int(bad.any(axis=-1).sum())


def _plot_range(result: dict, paths: np.ndarray, axis: int) -> tuple[float, float]:
    """The histogram range on `axis` when known, widened to hold the (plottable) paths."""
    edges = (((result.get("histograms") or {}).get("final") or {}).get("edges") or [])
    finite = paths[..., axis][np.isfinite(paths[..., axis])]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (np.inf, -np.inf)
    if axis < len(edges):
        lo, hi = min(lo, edges[axis][0]), max(hi, edges[axis][-1])
    if not np.isfinite(lo) or not np.isfinite(hi):
        lo, hi = -1.0, 1.0
    pad = 0.05 * (hi - lo or 1.0)
    return lo - pad, hi + pad


def draw_trajectories(fig: Figure, result: dict) -> None:
    """Paths of the recorded particles over the landscape."""
    steps, paths = trajectory_array(result)
    paths, diverged = _plottable(paths)
    d = paths.shape[2]
    ax = fig.add_subplot()
    if diverged:
        fig.text(0.01, 0.01, f"{diverged} recorded points diverged (beyond ±{PLOTTABLE:g} or not finite): not drawn",
                 fontsize=8, color="firebrick")
    if d == 1:
        for p in range(paths.shape[0]):
            ax.plot(steps[:paths.shape[1]], paths[p, :, 0], linewidth=0.9)
        mark_critical_points_1d(ax, result, horizontal=True)
        ax.set_xlabel("steps")
        ax.set_ylabel("w")
        ax.set_title(f"{paths.shape[0]} sample paths (dashed: minima, dotted: saddles)")
    elif d == 2:
        r1, r2 = _plot_range(result, paths, 0), _plot_range(result, paths, 1)
        draw_contours(ax, result, rebuild_landscape(result), np.linspace(*r1, 120), np.linspace(*r2, 120))
        for p in range(paths.shape[0]):
            line, = ax.plot(paths[p, :, 0], paths[p, :, 1], linewidth=1.0)
            ax.plot(paths[p, 0, 0], paths[p, 0, 1], marker="^", color=line.get_color(), markersize=5)
            ax.plot(paths[p, -1, 0], paths[p, -1, 1], marker="s", color=line.get_color(), markersize=5)
        mark_critical_points_2d(ax, result)
        ax.set_xlim(*r1)
        ax.set_ylim(*r2)
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
        ax.set_title(f"{paths.shape[0]} sample paths (▲ start, ■ end)")
    else:
        # above 2-D: the loss along each path, which shows the hops between basins in any dimension
        land = rebuild_landscape(result)
        if land is None:
            raise PlotUnavailable("trajectories", f"the {d}-D landscape could not be rebuilt to evaluate L(w)")
        n, t, _ = paths.shape
        with np.errstate(all="ignore"):
            losses = np.asarray(land.loss(paths.reshape(n * t, d)), dtype=float).reshape(n, t)
        losses = _plottable(losses)[0]
        for p in range(n):
            ax.plot(steps[:t], losses[p], linewidth=0.9)
        for m in (result.get("landscape") or {}).get("minima", []):
            ax.axhline(m["loss"], color="black", linestyle="--", linewidth=0.5, alpha=0.4)
        ax.set_xlabel("steps")
        ax.set_ylabel("loss L(w) along the path")
        ax.set_title(f"{n} sample paths in {d}-D: loss over time (dashed: minima)")
