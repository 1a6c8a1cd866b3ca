"""Legends placed below the axes, outside the data, so they never cover a curve's peak."""

from __future__ import annotations

import textwrap

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
    # long labels (a theory's reason for being unavailable) get one column and are wrapped, so none is clipped
    columns = 1 if max(len(lab) for lab in labels) > WIDE_LABEL else min(max_columns, len(handles))
    width = WRAP_ONE_COLUMN if columns == 1 else WIDE_LABEL
    labels = [textwrap.fill(lab, width) for lab in labels]
    return fig.legend(handles, labels, loc="outside lower center", ncols=columns, fontsize=fontsize, frameon=False)


WIDE_LABEL = 48        # characters: above this a legend goes to one column
WRAP_ONE_COLUMN = 95   # characters per line of a one-column legend (fits the default figure width at fontsize 7)
