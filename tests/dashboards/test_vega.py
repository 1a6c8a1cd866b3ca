"""Vega-Lite specs: v5 schema id, inline data equal to the tidy table, encodings that name real columns."""

from __future__ import annotations

import json

import pytest

from sgdlab.plots import PlotUnavailable, UnknownPlot, VEGA_NAMES, vega_lite
from sgdlab.tables import build_table


def encoded_fields(spec: dict) -> set[str]:
    """Every field named by an encoding channel of the spec or of its layers."""
    fields = set()
    for part in [spec, *spec.get("layer", [])]:
        for channel in (part.get("encoding") or {}).values():
            for c in channel if isinstance(channel, list) else [channel]:
                fields.add(c["field"])
    return fields


def computed_fields(spec: dict) -> set[str]:
    """Fields made by calculate transforms."""
    return {t["as"] for part in [spec, *spec.get("layer", [])] for t in part.get("transform", []) if "as" in t}


@pytest.mark.parametrize("which", ["result_1d", "result_2d", "result_zero_exits"])
def test_specs_are_v5_with_inline_table_data(which, request):
    result = request.getfixturevalue(which)
    assert set(VEGA_NAMES) == {"histogram", "basins", "survival", "loss_trace"}
    for name in VEGA_NAMES:
        if name in ("survival", "loss_trace") and not result.get({"survival": "exit_times"}.get(name, name)):
            with pytest.raises(PlotUnavailable):
                vega_lite(name, result)
            continue
        spec = json.loads(json.dumps(vega_lite(name, result), allow_nan=False))  # strict JSON: no NaN
        assert spec["$schema"] == "https://vega.github.io/schema/vega-lite/v5.json"
        values = spec["data"]["values"]
        table = build_table(name, result)
        assert values and all(row in table for row in values)
        columns = set(values[0])
        assert encoded_fields(spec) <= columns | computed_fields(spec), name
        assert "mark" in spec or "layer" in spec


def test_histogram_spec_shows_only_the_final_histogram(result_1d):
    spec = vega_lite("histogram", result_1d)
    assert {r["which"] for r in spec["data"]["values"]} == {"final"}
    assert len(spec["data"]["values"]) == len(result_1d["histograms"]["final"]["counts"])


def test_vega_errors(result_1d):
    with pytest.raises(UnknownPlot):
        vega_lite("nope", result_1d)
    with pytest.raises(PlotUnavailable):
        vega_lite("trajectories", result_1d)
