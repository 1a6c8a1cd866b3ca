"""The `arrival` plot: P(final basin | initial cell) as stacked bars (1-D) or the most likely basin (2-D)."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure

from .errors import PlotUnavailable
from .landscape_view import mark_critical_points_1d, mark_critical_points_2d
from .legends import legend_beside

_COLOURS = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:gray",
            "tab:olive", "tab:cyan"]


def _arrival(result: dict) -> tuple[list[np.ndarray], np.ndarray]:
    """(edges per axis, probability (cells, basins) with NaN for empty cells), or PlotUnavailable."""
    arrival = result.get("arrival")
    if not arrival or not arrival.get("edges") or not arrival.get("probability"):
        raise PlotUnavailable("arrival", "the result has no 'arrival' block (enable observe.arrival in the job)")
    edges = [np.asarray(e, dtype=float) for e in arrival["edges"]]
    width = max(len(row or []) for row in arrival["probability"])
    prob = np.full((len(arrival["probability"]), width), np.nan)
    for i, row in enumerate(arrival["probability"]):
        prob[i, :len(row or [])] = [np.nan if v is None else v for v in row or []]
    return edges, prob


def draw_arrival(fig: Figure, result: dict) -> None:
    """Where do runs started in each cell end up?"""
    edges, prob = _arrival(result)
    ax = fig.add_subplot()
    n_basins = prob.shape[1]
    colours = [_COLOURS[k % len(_COLOURS)] for k in range(n_basins)]
    if len(edges) == 1:
        e = edges[0]
        bottom = np.zeros(len(e) - 1)
        for k in range(n_basins):
            height = np.nan_to_num(prob[:, k])
            ax.bar(e[:-1], height, width=np.diff(e), bottom=bottom, align="edge", color=colours[k],
                   edgecolor="white", linewidth=0.3, label=f"basin {k}")
            bottom += height
        mark_critical_points_1d(ax, result)
        ax.set_xlabel("initial w (cell)")
        ax.set_ylabel("P(final basin | initial cell)")
        ax.set_ylim(0, 1.05)
        legend_beside(fig, ax)
        ax.set_title("Where runs started here end up")
    elif len(edges) == 2:
        e1, e2 = edges
        shape = (len(e1) - 1, len(e2) - 1)
        empty = ~np.isfinite(prob).any(axis=1) | (np.nansum(prob, axis=1) <= 0)
        best = np.where(empty, np.nan, np.argmax(np.nan_to_num(prob, nan=-1.0), axis=1).astype(float))
        cmap = ListedColormap(colours)
        im = ax.imshow(best.reshape(shape).T, origin="lower", extent=(e1[0], e1[-1], e2[0], e2[-1]),
                       aspect="auto", interpolation="nearest", cmap=cmap,
                       norm=BoundaryNorm(np.arange(-0.5, n_basins + 0.5), n_basins))
        confidence = np.where(empty, np.nan, np.nanmax(np.nan_to_num(prob, nan=0.0), axis=1))
        bar = fig.colorbar(im, ax=ax, ticks=np.arange(n_basins), label="most likely final basin")
        bar.ax.set_yticklabels([str(k) for k in range(n_basins)])
        c1, c2 = 0.5 * (e1[:-1] + e1[1:]), 0.5 * (e2[:-1] + e2[1:])
        if np.isfinite(confidence).any():
            cs = ax.contour(c1, c2, confidence.reshape(shape).T, levels=[0.6, 0.9], colors="black",
                            linewidths=0.6, linestyles=["--", "-"])
            ax.clabel(cs, fmt="P=%.1f", fontsize=6)
        mark_critical_points_2d(ax, result)
        ax.set_xlabel("initial w1 (cell)")
        ax.set_ylabel("initial w2 (cell)")
        ax.set_title("Most likely final basin by initial cell")
    else:
        raise PlotUnavailable("arrival", f"no arrival plot for a {len(edges)}-D landscape (use the tables)")
