"""Plots of a `density_evolution` result: the KL(rho_t || rho_inf) series, and the chain's stationary law
against the Gibbs law exp(-beta L)/Z (their gap is the discretisation bias of the chain)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sgdlab.tables.values import num

from .colour_scales import density_cmap, log_density_norm, masked_density
from .errors import PlotUnavailable
from .landscape_view import mark_critical_points_1d, mark_critical_points_2d
from .legends import legend_beside


def _floats(values) -> np.ndarray:
    """A list with None for missing values as a float array with NaN."""
    return np.asarray([np.nan if v is None else v for v in values or []], dtype=float)


def draw_kl_to_stationary(fig: Figure, result: dict) -> None:
    """KL(rho_t || rho_inf) (log scale, left) and the total variation to rho_inf (right) against the step."""
    kl = _floats(result.get("kl_to_stationary"))
    if kl.size == 0:
        raise PlotUnavailable("kl_to_stationary", "the result has no 'kl_to_stationary' series "
                                                  "(a density_evolution job makes it)")
    steps = _floats(result.get("series_steps")) if result.get("series_steps") else np.arange(kl.size, dtype=float)
    ax = fig.add_subplot()
    positive = np.isfinite(kl) & (kl > 0)
    ax.plot(steps[positive], kl[positive], color="tab:blue", linewidth=1.6, label="KL(ρ_t ‖ ρ∞)")
    if positive.any():
        ax.set_yscale("log")
    ax.set_xlabel("steps t")
    ax.set_ylabel("KL(ρ_t ‖ ρ∞) (nats, log scale)")
    twin = None
    tv = _floats(result.get("total_variation_to_stationary"))
    if tv.size == kl.size:
        twin = ax.twinx()
        twin.plot(steps, tv, color="tab:orange", linewidth=1.0, linestyle="--", label="total variation to ρ∞")
        twin.set_ylabel("total variation", color="tab:orange")
        twin.set_ylim(0, 1.02)
        twin.tick_params(axis="y", colors="tab:orange")
    end = kl[np.isfinite(kl)]
    ax.set_title("Relaxation to the chain's stationary law" +
                 (f": KL at step {int(steps[-1])} = {end[-1]:.3g}" if end.size else ""))
    legend_beside(fig, ax, *([twin] if twin is not None else []))


def _stationary_and_gibbs(result: dict) -> tuple[list[np.ndarray], np.ndarray, np.ndarray | None]:
    """(grid edges, stationary density, Gibbs density or None), or PlotUnavailable."""
    stationary = (result.get("stationary") or {}).get("density")
    edges = (result.get("grid") or {}).get("edges") or ((result.get("histograms") or {}).get("final") or {}).get("edges")
    if not stationary or not edges:
        raise PlotUnavailable("stationary_vs_gibbs", "the result has no stationary density on a grid "
                                                     "(a density_evolution job makes it)")
    rho = _floats(stationary)
    gibbs = (result.get("gibbs") or {}).get("density_theory")
    g = _floats(gibbs) if gibbs is not None and len(gibbs) == rho.size else None
    return [np.asarray(e, dtype=float) for e in edges], rho, g


def _gap_text(result: dict) -> str:
    """"KL = 0.086, TV = 0.13" from result.gibbs (what is available)."""
    gibbs = result.get("gibbs") or {}
    parts = [f"{name} = {value:.3g}" for name, value in
             (("KL(ρ∞ ‖ Gibbs)", num(gibbs.get("kl_stationary_vs_gibbs"))),
              ("TV", num(gibbs.get("total_variation_stationary_vs_gibbs")))) if value is not None]
    return ", ".join(parts)


def draw_stationary_vs_gibbs(fig: Figure, result: dict) -> None:
    """1-D: both densities as curves; 2-D: both as log-scale heatmaps side by side. The gap is in the title."""
    edges, rho, gibbs = _stationary_and_gibbs(result)
    gap = _gap_text(result)
    if len(edges) == 1:
        e = edges[0]
        centres = 0.5 * (e[:-1] + e[1:])
        ax = fig.add_subplot()
        ax.plot(centres, rho, color="tab:blue", linewidth=1.8, label="stationary law ρ∞ of the chain")
        if gibbs is not None:
            beta = num(result.get("beta"))
            ax.plot(centres, gibbs, color="black", linestyle="--", linewidth=1.2,
                    label="Gibbs exp(-βL)/Z" + (f", β = {beta:.3g}" if beta is not None else ""))
        mark_critical_points_1d(ax, result)
        ax.set_xlabel("w")
        ax.set_ylabel("density (1/w)")
        ax.set_xlim(e[0], e[-1])
        ax.set_title("Stationary law vs Gibbs" + (f": {gap}" if gap else ""))
        legend_beside(fig, ax)
        return
    if len(edges) != 2:
        raise PlotUnavailable("stationary_vs_gibbs", f"no plot for a {len(edges)}-D grid")
    e1, e2 = edges
    shape = (len(e1) - 1, len(e2) - 1)
    panels = [("stationary law ρ∞", rho)] + ([("Gibbs exp(-βL)/Z", gibbs)] if gibbs is not None else [])
    norm = log_density_norm(*(v for _, v in panels))
    axes = fig.subplots(1, len(panels), sharex=True, sharey=True, squeeze=False)[0]
    for ax, (title, values) in zip(axes, panels):
        grid = values.reshape(shape)
        im = ax.imshow((masked_density(grid) if norm else grid).T, origin="lower", aspect="auto",
                       extent=(e1[0], e1[-1], e2[0], e2[-1]), interpolation="nearest", cmap=density_cmap(), norm=norm)
        mark_critical_points_2d(ax, result)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("w1")
    axes[0].set_ylabel("w2")
    fig.colorbar(im, ax=list(axes), label="density (log scale)" if norm else "density")
    fig.suptitle("Stationary law vs Gibbs" + (f": {gap}" if gap else ""))
