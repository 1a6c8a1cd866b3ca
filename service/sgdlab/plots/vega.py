"""Vega-Lite v5 specs with inline data for the histogram, basins, survival and loss_trace views.

The data of each spec is the tidy table of the same name (`sgdlab.tables.build_table`): one source of truth.
"""

from __future__ import annotations

from sgdlab.tables import build_table
from sgdlab.tables.values import result_dim

from .errors import PlotUnavailable

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def _spec(title: str, rows: list[dict], **body) -> dict:
    """A top-level spec: schema, title, size, inline data and the given body (mark/encoding or layer)."""
    return {"$schema": SCHEMA, "title": title, "width": 520, "height": 300, "data": {"values": rows}, **body}


def _q(field: str, title: str, **extra) -> dict:
    """A quantitative encoding channel."""
    return {"field": field, "type": "quantitative", "title": title, **extra}


def histogram_spec(result: dict) -> dict:
    """Final density bars with the Gibbs density as a line (1-D), or a density heatmap (2-D)."""
    rows = build_table("histogram", result, which="final")  # selected per record: snapshots are never built
    if result_dim(result) == 2:
        return _spec("Particle density (final)", rows, mark="rect", encoding={
            "x": _q("left1", "w1"), "x2": {"field": "right1"},
            "y": _q("left2", "w2"), "y2": {"field": "right2"},
            "color": _q("density", "density (1/w²)", scale={"scheme": "viridis"}),
            "tooltip": [_q("w1", "w1"), _q("w2", "w2"), _q("density", "density"), _q("count", "count")]})
    return _spec("Particle density vs the Gibbs law", rows, layer=[
        {"mark": {"type": "bar", "opacity": 0.5},
         "encoding": {"x": _q("left", "w"), "x2": {"field": "right"}, "y": _q("density", "density (1/w)"),
                      "tooltip": [_q("w", "w"), _q("count", "count"), _q("density", "density")]}},
        {"mark": {"type": "line", "color": "black", "interpolate": "step"},
         "transform": [{"filter": "datum.gibbs_density != null"}],
         "encoding": {"x": _q("w", "w"), "y": _q("gibbs_density", "density (1/w)")}},
    ])


def basins_spec(result: dict) -> dict:
    """Final basin fractions with stderr error bars and the Gibbs theory fractions as ticks."""
    rows = [r for r in build_table("basins", result) if r["which"] == "final"]
    x = {"field": "basin", "type": "ordinal", "title": "basin (index of minimum)"}
    return _spec("Basin occupation at the end", rows, layer=[
        {"mark": {"type": "bar", "opacity": 0.7},
         "encoding": {"x": x, "y": _q("fraction", "fraction of particles", scale={"domain": [0, 1]})}},
        {"mark": {"type": "errorbar", "ticks": True},
         "encoding": {"x": x, "y": _q("fraction", "fraction of particles"), "yError": {"field": "stderr"}}},
        {"mark": {"type": "tick", "color": "black", "thickness": 3},
         "transform": [{"filter": "datum.gibbs_fraction != null"}],
         "encoding": {"x": x, "y": _q("gibbs_fraction", "fraction of particles")}},
    ])


def survival_spec(result: dict) -> dict:
    """Kaplan-Meier survival (step line) and the exponential fit (dashed) against steps."""
    rows = build_table("survival", result)
    return _spec("Survival of the exit time", rows, layer=[
        {"mark": {"type": "line", "interpolate": "step-after"},
         "encoding": {"x": _q("step", "steps"), "y": _q("probability", "survival probability P(T > t)",
                                                       scale={"domain": [0, 1]})}},
        {"mark": {"type": "line", "strokeDash": [6, 4], "color": "black"},
         "transform": [{"filter": "datum.exponential_fit != null"}],
         "encoding": {"x": _q("step", "steps"), "y": _q("exponential_fit", "survival probability P(T > t)")}},
    ])


def loss_trace_spec(result: dict) -> dict:
    """The 10-90 % quantile band, mean ± std band, the mean and the median of the loss against steps."""
    rows = build_table("loss_trace", result)
    x = _q("step", "steps")
    return _spec("Loss over the run", rows, layer=[
        {"mark": {"type": "area", "opacity": 0.2, "color": "orange"},
         "transform": [{"filter": "datum.q10 != null && datum.q90 != null"}],
         "encoding": {"x": x, "y": _q("q10", "loss L(w)"), "y2": {"field": "q90"}}},
        {"mark": {"type": "area", "opacity": 0.3},
         "transform": [{"filter": "datum.std != null"},
                       {"calculate": "datum.mean - datum.std", "as": "lower"},
                       {"calculate": "datum.mean + datum.std", "as": "upper"}],
         "encoding": {"x": x, "y": _q("lower", "loss L(w)"), "y2": {"field": "upper"}}},
        {"mark": "line", "encoding": {"x": x, "y": _q("mean", "loss L(w)")}},
        {"mark": {"type": "line", "strokeDash": [4, 3], "color": "orange"},
         "transform": [{"filter": "datum.q50 != null"}],
         "encoding": {"x": x, "y": _q("q50", "loss L(w)")}},
    ])


VEGA_BUILDERS = {"histogram": histogram_spec, "basins": basins_spec, "survival": survival_spec,
                 "loss_trace": loss_trace_spec}


def vega_spec(name: str, result: dict) -> dict:
    """The Vega-Lite spec of a known plot name; PlotUnavailable for plots that have no Vega-Lite view."""
    from .sweep_vega import SWEEP_VEGA_BUILDERS
    builder = VEGA_BUILDERS.get(name) or SWEEP_VEGA_BUILDERS.get(name)
    if builder is None:
        raise PlotUnavailable(name, f"no Vega-Lite view for {name!r} (views: "
                                    f"{', '.join([*VEGA_BUILDERS, *SWEEP_VEGA_BUILDERS])}); "
                                    "use the SVG or PNG plot")
    return builder(result)
