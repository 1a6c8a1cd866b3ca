"""Builders produce the API.md documents; results parse leniently and convert to NumPy, pandas and figures."""

from __future__ import annotations

import math

import sys

import numpy as np
import pytest

import sgdlab_client as sc
from sgdlab_client import initial, landscapes, schedules
from sgdlab_client.errors import parse_problem


def test_builders_produce_api_documents():
    spec = sc.simulation(landscapes.double_well(tilt=0.1), schedules.cyclic(0.01, 0.2, 500), 8,
                         method="langevin", init=initial.uniform([-2], [2]), particles=1000, steps=2000, seed=3,
                         histogram={"bins": 80, "range": [(-2, 2)], "snapshots": [10]}, basins=True,
                         exit_times=(0, 1), loss_trace=100, trajectories=4, arrival=20)
    assert spec.to_json() == {
        "kind": "simulation", "landscape": {"builtin": "double_well", "params": {"tilt": 0.1}},
        "dynamics": {"method": "langevin", "lr": {"schedule": "cyclic", "lr_min": 0.01, "lr_max": 0.2, "period": 500},
                     "batch_size": 8},
        "init": {"uniform": {"low": [-2.0], "high": [2.0]}}, "particles": 1000, "steps": 2000, "seed": 3,
        "observe": {"histogram": {"bins": 80, "range": [[-2.0, 2.0]], "snapshots": [10]}, "basins": True,
                    "exit_times": {"from": 0, "to": 1}, "arrival": {"bins": 20}, "loss_trace": {"every": 100},
                    "trajectories": {"count": 4}}}


def test_every_schedule_builder_names_its_schedule():
    built = [schedules.constant(0.1), schedules.step(0.1, 0.5, 100), schedules.exponential(0.1, 0.99),
             schedules.cosine(0.1, 100, lr_min=0.0, period_mult=2), schedules.cyclic(0.01, 0.1, 50),
             schedules.inverse_log(0.5, t0=2.0), schedules.warmup_cosine(0.1, 10, total=100)]
    assert [s.to_json()["schedule"] for s in built] == ["constant", "step", "exponential", "cosine", "cyclic",
                                                        "inverse_log", "warmup_cosine"]
    assert schedules.inverse_log(0.5).to_json() == {"schedule": "inverse_log", "c": 0.5}


def test_landscape_and_init_builders():
    assert landscapes.expression("x**2 + y**2", ["x", "y"], range=[(-1, 1), (-1, 1)]).to_json() == {
        "expression": "x**2 + y**2", "variables": ["x", "y"], "range": [[-1.0, 1.0], [-1.0, 1.0]]}
    fs = landscapes.finite_sum("0.5*(x*w - y)**2", landscapes.generated_data("linear_regression", n=50))
    assert fs.to_json() == {"finite_sum": {"per_sample": "0.5*(x*w - y)**2",
                                           "data": {"generator": "linear_regression", "n": 50}}}
    assert landscapes.builtin("rastrigin").to_json() == {"builtin": "rastrigin"}
    assert initial.point(1, 2).to_json() == {"point": [1.0, 2.0]}
    assert initial.minimum(1).to_json() == {"minimum": 1}
    assert initial.normal([0], 0.1).to_json() == {"normal": {"mean": [0.0], "std": 0.1}}
    assert sc.make_observe(histogram=False).to_json() == {"histogram": None}
    de = sc.density_evolution(landscapes.double_well(), 0.05, 2, steps=100, points=200, snapshots=[10, 50])
    assert de.to_json()["kind"] == "density_evolution" and de.to_json()["grid"] == {"points": 200}
    with pytest.raises(TypeError):
        sc.simulation(landscapes.double_well(), observe={"basins": True}, basins=True)


EDGES = [0.0, 0.5, 1.0, 1.5, 2.0]
RESULT = {
    "job_id": "j1", "seed": 42, "spec": {"kind": "simulation"}, "future_field": {"x": 1},
    "landscape": {"dim": 1, "minima": [{"index": 0, "location": [-1.0], "loss": -0.1, "hessian_eigenvalues": [2.0]},
                                       {"index": 1, "location": [1.0], "loss": 0.1, "hessian_eigenvalues": [2.0]}],
                  "saddles": [{"location": [0.0], "loss": 0.0, "hessian_eigenvalues": [-1.0]}],
                  "barriers": [{"from": 0, "to": 1, "height": 0.1}]},
    "temperature": 0.01, "beta": 100.0,
    "histograms": {"final": {"edges": [EDGES], "counts": [1, 2, 3, 4], "density": [0.2, 0.4, 0.6, 0.8]},
                   "snapshots": [{"step": 10, "edges": [EDGES], "counts": [4, 3, 2, 1], "density": [0.8, 0.6, 0.4, 0.2]}],
                   "time_average": None},
    "basins": {"final": [{"basin": 0, "fraction": 0.6, "stderr": 0.05}, {"basin": 1, "fraction": 0.4, "stderr": 0.05}]},
    "gibbs": {"beta_theory": 100.0, "beta_fit": 98.0, "basin_fractions_theory": [0.65, 0.35],
              "density_theory": [0.25, 0.35, 0.65, 0.75]},
    "exit_times": {"from": 0, "to": 1, "particles": 10, "escaped": 8, "censored": 2, "mean_steps": 100.0,
                   "ci95": [80.0, 130.0], "survival": {"steps": [0, 50, 100], "probability": [1.0, 0.6, 0.37]},
                   "kramers_steps": 95.0, "exact_steps": 101.0},
}


