"""The API of the dynamics' own theory: warnings in the 202, `dynamics` in /v1/landscapes/analyze."""

import numpy as np
import pytest

A = [0.3 * s for s in (1.0, -1.0)] * 32                   # centred data noise, population variance 0.09
FINITE = {"finite_sum": {"per_sample": "0.25*(w**2-1)**2 + 0.05*w + a*w", "data": {"a": A}}}


def test_an_unstable_learning_rate_is_flagged_in_the_202(client):
    r = client.post("/v1/jobs", json={"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}},
                                      "dynamics": {"lr": 0.3, "batch_size": 1}, "particles": 100, "steps": 10})
    assert r.status_code == 202
    codes = {w["code"]: w for w in r.json()["warnings"]}
    assert codes["unstable_lr"]["value"] >= 2 and codes["unstable_lr"]["threshold"] == 2
    calm = client.post("/v1/jobs", json={"landscape": {"builtin": "double_well"}, "dynamics": {"lr": 0.001},
                                         "particles": 100, "steps": 10})
    assert calm.status_code == 202 and calm.json()["warnings"] == []
    # stored with the job: the status document, the list and an Idempotency-Key replay answer the same list
    job = r.json()["id"]
    assert client.get(f"/v1/jobs/{job}").json()["warnings"] == r.json()["warnings"]
    listed = {j["id"]: j for j in client.get("/v1/jobs").json()["items"]}
    assert listed[job]["warnings"] == r.json()["warnings"] and listed[calm.json()["id"]]["warnings"] == []
    body = {"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}}, "dynamics": {"lr": 0.3},
            "particles": 100, "steps": 10, "seed": 7}
    first = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "warned"})
    again = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "warned"})
    assert again.status_code == 200 and again.json()["warnings"] == first.json()["warnings"] != []


def test_analyze_with_minibatch_dynamics_uses_the_data_noise(client):
    """The issue's first example: lr 0.05, B 1: the noise temperature is lr Var(a)/(2B) = 0.00225, not 0.025."""
    r = client.post("/v1/landscapes/analyze", json={"landscape": FINITE,
                                                     "dynamics": {"method": "minibatch_sgd", "lr": 0.05}})
    assert r.status_code == 200
    th = r.json()["theory"]
    assert th["noise"]["kind"] == "minibatch"
    assert th["temperature"] == pytest.approx(0.05 * 0.09 / 2, rel=1e-9)
    assert all(m["temperature_scalar"] == pytest.approx(0.00225, rel=1e-9) for m in th["noise"]["minima"])
    # constant 1-D noise: the zero-flux law is the Gibbs law at T = 0.00225 and the exit times are its own
    iso = client.post("/v1/landscapes/analyze", json={"landscape": FINITE, "temperature": 0.00225, "lr": 0.05})
    iso_th = iso.json()["theory"]
    assert th["basin_fractions"] == pytest.approx(iso_th["basin_fractions"], abs=1e-6)
    for mine, ref in zip(th["exit_times"], iso_th["exit_times"]):
        assert mine["exact_steps"] == pytest.approx(ref["exact_steps"], rel=1e-4)
        assert mine["kramers_steps"] == pytest.approx(ref["kramers_steps"], rel=1e-4)
        assert mine["exact_method"] and mine["kramers_formula"]
    # the old answer (T = lr/(2B) = 0.025) was ~ e^(dL (1/0.00225 - 1/0.025)) too fast
    old = client.post("/v1/landscapes/analyze", json={"landscape": FINITE, "lr": 0.05, "batch_size": 1}).json()
    assert old["theory"]["exit_times"][0]["exact_steps"] < 1e-10 * th["exit_times"][0]["exact_steps"]


def test_analyze_dynamics_is_refused_with_temperature_or_a_schedule_or_without_data(client):
    both = client.post("/v1/landscapes/analyze", json={"landscape": FINITE, "lr": 0.1,
                                                        "dynamics": {"method": "minibatch_sgd", "lr": 0.05}})
    assert both.status_code == 422 and both.json()["errors"][0]["field"] == "lr"
    sched = client.post("/v1/landscapes/analyze", json={"landscape": FINITE, "dynamics": {
        "method": "minibatch_sgd", "lr": {"schedule": "exponential", "lr": 0.1, "gamma": 0.99}}})
    assert sched.status_code == 422 and sched.json()["errors"][0]["field"] == "dynamics.lr"
    nodata = client.post("/v1/landscapes/analyze", json={"landscape": {"builtin": "double_well"},
                                                          "dynamics": {"method": "minibatch_sgd", "lr": 0.05}})
    assert nodata.status_code == 422 and nodata.json()["errors"][0]["field"].startswith("dynamics")


def test_analyze_with_isotropic_dynamics_equals_the_lr_batch_size_form(client):
    a = client.post("/v1/landscapes/analyze", json={"landscape": {"builtin": "double_well"},
                                                     "dynamics": {"lr": 0.2, "batch_size": 2}}).json()["theory"]
    b = client.post("/v1/landscapes/analyze", json={"landscape": {"builtin": "double_well"},
                                                     "lr": 0.2, "batch_size": 2}).json()["theory"]
    assert a["temperature"] == b["temperature"] and a["basin_fractions"] == b["basin_fractions"]
    assert [e["exact_steps"] for e in a["exit_times"]] == [e["exact_steps"] for e in b["exit_times"]]
    assert a["stationary_law"] == "gibbs" and np.isfinite(a["local_laws"][0]["covariance_theory"][0][0])


FS2 = {"finite_sum": {"per_sample": "0.25*(u**2-1)**2 + 0.5*v**2 + a*(u + 0.4*u**2) + b*u + c*v",
                      "variables": ["u", "v"],
                      "data": {"a": [1, -1] * 4, "b": [0.3, 0.3, -0.3, -0.3] * 2, "c": [0.5] * 4 + [-0.5] * 4}}}
Q2 = {"finite_sum": {"per_sample": "0.5*u**2 + v**2 + a*u + c*v", "variables": ["u", "v"],
                     "data": {"a": [1, -1, 1, -1], "c": [0.5, 0.5, -0.5, -0.5]}}}


@pytest.mark.parametrize("landscape", [FS2, Q2], ids=["2d-data-noise", "2d-constant-noise"])
def test_analyze_2d_minibatch_has_no_basin_fractions_and_says_why(client, landscape):
    """Was a 500: basin_fractions was required but 2-D data noise has no density in an analysis (no bins)."""
    r = client.post("/v1/landscapes/analyze", json={"landscape": landscape, "dynamics": {
        "method": "minibatch_sgd", "lr": 0.05, "batch_size": 1}})
    assert r.status_code == 200, r.text
    th = r.json()["theory"]
    assert th["basin_fractions"] is None and th["stationary_law"] == "local_gaussian"
    assert "grid_chain" in th["basin_fractions_reason"] and th["beta"] > 0
    assert th["local_laws"]


def test_analyze_gradient_descent_has_no_beta_and_says_why(client):
    """Was a 500: beta and basin_fractions are null at T = 0."""
    r = client.post("/v1/landscapes/analyze", json={"landscape": {"builtin": "double_well"},
                                                     "dynamics": {"method": "gradient_descent", "lr": 0.05}})
    assert r.status_code == 200, r.text
    th = r.json()["theory"]
    assert th["temperature"] == 0 and th["beta"] is None and th["basin_fractions"] is None
    assert "no noise" in th["beta_reason"] and "no noise" in th["basin_fractions_reason"]
