"""Vega-Lite v5 specs of a sweep's result: `arrhenius`, `scaling`, `basins_vs_beta` (inline data from its
analyses) and `heatmap` (the points table, with a drop-down choosing the summary statistic)."""

from __future__ import annotations

import math

from sgdlab.tables import build_table
from sgdlab.tables.errors import TableUnavailable
from sgdlab.tables.point_summary import SCALAR_FIELDS

from .sweeps import DEFAULT_HEATMAP_STAT, _analysis
from .vega import _q, _spec


def _field(path: str) -> str:
    """A Vega-Lite field name for a column whose name holds dots (an axis path): the dots escaped."""
    return path.replace(".", "\\.")


def arrhenius_vega(result: dict) -> dict:
    """tau against beta dL on a log scale with 95% intervals, the fitted line and Kramers' (dashed)."""
    arr = _analysis(result, "arrhenius", "arrhenius")
    rows = [{"beta_dl": p["beta_dl"], "tau": p["tau"], "tau_low": p["tau_ci95"][0], "tau_high": p["tau_ci95"][1],
             "fit": arr["prefactor"] * math.exp(arr["slope"] * p["beta_dl"]),
             "kramers": (arr["kramers_prefactor"] * math.exp(p["beta_dl"])) if arr.get("kramers_prefactor")
             else None} for p in arr["points"]]
    x, y = _q("beta_dl", "beta dL"), {"scale": {"type": "log"}}
    return _spec(f"Arrhenius: slope {arr['slope']:.3f} ± {arr['slope_stderr']:.3f} (Kramers: 1)", rows, layer=[
        {"mark": "point", "encoding": {"x": x, "y": _q("tau", "tau = lr x mean exit steps", **y)}},
        {"mark": "rule", "encoding": {"x": x, "y": _q("tau_low", "tau", **y), "y2": {"field": "tau_high"}}},
        {"mark": "line", "encoding": {"x": x, "y": _q("fit", "tau", **y)}},
        {"mark": {"type": "line", "strokeDash": [6, 4], "color": "black"},
         "transform": [{"filter": "datum.kramers != null"}], "encoding": {"x": x, "y": _q("kramers", "tau", **y)}},
    ])


def scaling_vega(result: dict) -> dict:
    """The two-sample chi-square p-value of each pair at equal lr*steps, coloured by equal lr/B."""
    pairs = _analysis(result, "linear_scaling", "scaling")["pairs"]
    rows = [{"pair": f"{p['a']}-{p['b']}", "pvalue": max(p["pvalue"], 1e-300), "same_ratio": p["same_ratio"]}
            for p in pairs if p["pvalue"] is not None]
    return _spec("Linear scaling rule: final histograms at equal lr/B agree", rows, mark="bar", encoding={
        "x": {"field": "pair", "type": "nominal", "title": "pair of points"},
        "y": _q("pvalue", "two-sample chi-square p-value", scale={"type": "log"}),
        "color": {"field": "same_ratio", "type": "nominal", "title": "equal lr/B"}})


def basins_vs_beta_vega(result: dict) -> dict:
    """Final basin fractions against beta (points) with the Gibbs fractions (dashed lines)."""
    rows = [{"beta": r["beta"], "basin": k, "fraction": f,
             "gibbs": r["gibbs"][k] if r.get("gibbs") and k < len(r["gibbs"]) else None}
            for r in _analysis(result, "basins_vs_beta", "basins_vs_beta")["points"]
            for k, f in enumerate(r["fractions"])]
    x, colour = _q("beta", "beta = 2B / lr", scale={"type": "log"}), {"field": "basin", "type": "nominal"}
    return _spec("Basin occupation against beta", rows, layer=[
        {"mark": {"type": "line", "point": True},
         "encoding": {"x": x, "y": _q("fraction", "fraction of particles"), "color": colour}},
        {"mark": {"type": "line", "strokeDash": [6, 4]}, "transform": [{"filter": "datum.gibbs != null"}],
         "encoding": {"x": x, "y": _q("gibbs", "fraction of particles"), "color": colour}},
    ])


def heatmap_vega(result: dict) -> dict:
    """A summary statistic (chosen in a drop-down) averaged over repeats, over the sweep's first two axes."""
    axes = result.get("axes") or []
    rows = build_table("points", result)
    if len(axes) < 2:
        raise TableUnavailable("heatmap", "a heatmap needs a sweep with two axes")
    return _spec("A summary statistic over two axes", rows, mark="rect",
                 params=[{"name": "stat", "value": DEFAULT_HEATMAP_STAT,
                          "bind": {"input": "select", "options": list(SCALAR_FIELDS), "name": "statistic "}}],
                 transform=[{"fold": list(SCALAR_FIELDS), "as": ["statistic", "value"]},
                            {"filter": "datum.statistic == stat"}],
                 encoding={"x": {"field": _field(axes[0]), "type": "ordinal", "title": axes[0]},
                           "y": {"field": _field(axes[1]), "type": "ordinal", "title": axes[1]},
                           "color": {"aggregate": "mean", "field": "value", "type": "quantitative",
                                     "title": "mean over repeats", "scale": {"scheme": "viridis"}}})


SWEEP_VEGA_BUILDERS = {"arrhenius": arrhenius_vega, "scaling": scaling_vega, "basins_vs_beta": basins_vs_beta_vega,
                       "heatmap": heatmap_vega}
