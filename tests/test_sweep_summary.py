"""A sweep point's summary (tables/point_summary.py) against hand-computed values, and the points table."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sgdlab.tables.point_summary import SUMMARY_FIELDS, point_summary, points_table
from sgdlab.tables.errors import TableUnavailable


def test_variance_of_a_counted_histogram_is_the_sample_variance_of_its_bin_centres():
    edges = [-1.0, 0.0, 1.0, 2.0]
    counts = [3, 5, 2]
    s = point_summary({"kind": "simulation", "histograms": {"final": {"edges": [edges], "counts": counts,
                                                                      "layout": "joint"}}})
    sample = np.repeat([-0.5, 0.5, 1.5], counts)
    assert s["variance"] == pytest.approx([np.var(sample, ddof=1)], rel=1e-12)
    assert tuple(s) == SUMMARY_FIELDS and s["exit_mean_steps"] is None and s["warnings"] is None


def test_variance_per_coordinate_of_a_2d_joint_histogram():
    counts = np.array([[4, 0], [1, 5]])      # rows: w1 bins, columns: w2 bins (row-major)
    h = {"edges": [[0.0, 1.0, 2.0], [0.0, 2.0, 4.0]], "counts": counts.reshape(-1).tolist(), "layout": "joint"}
    s = point_summary({"histograms": {"final": h}})
    w1 = np.repeat([0.5, 1.5], counts.sum(axis=1))
    w2 = np.repeat([1.0, 3.0], counts.sum(axis=0))
    assert s["variance"] == pytest.approx([np.var(w1, ddof=1), np.var(w2, ddof=1)])


def test_density_evolution_kl_and_tv_against_gibbs_on_the_cells():
    # cells of widths 1 and 3: final masses 0.75, 0.25; Gibbs masses 0.5, 0.5
    result = {"kind": "density_evolution",
              "histograms": {"final": {"edges": [[0.0, 1.0, 4.0]], "density": [0.75, 0.25 / 3]}},
              "gibbs": {"density_theory": [0.5, 0.5 / 3], "kl_stationary_vs_gibbs": 9.0}}
    s = point_summary(result)
    assert s["kl_divergence"] == pytest.approx(0.75 * math.log(1.5) + 0.25 * math.log(0.5), rel=1e-12)
    assert s["total_variation"] == pytest.approx(0.25, rel=1e-12)
    mean = 0.75 * 0.5 + 0.25 * 2.5
    assert s["variance"] == pytest.approx([0.75 * (0.5 - mean) ** 2 + 0.25 * (2.5 - mean) ** 2])


def test_diverged_and_warnings_prefer_the_validity_block():
    warn = {"code": "not_exponential", "message": "..."}
    plain = point_summary({"diverged": {"particles": 3, "fraction": 0.3}, "exit_times": {"warnings": [warn]}})
    assert plain["diverged_fraction"] == 0.3 and plain["warnings"] == [warn]
    valid = point_summary({"diverged": {"fraction": 0.3}, "validity": {"diverged": {"fraction": 0.1},
                                                                      "warnings": [{"code": "unstable"}]}})
    assert valid["diverged_fraction"] == 0.1 and valid["warnings"] == [{"code": "unstable"}]


def test_points_table_spreads_lists_and_refuses_non_sweeps():
    summary = dict.fromkeys(SUMMARY_FIELDS)
    summary.update(basin_fractions=[0.25, 0.75], exit_ci95=[10.0, 20.0], warnings=[{"code": "a"}, {"code": "b"}])
    rows = points_table({"kind": "sweep", "points": [{"index": 0, "seed": 5, "params": {"dynamics.lr": 0.1},
                                                       "summary": summary}]})
    assert rows[0]["dynamics.lr"] == 0.1 and rows[0]["basin_fractions_1"] == 0.75
    assert rows[0]["exit_ci95_low"] == 10.0 and rows[0]["exit_ci95_high"] == 20.0 and rows[0]["warnings"] == "a;b"
    with pytest.raises(TableUnavailable):
        points_table({"kind": "simulation"})


def test_linear_scaling_pairs_need_equal_time_and_equal_bins_and_are_bounded(monkeypatch):
    from sgdlab.theory import sweep_analyses as sa

    def entry(k, lr, b, steps, edges=(0.0, 1.0, 2.0), counts=(50, 50)):
        return sa.SweepEntry(k, lr, b, steps, {"histograms": {"final": {"edges": [list(edges)],
                                                                         "counts": list(counts)}}})
    entries = [entry(0, 0.1, 1, 100), entry(1, 0.2, 2, 50), entry(2, 0.2, 1, 50), entry(3, 0.1, 1, 99),
               entry(4, 0.1, 1, 100, edges=(0.0, 1.0, 3.0))]
    out = sa.linear_scaling(entries)
    assert [(p["a"], p["b"], p["same_ratio"]) for p in out["pairs"]] == [(0, 1, True), (0, 2, False),
                                                                         (1, 2, False)]
    assert out["min_pvalue_same_ratio"] == 1.0 and out["pairs_left_out"] == 0
    monkeypatch.setattr(sa, "MAX_PAIRS", 1)
    out = sa.linear_scaling(entries)
    assert [(p["a"], p["b"]) for p in out["pairs"]] == [(0, 1)] and out["pairs_left_out"] == 2


def test_arrhenius_recovers_slope_and_prefactor_of_exact_data():
    from sgdlab.theory import sweep_analyses as sa
    landscape = {"barriers": [{"from": 0, "to": 1, "height": 0.5}]}
    entries = []
    for k, beta in enumerate([4.0, 6.0, 8.0, 10.0]):
        lr = 2 / beta                                  # B = 1
        mean = 3.0 * math.exp(0.7 * beta * 0.5) / lr    # tau = 3 exp(0.7 beta dL)
        entries.append(sa.SweepEntry(k, lr, 1, 1000, {
            "beta": beta, "landscape": landscape,
            "exit_times": {"from": 0, "to": 1, "mean_steps": mean, "ci95": [0.9 * mean, 1.1 * mean],
                           "kramers_steps": 5.0 * math.exp(beta * 0.5) / lr, "escaped": 100, "censored": 0}}))
    fit = sa.arrhenius(entries)
    assert fit["slope"] == pytest.approx(0.7, rel=1e-9) and fit["prefactor"] == pytest.approx(3.0, rel=1e-9)
    assert fit["kramers_prefactor"] == pytest.approx(5.0, rel=1e-9) and fit["dof"] == 2
    assert fit["slope_ci95"][0] <= 0.7 <= fit["slope_ci95"][1]
    assert sa.arrhenius(entries[:2]) is None            # two temperatures do not make a fit


def test_stability_edge_of_gradient_descent_on_a_quadratic():
    """Gradient descent on L = w^2 / 2 (lambda = 1) diverges iff lr > 2: the observed edge lies between the
    sweep's lr values around 2 (at lr = 2.5 the iterates grow by 1.5 per step and overflow)."""
    from sgdlab.core.simulation.run import simulate
    from sgdlab.theory import sweep_analyses as sa
    entries = []
    for k, lr in enumerate([1.0, 1.9, 2.5, 3.0]):
        res = simulate({"landscape": {"builtin": "quadratic"}, "dynamics": {"method": "gradient_descent", "lr": lr},
                        "particles": 200, "steps": 2000, "seed": 1, "observe": {"histogram": None}})
        entries.append(sa.SweepEntry(k, lr, 1, 2000, res))
    out = sa.stability_edge(entries)
    assert [r["diverged_fraction"] for r in out["points"]][:2] == [0.0, 0.0]
    assert [r["diverged_fraction"] for r in out["points"]][2:] == [1.0, 1.0]
    assert 1.9 < out["edge_observed"] < 2.5 and out["edge_theory"] == 2.0


def test_points_table_writes_object_axis_values_as_json_text_like_the_client():
    from sgdlab_client.tables import _points
    sweep = {"kind": "sweep", "points": [{"index": 0, "seed": 1, "summary": dict.fromkeys(SUMMARY_FIELDS),
                                          "params": {"dynamics.lr": {"schedule": "constant", "lr": 0.1}}}]}
    rows = points_table(sweep)
    assert rows[0]["dynamics.lr"] == '{"lr": 0.1, "schedule": "constant"}'
    assert _points(sweep) == rows


def test_the_summary_schema_names_exactly_the_summary_fields():
    """/openapi.json's SweepPointSummary and the summary the service builds are the same list of fields."""
    from sgdlab.api.result_models import SweepPointSummary

    assert tuple(SweepPointSummary.model_fields) == SUMMARY_FIELDS
