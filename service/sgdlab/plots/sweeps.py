"""Plots of a sweep's result: `arrhenius` (log tau against beta dL with the fit and Kramers), `scaling` (the
linear-scaling pairs' chi-square p-values), `basins_vs_beta` (fractions against beta with Gibbs) and `heatmap`
(a summary statistic over two axes)."""

from __future__ import annotations

import json

import numpy as np
from matplotlib.figure import Figure

from sgdlab.core.errors import SpecError
from sgdlab.tables.errors import TableUnavailable
from sgdlab.tables.point_summary import SCALAR_FIELDS

from .legends import legend_beside

DEFAULT_HEATMAP_STAT = "kl_divergence"


def _analysis(result: dict, name: str, plot: str) -> dict:
    """result.analyses[name], or TableUnavailable saying what the sweep needs for it."""
    if result.get("kind") != "sweep":
        raise TableUnavailable(plot, "only a sweep's result has this plot")
    found = (result.get("analyses") or {}).get(name)
    if not found:
        raise TableUnavailable(plot, f"the sweep has no '{name}' analysis (its axes do not support it)")
    return found


def draw_arrhenius(fig: Figure, result: dict) -> None:
    """log tau (continuous time) against beta dL: points with 95% intervals, the weighted fit, and Kramers."""
    arr = _analysis(result, "arrhenius", "arrhenius")
    ax = fig.add_subplot()
    x = np.array([p["beta_dl"] for p in arr["points"]])
    tau = np.array([p["tau"] for p in arr["points"]])
    lo, hi = np.array([p["tau_ci95"] for p in arr["points"]]).T
    ax.errorbar(x, tau, yerr=[tau - lo, hi - tau], fmt="o", capsize=3, label="simulated mean exit time ± 95%")
    grid = np.linspace(x.min(), x.max(), 100)
    ax.plot(grid, arr["prefactor"] * np.exp(arr["slope"] * grid), color="tab:blue",
            label=f"fit: slope {arr['slope']:.3f} ± {arr['slope_stderr']:.3f}")
    if arr.get("kramers_prefactor"):
        ax.plot(grid, arr["kramers_prefactor"] * np.exp(grid), "k--", label="Kramers (slope 1)")
    ax.set_yscale("log")
    ax.set_xlabel("beta dL (barrier / temperature)")
    ax.set_ylabel("tau = lr x mean exit steps")
    ax.set_title("Arrhenius: exit time against beta dL")
    legend_beside(fig, ax)


def draw_scaling(fig: Figure, result: dict) -> None:
    """The two-sample chi-square p-value of each pair at equal lr*steps, grouped by equal or different lr/B."""
    pairs = _analysis(result, "linear_scaling", "scaling")["pairs"]
    ax = fig.add_subplot()
    for same, colour, label in ((True, "tab:green", "equal lr/B (should agree)"),
                                (False, "tab:red", "different lr/B")):
        mine = [p for p in pairs if p["same_ratio"] == same and p["pvalue"] is not None]
        if mine:
            ax.bar([f"{p['a']}-{p['b']}" for p in mine], [max(p["pvalue"], 1e-300) for p in mine], color=colour,
                   label=label)
    ax.axhline(1e-3, color="black", linestyle="--", linewidth=0.8, label="p = 1e-3")
    ax.set_yscale("log")
    ax.set_xlabel("pair of points (indices), equal continuous time lr x steps")
    ax.set_ylabel("two-sample chi-square p-value")
    ax.set_title("Linear scaling rule: final histograms at equal lr/B agree")
    legend_beside(fig, ax)


def draw_basins_vs_beta(fig: Figure, result: dict) -> None:
    """Final basin fractions (± stderr) against beta, with the Gibbs fractions dashed."""
    rows = _analysis(result, "basins_vs_beta", "basins_vs_beta")["points"]
    ax = fig.add_subplot()
    beta = np.array([r["beta"] for r in rows])
    for k in range(max(len(r["fractions"]) for r in rows)):
        frac = [r["fractions"][k] if k < len(r["fractions"]) else None for r in rows]
        err = [(r["stderr"][k] or 0.0) if k < len(r["stderr"]) else 0.0 for r in rows]
        line = ax.errorbar(beta, np.array(frac, dtype=float), yerr=err, marker="o", capsize=3, label=f"basin {k}")
        gibbs = [r["gibbs"][k] if r.get("gibbs") and k < len(r["gibbs"]) else np.nan for r in rows]
        if not np.all(np.isnan(gibbs)):
            ax.plot(beta, gibbs, "--", color=line[0].get_color(), label=f"Gibbs, basin {k}")
    ax.set_xscale("log")
    ax.set_xlabel("beta = 2B / lr")
    ax.set_ylabel("fraction of particles")
    ax.set_ylim(0, 1.05)
    ax.set_title("Basin occupation against beta")
    legend_beside(fig, ax)


def _sort_key(v) -> tuple:
    """Numbers first in numeric order, then anything else by its JSON text."""
    number = isinstance(v, (int, float)) and not isinstance(v, bool)
    return (0, v, "") if number else (1, 0, json.dumps(v, sort_keys=True))


def _axis_values(points: list[dict], path: str) -> list:
    """The distinct values of an axis over the points, sorted."""
    distinct: list = []
    for p in points:
        if p["params"][path] not in distinct:
            distinct.append(p["params"][path])
    return sorted(distinct, key=_sort_key)


def _label(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return v.get("schedule", json.dumps(v)) if isinstance(v, dict) else str(v)


def draw_heatmap(fig: Figure, result: dict, stat: str | None = None) -> None:
    """A summary statistic (mean over repeats) over the sweep's first two axes."""
    if result.get("kind") != "sweep":
        raise TableUnavailable("heatmap", "only a sweep's result has this plot")
    stat = stat or DEFAULT_HEATMAP_STAT
    if stat not in SCALAR_FIELDS:
        raise SpecError(f"unknown statistic {stat!r}; choose one of {', '.join(SCALAR_FIELDS)}", "stat")
    axes = result.get("axes") or []
    if len(axes) < 2:
        raise TableUnavailable("heatmap", "a heatmap needs a sweep with two axes")
    points = result["points"]
    xs, ys = _axis_values(points, axes[0]), _axis_values(points, axes[1])
    sums, counts = np.zeros((len(ys), len(xs))), np.zeros((len(ys), len(xs)))
    for p in points:
        v = (p.get("summary") or {}).get(stat)
        if v is not None:
            i, j = ys.index(p["params"][axes[1]]), xs.index(p["params"][axes[0]])
            sums[i, j] += v
            counts[i, j] += 1
    grid = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    if np.all(np.isnan(grid)):
        raise TableUnavailable("heatmap", f"no point of the sweep has the statistic {stat!r}")
    ax = fig.add_subplot()
    mesh = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(xs)), [_label(v) for v in xs], rotation=45)
    ax.set_yticks(range(len(ys)), [_label(v) for v in ys])
    middle = np.nanmin(grid) + 0.5 * (np.nanmax(grid) - np.nanmin(grid))
    for (i, j), v in np.ndenumerate(grid):
        if np.isfinite(v):   # dark text on the bright (high) end of viridis, light text on the dark end
            ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=8,
                    color="black" if v > middle else "white")
    ax.set_xlabel(axes[0])
    ax.set_ylabel(axes[1])
    fig.colorbar(mesh, ax=ax, label=stat + (" (mean over repeats)" if result.get("repeats", 1) > 1 else ""))
    ax.set_title(f"{stat} over {axes[0]} and {axes[1]}")
