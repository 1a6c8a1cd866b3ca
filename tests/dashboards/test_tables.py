"""Tidy tables: documented columns, values that match the result, CSV and JSON round trips into pandas."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from sgdlab.tables import (TABLE_COLUMNS, TABLE_NAMES, TableUnavailable, UnknownTable, build_table,
                           table_columns, to_csv)


def frames(name: str, result: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The table through CSV and through JSON, each read back by pandas."""
    rows = build_table(name, result)
    from_csv = pd.read_csv(io.StringIO(to_csv(rows)))
    from_json = pd.read_json(io.StringIO(json.dumps(rows)), orient="records", precise_float=True)
    return from_csv, from_json


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_1d_tables_round_trip_with_documented_columns(name, result_1d):
    if name == "kl_to_stationary":   # a density-evolution series: give the simulation fixture one
        result_1d = {**result_1d, "series_steps": [0, 1, 2], "kl_to_stationary": [0.7, 0.2, 0.05],
                     "total_variation_to_stationary": [0.5, 0.2, 0.1]}
    from_csv, from_json = frames(name, result_1d)
    assert list(from_csv.columns) == TABLE_COLUMNS[name]
    assert list(from_json.columns) == TABLE_COLUMNS[name]
    assert len(from_csv) == len(from_json) > 0
    numeric = [c for c in TABLE_COLUMNS[name] if c != "which"]
    np.testing.assert_allclose(from_csv[numeric].to_numpy(float), from_json[numeric].to_numpy(float),
                               rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name", ["histogram", "basins", "trajectories", "arrival"])
def test_2d_tables_have_the_2d_columns(name, result_2d):
    from_csv, _ = frames(name, result_2d)
    assert list(from_csv.columns) == table_columns(name, 2)


def test_histogram_rows_match_the_result(result_1d):
    df = pd.DataFrame(build_table("histogram", result_1d))
    assert set(df["which"]) == {"final", "time_average", "snapshot"}
    final = df[df.which == "final"]
    h = result_1d["histograms"]["final"]
    assert final["count"].tolist() == h["counts"]
    assert (final["step"] == result_1d["spec"]["steps"]).all()
    assert sorted(df[df.which == "snapshot"]["step"].unique()) == [100, 500]
    # the density integrates to 1, and the Gibbs density on the same bins too
    width = final["right"] - final["left"]
    assert math.isclose((final["density"] * width).sum(), 1.0, rel_tol=1e-9)
    assert math.isclose((final["gibbs_density"] * width).sum(), 1.0, rel_tol=1e-4)
    np.testing.assert_allclose(final["w"], 0.5 * (final["left"] + final["right"]))


def test_2d_histogram_is_row_major_in_w1(result_2d):
    df = pd.DataFrame(build_table("histogram", result_2d))
    e1, e2 = result_2d["histograms"]["final"]["edges"]
    assert len(df) == (len(e1) - 1) * (len(e2) - 1)
    second = df.iloc[1]  # bin 1: same w1 cell, next w2 cell
    assert second["left1"] == e1[0] and second["left2"] == e2[1]
    assert df.iloc[len(e2) - 2]["left1"] == e1[0] and df.iloc[len(e2) - 2]["right2"] == e2[-1]
    np.testing.assert_array_equal(df["count"], result_2d["histograms"]["final"]["counts"])


def test_basins_rows_carry_stderr_and_gibbs(result_1d):
    df = pd.DataFrame(build_table("basins", result_1d))
    final = df[df.which == "final"].sort_values("basin")
    assert math.isclose(final["fraction"].sum(), 1.0, rel_tol=1e-12)
    assert final["gibbs_fraction"].tolist() == result_1d["gibbs"]["basin_fractions_theory"]
    snap = df[(df.which == "snapshot") & (df.step == 500) & (df.basin == 0)].iloc[0]
    n = result_1d["spec"]["particles"]
    assert math.isclose(snap["stderr"], math.sqrt(0.6 * 0.4 / n))  # binomial stderr of a snapshot fraction


def test_survival_fit_is_the_exponential_of_the_mean(result_1d):
    df = pd.DataFrame(build_table("survival", result_1d))
    mean = result_1d["exit_times"]["mean_steps"]
    np.testing.assert_allclose(df["exponential_fit"], np.exp(-df["step"] / mean))
    assert df["probability"].is_monotonic_decreasing
    assert df["probability"].iloc[0] == 1.0


def test_survival_with_zero_exits_is_flat_without_a_fit(result_zero_exits):
    rows = build_table("survival", result_zero_exits)
    assert all(r["probability"] == 1.0 and r["exponential_fit"] is None for r in rows)
    df = pd.read_csv(io.StringIO(to_csv(rows)))
    assert df["exponential_fit"].isna().all()


def test_loss_trace_quantiles(result_1d):
    df = pd.DataFrame(build_table("loss_trace", result_1d))
    q = result_1d["loss_trace"]["quantiles"]
    assert df["q10"].tolist() == q["0.1"] and df["q90"].tolist() == q["0.9"]
    assert df["step"].tolist() == result_1d["loss_trace"]["steps"]


def test_trajectories_one_row_per_particle_and_step(result_1d, result_2d):
    df = pd.DataFrame(build_table("trajectories", result_1d))
    paths = result_1d["trajectories"]["paths"]
    assert len(df) == len(paths) * len(paths[0])
    assert df[(df.particle == 2) & (df.step == 300)]["w"].item() == paths[2][3]
    df2 = pd.DataFrame(build_table("trajectories", result_2d))
    assert df2[(df2.particle == 1) & (df2.step == 50)][["w1", "w2"]].to_numpy().tolist() == \
        [result_2d["trajectories"]["paths"][1][1]]


def test_arrival_probabilities_sum_to_one_per_cell(result_1d, result_2d):
    for result in (result_1d, result_2d):
        df = pd.DataFrame(build_table("arrival", result))
        np.testing.assert_allclose(df.groupby("cell")["probability"].sum(), 1.0)
        assert df["cell"].nunique() == len(result["arrival"]["probability"])


def test_unknown_table_raises(result_1d):
    with pytest.raises(UnknownTable) as info:
        build_table("nope", result_1d)
    assert isinstance(info.value, KeyError) and "nope" in str(info.value)


def test_missing_block_raises_table_unavailable(result_minimal):
    for name in ("survival", "loss_trace", "trajectories", "arrival"):
        with pytest.raises(TableUnavailable) as info:
            build_table(name, result_minimal)
        assert info.value.name == name and name.split("_")[0] in info.value.reason or info.value.reason


def test_csv_of_empty_rows_with_columns_is_a_header():
    assert to_csv([], TABLE_COLUMNS["survival"]) == "step,probability,exponential_fit\n"


def test_csv_keeps_full_float_precision():
    rows = [{"a": 0.1 + 0.2, "b": None, "c": 3}]
    back = pd.read_csv(io.StringIO(to_csv(rows)))
    assert back["a"].item() == 0.1 + 0.2 and math.isnan(back["b"].item()) and back["c"].item() == 3
