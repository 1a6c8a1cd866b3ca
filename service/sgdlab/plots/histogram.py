"""The `histogram` plot: the particles' density against the theory's density (the stationary law of the dynamics
that ran: Gibbs for isotropic noise, else `stationary.law`), with the landscape behind it."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sgdlab.tables.values import result_dim

from .colour_scales import density_cmap, log_density_norm, masked_density
from .errors import PlotUnavailable
from .legends import legend_beside
from .landscape_view import (draw_contours, loss_curve, mark_critical_points_1d, mark_critical_points_2d,
                             rebuild_landscape)


def _final_histogram(result: dict) -> dict:
    """result.histograms.final, or PlotUnavailable."""
    final = (result.get("histograms") or {}).get("final")
    if not final or not final.get("edges"):
        raise PlotUnavailable("histogram", "the result has no final histogram (observe.histogram)")
    return final


def _on_bins(theory: list | None, n_bins: int) -> np.ndarray | None:
    """A theory density as an array on the histogram's bins (None when absent or on other bins)."""
    if theory is None or len(theory) != n_bins:
        return None
    return np.asarray([np.nan if v is None else v for v in theory], dtype=float)


def theory_density(result: dict, n_bins: int) -> tuple[np.ndarray, str, str] | None:
    """(density on the bins, legend label, law name) of the law the dynamics that ran has: `stationary` when its
    law is not Gibbs (data noise), else Gibbs; None when the result has neither on these bins."""
    stationary = result.get("stationary") or {}
    law = stationary.get("law")
    if law and law != "gibbs":
        density = _on_bins(stationary.get("density_theory"), n_bins)
        return None if density is None else (density, f"stationary law: {law}", law)
    density = _on_bins((result.get("gibbs") or {}).get("density_theory"), n_bins)
    if density is None:
        return None
    beta = (result.get("gibbs") or {}).get("beta_theory")
    label = f"Gibbs exp(-βL)/Z, β={beta:.3g}" if isinstance(beta, (int, float)) else "Gibbs density"
    return density, label, "Gibbs"


def draw_histogram_1d(fig: Figure, result: dict) -> None:
    """Density bars, snapshots and time average, the Gibbs density, and L(w) on a second axis."""
    final = _final_histogram(result)
    hists = result["histograms"]
    edges = np.asarray(final["edges"][0], dtype=float)
    ax = fig.add_subplot()
    density_run = result.get("kind") == "density_evolution"
    step = result.get("spec", {}).get("steps", "final")
    ax.stairs(np.asarray(final["density"], dtype=float), edges, fill=True, alpha=0.45, color="tab:blue",
              label=f"exact density, step {step}" if density_run else f"particles, step {step}")
    for snap in hists.get("snapshots") or []:
        ax.stairs(np.asarray(snap["density"], dtype=float), np.asarray(snap["edges"][0], dtype=float),
                  linewidth=0.8, alpha=0.7, label=f"step {snap.get('step')}")
    if hists.get("time_average"):
        ta = hists["time_average"]
        ax.stairs(np.asarray(ta["density"], dtype=float), np.asarray(ta["edges"][0], dtype=float),
                  color="tab:green", linewidth=1.2, label="time average")
    theory = theory_density(result, len(edges) - 1)
    law = None
    if theory is not None:
        density, label, name = theory
        ax.stairs(density, edges, color="black", linewidth=1.4, label=label)
        law = "the Gibbs law" if name == "Gibbs" else f"the stationary law ({name})"
    ax.set_xlabel("w")
    ax.set_ylabel("density (1/w)")
    ax.set_xlim(edges[0], edges[-1])
    xs = np.linspace(edges[0], edges[-1], 400)
    ys = loss_curve(rebuild_landscape(result), xs)
    twin = None
    if ys is not None:
        twin = ax.twinx()
        twin.plot(xs, ys, color="tab:red", linewidth=1.0, alpha=0.8, label="L(w)")
        twin.set_ylabel("loss L(w)", color="tab:red")
        twin.tick_params(axis="y", colors="tab:red")
    mark_critical_points_1d(ax, result)
    legend_beside(fig, ax, *([twin] if twin is not None else []))
    what = "Density on the grid" if density_run else "Particle density"
    ax.set_title(f"{what} vs {law}" if law else f"{what} (no stationary law to compare with)")


