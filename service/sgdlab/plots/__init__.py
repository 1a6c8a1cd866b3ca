"""Plots of a result document: matplotlib SVG/PNG (Agg canvas, no pyplot state) and Vega-Lite v5 specs.

`render_plot(name, result, fmt)` and `vega_lite(name, result)` are pure: no HTTP, no storage.
"""

from __future__ import annotations

from typing import Callable

from matplotlib.figure import Figure

from sgdlab.tables import TableUnavailable

from .arrival import draw_arrival
from .basins import draw_basins
from .errors import PlotUnavailable, UnknownPlot
from .density_evolution import draw_kl_to_stationary, draw_stationary_vs_gibbs
from .figure import FORMATS, MIN_PNG_DPI, PNG_DPI, figure_bytes, new_figure
from .histogram import draw_histogram
from .splitting import draw_splitting
from .loss_trace import draw_loss_trace
from .survival import draw_survival
from .sweeps import draw_arrhenius, draw_basins_vs_beta, draw_heatmap, draw_scaling
from .trajectories import draw_trajectories
from .sweep_vega import SWEEP_VEGA_BUILDERS
from .vega import VEGA_BUILDERS, vega_spec

PLOT_DRAWERS: dict[str, Callable[[Figure, dict], None]] = {
    "histogram": draw_histogram,
    "basins": draw_basins,
    "survival": draw_survival,
    "loss_trace": draw_loss_trace,
    "trajectories": draw_trajectories,
    "arrival": draw_arrival,
    "kl_to_stationary": draw_kl_to_stationary,
    "stationary_vs_gibbs": draw_stationary_vs_gibbs,
    "arrhenius": draw_arrhenius,
    "scaling": draw_scaling,
    "basins_vs_beta": draw_basins_vs_beta,
    "heatmap": draw_heatmap,
    "splitting": draw_splitting,
}
PLOT_NAMES: tuple[str, ...] = tuple(PLOT_DRAWERS)
DENSITY_PLOT_NAMES: tuple[str, ...] = ("kl_to_stationary", "stationary_vs_gibbs")
"""Plots only a density_evolution result has (its histogram plot is shared with simulations)."""
SWEEP_PLOT_NAMES: tuple[str, ...] = ("arrhenius", "scaling", "basins_vs_beta", "heatmap")
"""Plots of a sweep's result (heatmap takes ?stat=, a scalar summary field)."""
SPLITTING_PLOT_NAMES: tuple[str, ...] = ("splitting",)
"""Plots only a rare-event (splitting) exit-time result has: AMS levels and reactive paths (no table)."""
SIMULATION_PLOT_NAMES: tuple[str, ...] = tuple(n for n in PLOT_NAMES
                                               if n not in DENSITY_PLOT_NAMES + SWEEP_PLOT_NAMES
                                               + SPLITTING_PLOT_NAMES)
PLOT_BLOCKS: dict[str, str] = {
    "histogram": "histograms", "basins": "basins", "survival": "exit_times", "loss_trace": "loss_trace",
    "trajectories": "trajectories", "arrival": "arrival", "kl_to_stationary": "kl_to_stationary",
    "stationary_vs_gibbs": "grid", "arrhenius": "analyses.arrhenius",
    "scaling": "analyses.linear_scaling", "basins_vs_beta": "analyses.basins_vs_beta", "heatmap": "points",
    "splitting": "exit_times.levels",
}
"""The result block that tells a plot applies, a dotted path (the dashboard offers a plot when that block is in the
result). `stationary_vs_gibbs` draws the grid chain's `stationary.density`; simulations have a `stationary` block
too (the theory's law against the histogram), so it keys on `grid`, which only density_evolution results carry."""
VEGA_NAMES: tuple[str, ...] = tuple(VEGA_BUILDERS)
SWEEP_VEGA_NAMES: tuple[str, ...] = tuple(SWEEP_VEGA_BUILDERS)
"""Vega-Lite views of a sweep's result."""
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def render_plot(name: str, result: dict, fmt: str = "svg", dpi: int | None = None, stat: str | None = None) -> bytes:
    """The plot `name` of a result as SVG or PNG bytes (PNG at `dpi`, default PNG_DPI; `stat`: the heatmap's
    summary statistic); UnknownPlot or PlotUnavailable otherwise."""
    draw = PLOT_DRAWERS.get(name)
    if draw is None:
        raise UnknownPlot(name)
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    fig = new_figure(8.0, 4.2) if name in ("basins", "stationary_vs_gibbs") else \
        new_figure(10.0, 4.6) if name == "splitting" else new_figure()
    try:
        draw(fig, result, stat) if name == "heatmap" else draw(fig, result)
    except TableUnavailable as exc:
        raise PlotUnavailable(name, exc.reason) from exc
    return figure_bytes(fig, fmt, dpi)


def vega_lite(name: str, result: dict) -> dict:
    """A Vega-Lite v5 spec with inline data for `name` (histogram, basins, survival, loss_trace)."""
    if name not in PLOT_DRAWERS:
        raise UnknownPlot(name)
    try:
        return vega_spec(name, result)
    except TableUnavailable as exc:
        raise PlotUnavailable(name, exc.reason) from exc


__all__ = ["render_plot", "vega_lite", "UnknownPlot", "PlotUnavailable", "PLOT_NAMES", "PLOT_BLOCKS",
           "SIMULATION_PLOT_NAMES", "DENSITY_PLOT_NAMES", "SPLITTING_PLOT_NAMES", "SWEEP_PLOT_NAMES", "SWEEP_VEGA_NAMES", "VEGA_NAMES",
           "MEDIA_TYPES", "PNG_DPI", "MIN_PNG_DPI"]
