"""Legends placed below the axes, outside the data, so they never cover a curve's peak."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend


def legend_beside(fig: Figure, *axes: Axes, fontsize: float = 7, max_columns: int = 4) -> Legend | None:
    """One legend for the labelled artists of `axes`, below the figure's axes (constrained layout makes room)."""
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    if not handles:
        return None
    return fig.legend(handles, labels, loc="outside lower center", ncols=min(max_columns, len(handles)),
                      fontsize=fontsize, frameon=False)
