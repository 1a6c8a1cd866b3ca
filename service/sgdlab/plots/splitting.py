"""The `splitting` plot of a rare-event exit-time result: the AMS level progression (left) and the reactive
paths on the landscape (right: 1-D w against step, 2-D over the contours, above 2-D the loss along each path)."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .errors import PlotUnavailable
from .landscape_view import (critical_points, draw_contours, mark_critical_points_1d, mark_critical_points_2d,
                             rebuild_landscape)
from .legends import legend_beside

NAME = "splitting"


def _splitting_block(result: dict) -> dict:
    """result.exit_times of a splitting run, or PlotUnavailable saying why there is none."""
    exit_times = result.get("exit_times")
    if not exit_times:
        raise PlotUnavailable(NAME, "the result has no exit_times block")
    if exit_times.get("method") != "splitting" or exit_times.get("levels") is None:
        raise PlotUnavailable(NAME, "exit times were measured directly; this plot needs "
                                    "observe.exit_times.method 'splitting' (or 'auto' choosing it)")
    return exit_times


def target_level(result: dict, exit_times: dict) -> float | None:
    """The coordinate's value at minimum `to` (where the levels head): 1 for the committor and the distance
    coordinate, the formula evaluated there otherwise (None when it cannot be evaluated)."""
    if exit_times.get("coordinate") in ("committor", "distance"):
        return 1.0
    minima = critical_points(result)[0]
    to = exit_times.get("to")
    formula = (((result.get("spec") or {}).get("observe") or {}).get("exit_times") or {}).get("coordinate")
    land = rebuild_landscape(result)
    if not isinstance(formula, dict) or land is None or to is None or not 0 <= int(to) < len(minima):
        return None
    try:
        from sgdlab.core.rare_events.reaction_coordinate import FormulaCoordinate, coordinate_variables
        xi = FormulaCoordinate(formula["formula"], coordinate_variables(land, land.dim))
        value = float(xi(minima[int(to)][None, :])[0])
    except Exception:       # an odd formula must not cost the plot: the mark is left out
        return None
    return value if np.isfinite(value) else None


def _title(exit_times: dict) -> str:
    """The estimated transition probability (± its standard error) and the repetitions it pools."""
    p, se = exit_times.get("transition_probability"), exit_times.get("transition_probability_stderr")
    estimate = "p = n/a" if p is None else f"p = {p:.3g}" + (f" ± {se:.2g}" if se is not None else "")
    return f"AMS levels (repetition 0); {estimate} over {exit_times.get('repetitions')} repetitions"


def draw_levels(ax: Axes, result: dict, exit_times: dict) -> None:
    """The level of the reaction coordinate reached at each AMS iteration, with the target level marked."""
    levels = np.asarray(exit_times["levels"], dtype=float)
    iterations = np.arange(1, len(levels) + 1)
    ax.plot(iterations, levels, marker="o", markersize=3, linewidth=1.2, color="tab:purple",
            label="level (k-th lowest maximum of the coordinate)")
    target = target_level(result, exit_times)
    if target is not None:
        ax.axhline(target, color="tab:green", linestyle="--", linewidth=1.0,
                   label=f"target: coordinate at minimum {exit_times.get('to')} = {target:.3g}")
    if exit_times.get("coordinate") == "committor" and levels.size and (levels > 0).all():
        ax.set_yscale("log")    # committor levels climb over orders of magnitude towards 1
    if not levels.size:
        ax.text(0.5, 0.5, "no AMS iteration: every replica reached the target or none did", ha="center",
                transform=ax.transAxes, fontsize=8, color="0.3")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("AMS iteration")
    ax.set_ylabel(f"level of the reaction coordinate ({exit_times.get('coordinate')})")
    ax.set_title(_title(exit_times), fontsize=9)


def _paths(exit_times: dict) -> list[tuple[np.ndarray, np.ndarray]]:
    """(step of each kept point, positions (points, d)) of each reactive path (thinning is even in steps)."""
    out = []
    for p in exit_times.get("reactive_paths") or []:
        w = np.asarray(p["path"], dtype=float)
        if w.ndim == 2 and len(w):
            out.append((np.linspace(0, float(p["steps"]), len(w)), w))
    return out


def _regions_1d(ax: Axes, result: dict, exit_times: dict) -> None:
    """Shade A (around minimum `from`) and B (around minimum `to`) as bands of w."""
    minima = critical_points(result)[0]
    regions = exit_times.get("regions") or {}
    for key, which, colour, label in (("r_a", "from", "tab:blue", "A"), ("r_b", "to", "tab:green", "B")):
        k, r = exit_times.get(which), regions.get(key)
        if k is not None and r is not None and 0 <= int(k) < len(minima):
            c = float(minima[int(k), 0])
            ax.axhspan(c - r, c + r, color=colour, alpha=0.12, label=f"{label} (around minimum {k})")


def _regions_2d(ax: Axes, result: dict, exit_times: dict) -> None:
    """Circles for A and Sigma around minimum `from` and for B around minimum `to`."""
    from matplotlib.patches import Circle
    minima = critical_points(result)[0]
    regions = exit_times.get("regions") or {}
    for key, which, colour, style, label in (("r_a", "from", "tab:blue", "-", "A"),
                                             ("r_sigma", "from", "tab:blue", ":", "Σ"),
                                             ("r_b", "to", "tab:green", "-", "B")):
        k, r = exit_times.get(which), regions.get(key)
        if k is not None and r is not None and 0 <= int(k) < len(minima):
            ax.add_patch(Circle(tuple(minima[int(k), :2]), r, fill=False, edgecolor=colour, linestyle=style,
                                linewidth=1.0, label=label))


def _range_2d(result: dict, exit_times: dict, paths: list) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) corners of a box holding the paths, the minima and the regions around them, padded."""
    minima = critical_points(result)[0].reshape(-1, 2)
    reach = max((exit_times.get("regions") or {}).values(), default=0.0)
    pts = np.concatenate([w for _, w in paths] + [minima - reach, minima + reach])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = 0.08 * np.maximum(hi - lo, 1e-9)
    return lo - pad, hi + pad


