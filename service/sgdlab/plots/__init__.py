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
from .figure import FORMATS, figure_bytes, new_figure
from .histogram import draw_histogram
from .loss_trace import draw_loss_trace
from .survival import draw_survival
from .trajectories import draw_trajectories
from .vega import VEGA_BUILDERS, vega_spec

PLOT_DRAWERS: dict[str, Callable[[Figure, dict], None]] = {
    "histogram": draw_histogram,
    "basins": draw_basins,
    "survival": draw_survival,
    "loss_trace": draw_loss_trace,
    "trajectories": draw_trajectories,
    "arrival": draw_arrival,
}
PLOT_NAMES: tuple[str, ...] = tuple(PLOT_DRAWERS)
VEGA_NAMES: tuple[str, ...] = tuple(VEGA_BUILDERS)
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


def render_plot(name: str, result: dict, fmt: str = "svg") -> bytes:
    """The plot `name` of a result as SVG or PNG bytes; UnknownPlot or PlotUnavailable otherwise."""
    draw = PLOT_DRAWERS.get(name)
    if draw is None:
        raise UnknownPlot(name)
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    fig = new_figure(8.0, 4.2) if name == "basins" else new_figure()
    try:
        draw(fig, result)
    except TableUnavailable as exc:
        raise PlotUnavailable(name, exc.reason) from exc
    return figure_bytes(fig, fmt)


def vega_lite(name: str, result: dict) -> dict:
    """A Vega-Lite v5 spec with inline data for `name` (histogram, basins, survival, loss_trace)."""
    if name not in PLOT_DRAWERS:
        raise UnknownPlot(name)
    try:
        return vega_spec(name, result)
    except TableUnavailable as exc:
        raise PlotUnavailable(name, exc.reason) from exc


__all__ = ["render_plot", "vega_lite", "UnknownPlot", "PlotUnavailable", "PLOT_NAMES", "VEGA_NAMES",
           "MEDIA_TYPES"]