def _image(ax, values: np.ndarray, e1: np.ndarray, e2: np.ndarray, **kw):
    """values[i1, i2] drawn as an image over the bin edges (w1 across, w2 up)."""
    return ax.imshow(values.T, origin="lower", extent=(e1[0], e1[-1], e2[0], e2[-1]), aspect="auto",
                     interpolation="nearest", **kw)


def draw_histogram_2d(fig: Figure, result: dict) -> None:
    """The density as a heatmap, the landscape's contours, minima and saddles."""
    final = _final_histogram(result)
    e1, e2 = (np.asarray(e, dtype=float) for e in final["edges"][:2])
    shape = (len(e1) - 1, len(e2) - 1)
    density = np.asarray(final["density"], dtype=float).reshape(shape)
    ax = fig.add_subplot()
    norm = log_density_norm(density)
    im = _image(ax, masked_density(density) if norm else density, e1, e2, cmap=density_cmap(), norm=norm)
    fig.colorbar(im, ax=ax, label="density (1/w², log scale; grey: empty)" if norm else "density (1/w²)")
    c1, c2 = 0.5 * (e1[:-1] + e1[1:]), 0.5 * (e2[:-1] + e2[1:])
    x1, x2 = np.linspace(e1[0], e1[-1], 120), np.linspace(e2[0], e2[-1], 120)
    if not draw_contours(ax, result, rebuild_landscape(result), x1, x2):
        theory = theory_density(result, shape[0] * shape[1])
        if theory is not None and np.nanmax(theory[0]) > 0:
            ax.contour(c1, c2, theory[0].reshape(shape).T, colors="white", linewidths=0.7, levels=6)
            ax.set_title(f"Particle density; white: {theory[1]} density contours")
    mark_critical_points_2d(ax, result)
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")
    if not ax.get_title():
        what = "Exact density" if result.get("kind") == "density_evolution" else "Particle density"
        ax.set_title(f"{what} over the landscape's contours")
    legend_beside(fig, ax)


MAX_MARGINAL_PANELS = 12


def draw_histogram_marginals(fig: Figure, result: dict) -> None:
    """Above 2-D: one panel per coordinate with its marginal density (the first MAX_MARGINAL_PANELS)."""
    final = _final_histogram(result)
    edges = [np.asarray(e, dtype=float) for e in final["edges"]]
    width = max(len(e) - 1 for e in edges)
    density = np.asarray(final["density"], dtype=float).reshape(len(edges), width)
    shown = min(len(edges), MAX_MARGINAL_PANELS)
    cols = min(3, shown)
    rows = -(-shown // cols)
    for k in range(shown):
        ax = fig.add_subplot(rows, cols, k + 1)
        e = edges[k]
        ax.stairs(density[k, : len(e) - 1], e, fill=True, alpha=0.5, color="tab:blue")
        for m in (result.get("landscape") or {}).get("minima", []):
            ax.axvline(m["location"][k], color="black", linestyle="--", linewidth=0.5, alpha=0.5)
        ax.set_xlabel(f"w{k + 1}")
        ax.set_ylabel("density")
        ax.tick_params(labelsize=7)
    title = "Marginal densities of the particles (dashed: minima)"
    if shown < len(edges):
        title += f"; first {shown} of {len(edges)} coordinates"
    fig.suptitle(title)


def draw_histogram(fig: Figure, result: dict) -> None:
    """1-D or 2-D histogram plot by the landscape's dimension; per-coordinate marginals above."""
    dim = result_dim(result)
    if dim == 1:
        draw_histogram_1d(fig, result)
    elif dim == 2:
        draw_histogram_2d(fig, result)
    else:
        draw_histogram_marginals(fig, result)
