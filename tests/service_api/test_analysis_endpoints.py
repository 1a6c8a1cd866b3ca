"""The synchronous analysis endpoints against known values."""

import numpy as np
import pytest


def test_double_well_analysis_with_theory_and_committor(client):
    r = client.post("/v1/landscapes/analyze", json={"landscape": {"builtin": "double_well"}, "lr": 0.2,
                                                     "batch_size": 1, "committor": {"from": 0, "to": 1}})
    assert r.status_code == 200
    d = r.json()
    minima = [m["location"][0] for m in d["landscape"]["minima"]]
    assert minima == pytest.approx([-1.0, 1.0], abs=1e-8)
    assert [b["height"] for b in d["landscape"]["barriers"]] == pytest.approx([1.0, 1.0], abs=1e-8)
    th = d["theory"]
    assert th["temperature"] == pytest.approx(0.1) and th["beta"] == pytest.approx(10.0)
    assert th["basin_fractions"] == pytest.approx([0.5, 0.5], abs=1e-6)          # symmetric wells
    e = th["exit_times"][0]
    assert e["exact_steps"] > e["kramers_steps"] > 0 and e["beta_barrier"] == pytest.approx(10.0)
    grid, q = np.array(d["committor"]["grid"][0]), np.array(d["committor"]["q"])
    assert q[grid < -1].max() == 0.0 and q[grid > 1].min() == 1.0
    assert np.all(np.diff(q) >= -1e-12)                                           # monotone between the wells
    assert q[np.argmin(abs(grid))] == pytest.approx(0.5, abs=0.01)                # 1/2 at the symmetric saddle


def test_markov_chain_three_state_example(client):
    P = [[0.1, 0.4, 0.5], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3]]
    d = client.post("/v1/markov-chains/analyze", json={"transition_matrix": P, "steps": 30}).json()
    pi = np.array(d["stationary"])
    assert pi == pytest.approx(np.array([29, 53, 51]) / 133, abs=1e-12)
    assert np.allclose(pi @ np.array(P), pi, atol=1e-12)
    kl = d["kl_to_stationary"]
    assert all(b <= a + 1e-15 for a, b in zip(kl, kl[1:]))
    assert d["irreducible"] and d["aperiodic"] and len(d["evolution"]) == 31


def test_landscape_catalog_lists_every_builtin_with_defaults(client):
    cat = client.get("/v1/landscapes").json()["landscapes"]
    names = {c["name"] for c in cat}
    assert {"quadratic", "double_well", "asymmetric_double_well", "triple_well", "muller_brown", "himmelblau",
            "rastrigin", "styblinski_tang", "gaussian_wells"} <= names
    dw = next(c for c in cat if c["name"] == "double_well")
    assert dw["dim"] == 1 and {p["name"] for p in dw["params"]} >= {"height", "width", "tilt"} and dw["formula"]