def draw_reactive_paths(ax: Axes, result: dict, exit_times: dict) -> None:
    """The kept reactive excursions (Sigma -> B) on the landscape, in the way the dimension allows."""
    paths = _paths(exit_times)
    if not paths:
        ax.text(0.5, 0.5, "no reactive path kept (no replica reached the target)", ha="center",
                transform=ax.transAxes, fontsize=8, color="0.3")
        ax.set_title("reactive paths", fontsize=9)
        return
    d = paths[0][1].shape[1]
    if d == 1:
        for steps, w in paths:
            ax.plot(steps, w[:, 0], linewidth=0.9)
        _regions_1d(ax, result, exit_times)
        mark_critical_points_1d(ax, result, horizontal=True)
        ax.set_xlabel("steps of the reactive excursion")
        ax.set_ylabel("w")
    elif d == 2:
        lo, hi = _range_2d(result, exit_times, paths)
        draw_contours(ax, result, rebuild_landscape(result), np.linspace(lo[0], hi[0], 120),
                      np.linspace(lo[1], hi[1], 120))
        for _, w in paths:
            line, = ax.plot(w[:, 0], w[:, 1], linewidth=1.0)
            ax.plot(w[0, 0], w[0, 1], marker="^", color=line.get_color(), markersize=4)
            ax.plot(w[-1, 0], w[-1, 1], marker="s", color=line.get_color(), markersize=4)
        _regions_2d(ax, result, exit_times)
        mark_critical_points_2d(ax, result)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_aspect("equal", adjustable="box")     # the regions are balls: circles, not ellipses
        ax.set_xlabel("w1")
        ax.set_ylabel("w2")
    else:   # above 2-D: the loss along each path shows the climb over the barrier in any dimension
        land = rebuild_landscape(result)
        if land is None:
            raise PlotUnavailable(NAME, f"the {d}-D landscape could not be rebuilt to evaluate L(w)")
        for steps, w in paths:
            with np.errstate(all="ignore"):
                ax.plot(steps, np.asarray(land.loss(w), dtype=float), linewidth=0.9)
        land_doc = result.get("landscape") or {}
        for k, m in enumerate(land_doc.get("minima") or []):
            ax.axhline(m["loss"], color="0.3", linestyle="--", linewidth=0.6, label="minima" if k == 0 else None)
        for k, s in enumerate(land_doc.get("saddles") or []):
            ax.axhline(s["loss"], color="crimson", linestyle=":", linewidth=0.8, label="saddles" if k == 0 else None)
        ax.set_xlabel("steps of the reactive excursion")
        ax.set_ylabel("loss L(w) along the path")
    ax.set_title(f"{len(paths)} reactive paths, minimum {exit_times.get('from')} → {exit_times.get('to')}"
                 + (" (▲ start on Σ, ■ end in B)" if d == 2 else ""), fontsize=9)


def draw_splitting(fig: Figure, result: dict) -> None:
    """Left: the AMS level progression; right: the reactive paths on the landscape."""
    exit_times = _splitting_block(result)
    left, right = fig.subplots(1, 2)
    draw_levels(left, result, exit_times)
    draw_reactive_paths(right, result, exit_times)
    legend_beside(fig, left, right, max_columns=3)
