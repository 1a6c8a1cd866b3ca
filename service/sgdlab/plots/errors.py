"""Errors of the plot layer: an unknown plot name, or a result without the block a plot needs."""

from __future__ import annotations

from sgdlab.tables.errors import BlockUnavailable


class UnknownPlot(KeyError):
    """No plot has this name (the API maps it to 404)."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        from . import PLOT_NAMES
        return f"unknown plot {self.name!r}; known: {', '.join(PLOT_NAMES)}"


class PlotUnavailable(BlockUnavailable):
    """The result lacks the block this plot is drawn from (the API maps it to 404 with the reason)."""

    kind = "plot"