def test_simulation_result_parses_leniently_and_gives_arrays():
    res = sc.parse_result(RESULT)
    assert isinstance(res, sc.SimulationResult) and res.future_field == {"x": 1}
    assert res.landscape.barriers[0].from_ == 0 and res.exit_times.from_ == 0
    h = res.histogram("final")
    assert isinstance(h.edges, np.ndarray) and h.edges.shape == (5,) and h.dim == 1
    np.testing.assert_allclose((h.density * h.widths).sum(), 1.0)
    np.testing.assert_allclose(h.centers, [0.25, 0.75, 1.25, 1.75])
    assert res.histogram(10).density[0] == 0.8 and res.histogram(10).step == 10
    with pytest.raises(KeyError, match="time_average"):
        res.histogram("time_average")
    with pytest.raises(KeyError, match="step 99"):
        res.histogram(99)


def test_two_dimensional_histograms_reshape_row_major():
    doc = {"job_id": "j", "histograms": {"final": {"edges": [[0, 1, 2], [0, 1, 2, 3]], "counts": list(range(6)),
                                                   "density": list(range(6))}}}
    h = sc.parse_result(doc).histogram()
    assert h.dim == 2 and h.density.shape == (2, 3) and h.density[1, 0] == 3
    assert [c.tolist() for c in h.centers] == [[0.5, 1.5], [0.5, 1.5, 2.5]]


def test_density_evolution_result_uses_the_grid_edges():
    doc = {"job_id": "j", "seed": 1, "spec": {"kind": "density_evolution"}, "grid": {"edges": [EDGES]},
           "histograms": {"snapshots": [{"step": 5, "density": [0.1, 0.2, 0.3, 0.4]}],
                          "final": {"density": [0.25, 0.25, 0.25, 0.25]}},
           "stationary": {"density": [0.25, 0.25, 0.25, 0.25]}, "kl_to_stationary": [0.3, 0.1, 0.0],
           "total_variation_to_stationary": [0.2, 0.1, 0.0], "gibbs": {"kl_divergence": 0.0}}
    res = sc.parse_result(doc)
    assert isinstance(res, sc.DensityEvolutionResult)
    np.testing.assert_array_equal(res.histogram(5).edges, EDGES)
    assert list(res.to_pandas("kl_to_stationary")["kl_to_stationary"]) == [0.3, 0.1, 0.0]


def test_to_pandas_per_block():
    res = sc.parse_result(RESULT)
    basins = res.to_pandas("basins")
    assert list(basins["fraction"]) == [0.6, 0.4] and list(basins["gibbs_fraction"]) == [0.65, 0.35]
    hist = res.to_pandas("histogram")
    assert len(hist) == 8 and set(hist["which"]) == {"final", "snapshot"}
    assert list(hist["gibbs_density"][:4]) == [0.25, 0.35, 0.65, 0.75]
    assert res.to_pandas("histograms").equals(hist)      # the block name this method used to take
    survival = res.to_pandas("survival")
    assert list(survival["probability"]) == [1.0, 0.6, 0.37]
    assert survival["exponential_fit"].tolist() == pytest.approx([1.0, math.exp(-0.5), math.exp(-1.0)])
    with pytest.raises(ValueError, match="unknown table"):
        res.to_pandas("nope")


def test_missing_pandas_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install sgdlab-client\[pandas\]"):
        sc.parse_result(RESULT).to_pandas("basins")


def test_plot_returns_a_figure_with_the_available_panels():
    fig = sc.parse_result(RESULT).plot()
    assert [ax.get_title() for ax in fig.axes][:2] == ["final histogram", "survival 0 -> 1"] and len(fig.axes) == 3
    import io
    fig.savefig(io.BytesIO(), format="png")  # renders without a display


def test_problem_parsing_accepts_fastapi_validation_bodies():
    p = parse_problem(422, {"detail": [{"loc": ["body", "dynamics", "lr"], "msg": "bad"}]}, "Unprocessable")
    assert p.title == "Unprocessable" and p.errors[0].field == "body.dynamics.lr"
