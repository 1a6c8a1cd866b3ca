"""matplotlib figures of a result (Agg-safe; needs `pip install sgdlab-client[plot]`)."""

from __future__ import annotations

from typing import Any, Optional

from ._optional import require


def available_panels(result: Any) -> list[str]:
    """Panels the result has data for: histogram, survival, basins, kl."""
    panels = []
    hs = getattr(result, "histograms", None)
    if hs is not None and hs.final is not None and (hs.final.edges is not None or result._grid_edges()):
        panels.append("histogram")
    et = getattr(result, "exit_times", None)
    if et is not None and et.survival is not None:
        panels.append("survival")
    if getattr(result, "basins", None) is not None and result.basins.final:
        panels.append("basins")
    if getattr(result, "kl_to_stationary", None):
        panels.append("kl")
    return panels


def plot_result(result: Any, kinds: Optional[list[str]] = None) -> Any:
    """One Figure with a panel per kind (default: every available panel)."""
    np = require("numpy")
    require("matplotlib")
    from matplotlib.figure import Figure  # the object API needs no display backend
    kinds = kinds or available_panels(result) or ["histogram"]
    fig = Figure(figsize=(4.5 * len(kinds), 3.6), layout="constrained")
    axes = fig.subplots(1, len(kinds), squeeze=False)[0]
    draw = {"histogram": _histogram, "survival": _survival, "basins": _basins, "kl": _kl}
    for ax, kind in zip(axes, kinds):
        if kind not in draw:
            raise ValueError(f"unknown plot {kind!r}; choose among {', '.join(draw)}")
        draw[kind](ax, result, np)
    return fig


def _histogram(ax: Any, result: Any, np: Any) -> None:
    h = result.histogram("final")
    if h.dim == 1:
        ax.stairs(h.density, h.edges, label="particles", fill=True, alpha=0.4)
        theory = (result.gibbs.density_theory if result.gibbs else None) or (
            result.stationary.density if getattr(result, "stationary", None) else None)
        if theory is not None and len(theory) == len(h.density):
            ax.plot(h.centers, theory, "k-", lw=1.2, label="Gibbs" if result.gibbs else "stationary")
        ax.set_xlabel("w")
        ax.set_ylabel("density")
        ax.legend()
    else:
        density = h.density if h.density.ndim == 2 else h.density.reshape(-1, 1)
        ax.pcolormesh(h.edges[0], h.edges[1], density.T, shading="flat")
        ax.set_xlabel("w0")
        ax.set_ylabel("w1")
    ax.set_title("final histogram")


def _survival(ax: Any, result: Any, np: Any) -> None:
    et = result.exit_times
    steps = np.asarray(et.survival.steps, dtype=float)
    ax.step(steps, et.survival.probability, where="post", label="measured")
    if et.mean_steps:
        ax.plot(steps, np.exp(-steps / et.mean_steps), "k--", label=f"exp(-t/{et.mean_steps:.3g})")
    ax.set_yscale("log")
    ax.set_xlabel("steps")
    ax.set_ylabel("P(not escaped)")
    ax.set_title(f"survival {et.from_} -> {et.to}")
    ax.legend()


def _basins(ax: Any, result: Any, np: Any) -> None:
    final = result.basins.final
    idx = np.arange(len(final))
    ax.bar(idx - 0.2, [float("nan") if b.fraction is None else b.fraction for b in final], 0.4, yerr=[b.stderr or 0 for b in final], label="measured")
    theory = result.gibbs.basin_fractions_theory if result.gibbs else None
    if theory:
        ax.bar(np.arange(len(theory)) + 0.2, theory, 0.4, label="Gibbs")
    ax.set_xticks(idx, [str(b.basin) for b in final])
    ax.set_xlabel("basin")
    ax.set_ylabel("fraction")
    ax.legend()


def _kl(ax: Any, result: Any, np: Any) -> None:
    kl = np.asarray(result.kl_to_stationary, dtype=float)
    ax.semilogy(np.arange(len(kl)), np.maximum(kl, 1e-300))
    ax.set_xlabel("snapshot")
    ax.set_ylabel("KL(rho_t || rho_inf)")
