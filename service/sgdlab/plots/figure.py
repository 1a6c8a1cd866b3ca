"""Thread-safe matplotlib figures (object API + Agg canvas, no pyplot state) and their encoding to bytes."""

from __future__ import annotations

import io

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

FORMATS = ("svg", "png")
matplotlib.rcParams["svg.hashsalt"] = "sgdlab"  # stable SVG element ids (set once, process-wide)
_METADATA = {"svg": {"Date": None}, "png": {"Software": None}}  # deterministic bytes for one result


def new_figure(width: float = 7.0, height: float = 4.2) -> Figure:
    """A fresh Figure attached to its own Agg canvas (safe to use from any thread)."""
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure encoded as SVG or PNG."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, metadata=_METADATA[fmt])
    return buf.getvalue()
