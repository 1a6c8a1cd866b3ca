"""The landscape behind a result, rebuilt from its spec for curves and contours, and its critical points marked."""

from __future__ import annotations

import logging

import numpy as np
from matplotlib.axes import Axes

log = logging.getLogger(__name__)


def rebuild_landscape(result: dict):
    """The Landscape of result.spec.landscape, or None when it cannot be rebuilt (plots then go without it)."""
    spec = (result.get("spec") or {}).get("landscape")
    if not spec:
        return None
    try:
        from sgdlab.core.landscapes.build import build_landscape
        from sgdlab.spec import LandscapeSpec
        return build_landscape(LandscapeSpec.model_validate(spec))
    except Exception as exc:  # a missing builder or an odd spec must not cost the plot
        log.debug("landscape not rebuilt for plotting: %s", exc)
        return None


def loss_curve(landscape, xs: np.ndarray) -> np.ndarray | None:
    """L(x) on a 1-D grid, or None without a landscape (or when it fails or is not finite anywhere)."""
    if landscape is None:
        return None
    try:
        ys = np.asarray(landscape.loss(np.asarray(xs, dtype=float)[:, None]), dtype=float)
    except Exception as exc:
        log.debug("landscape loss failed: %s", exc)
        return None
    return ys if np.isfinite(ys).any() else None


def loss_grid(landscape, x1: np.ndarray, x2: np.ndarray) -> np.ndarray | None:
    """L on the grid x1 x x2 as an array indexed [i1, i2], or None without a landscape."""
    if landscape is None:
        return None
    g1, g2 = np.meshgrid(x1, x2, indexing="ij")
    try:
        vals = landscape.loss(np.column_stack([g1.ravel(), g2.ravel()]))
    except Exception as exc:
        log.debug("landscape loss failed: %s", exc)
        return None
    vals = np.asarray(vals, dtype=float).reshape(g1.shape)
    return vals if np.isfinite(vals).any() else None


def contour_levels(values: np.ndarray, count: int = 14) -> np.ndarray:
    """Contour levels concentrated on the low part of the landscape, where the particles are."""
    finite = values[np.isfinite(values)]
    levels = np.unique(np.quantile(finite, np.linspace(0.0, 0.75, count) ** 1.5))
    return levels if len(levels) >= 2 else np.linspace(finite.min(), finite.max() + 1e-12, 3)


def draw_contours(ax: Axes, result: dict, landscape, x1: np.ndarray, x2: np.ndarray) -> bool:
    """Draw the landscape's contours on x1 x x2 (axes w1, w2); False when there is no landscape to draw."""
    values = loss_grid(landscape, x1, x2)
    if values is None:
        return False
    cs = ax.contour(x1, x2, values.T, levels=contour_levels(values), colors="0.25", linewidths=0.6, alpha=0.8)
    ax.clabel(cs, inline=True, fontsize=6, fmt="%.2g")
    return True


def critical_points(result: dict) -> tuple[np.ndarray, np.ndarray]:
    """(minima, saddles) locations as (k, d) arrays from result.landscape (empty when absent)."""
    land = result.get("landscape") or {}
    dim = int(land.get("dim") or 1)

    def locations(points):
        locs = [p.get("location") for p in points or [] if p.get("location") is not None]
        return np.asarray(locs, dtype=float).reshape(-1, dim) if locs else np.zeros((0, dim))

    return locations(land.get("minima")), locations(land.get("saddles"))


def mark_critical_points_2d(ax: Axes, result: dict) -> None:
    """Mark minima (numbered circles) and saddles (crosses) on a w1-w2 plane."""
    minima, saddles = critical_points(result)
    if minima.shape[1] < 2:
        return
    if len(minima):
        ax.scatter(minima[:, 0], minima[:, 1], marker="o", s=40, facecolors="white", edgecolors="black",
                   zorder=5, label="minima")
        for k, (a, b) in enumerate(minima[:, :2]):
            ax.annotate(str(k), (a, b), textcoords="offset points", xytext=(5, 5), fontsize=8, zorder=6)
    if len(saddles):
        ax.scatter(saddles[:, 0], saddles[:, 1], marker="x", s=40, color="crimson", zorder=5, label="saddles")


def mark_critical_points_1d(ax: Axes, result: dict, horizontal: bool = False) -> None:
    """Mark minima (dashed) and saddles (dotted) as lines at their w: vertical, or horizontal for w-vs-step plots."""
    minima, saddles = critical_points(result)
    line = ax.axhline if horizontal else ax.axvline
    for k, m in enumerate(minima[:, 0] if minima.size else []):
        line(m, color="0.3", linestyle="--", linewidth=0.8, label="minima" if k == 0 else None)
    for k, s in enumerate(saddles[:, 0] if saddles.size else []):
        line(s, color="crimson", linestyle=":", linewidth=0.8, label="saddles" if k == 0 else None)
