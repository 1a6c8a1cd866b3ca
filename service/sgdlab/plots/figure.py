"""Thread-safe matplotlib figures (object API + Agg canvas, no pyplot state) and their encoding to bytes."""

from __future__ import annotations

import io

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

FORMATS = ("svg", "png")
PNG_DPI = 180          # default PNG resolution: a 7-inch figure is 1260 px wide, sized for a slide
MIN_PNG_DPI = 50       # below this a PNG is unreadable; the upper bound is limits.max_plot_dpi
matplotlib.rcParams["svg.hashsalt"] = "sgdlab"  # stable SVG element ids (set once, process-wide)
_METADATA = {"svg": {"Date": None}, "png": {"Software": None}}  # deterministic bytes for one result


def new_figure(width: float = 7.0, height: float = 4.2) -> Figure:
    """A fresh Figure attached to its own Agg canvas (safe to use from any thread)."""
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_bytes(fig: Figure, fmt: str, dpi: int | None = None) -> bytes:
    """The figure encoded as SVG or PNG (PNG at `dpi`, default PNG_DPI; SVG is resolution-free)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    buf = io.BytesIO()
    extra = {"dpi": dpi or PNG_DPI} if fmt == "png" else {}
    fig.savefig(buf, format=fmt, metadata=_METADATA[fmt], **extra)
    return buf.getvalue()
