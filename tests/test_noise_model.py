"""The noise model: Sigma(w) per method, the temperature matrix lr Sigma/(2B), and what the results print."""

import numpy as np
import pytest

from sgdlab.core.landscapes.finite_sum import FiniteSumFormulaLandscape
from sgdlab.core.simulation.run import simulate
from sgdlab.spec.dynamics import DynamicsSpec
from sgdlab.theory.landscape_analysis import analyze_landscape
from sgdlab.theory.noise import gradient_covariance, hessian_alignment, noise_block, noise_model

RNG = np.random.default_rng(7)
C = RNG.normal(0.3, 1.7, size=40)
VAR_C = float(np.mean((C - C.mean()) ** 2))          # population variance


def _quadratic():
    return FiniteSumFormulaLandscape("0.5*(w - c)**2", ["w"], {"c": C.tolist()}, range=[(-6, 6)])


@pytest.mark.parametrize("replacement,factor", [(True, 1.0), (False, (40 - 5) / (40 - 1))])
def test_minibatch_sgd_with_constant_data_noise_has_temperature_lr_var_over_2b(replacement, factor):
    land = _quadratic()
    analysis = analyze_landscape(land)
    dyn = DynamicsSpec(method="minibatch_sgd", lr=0.1, batch_size=5, replacement=replacement)
    block = noise_block(noise_model(dyn, land, 0.1), land, analysis)
    assert block["kind"] == "minibatch" and len(block["minima"]) == 1
    m = block["minima"][0]
    expected = 0.1 * VAR_C * factor / (2 * 5)
    assert m["temperature_scalar"] == pytest.approx(expected, rel=1e-9, abs=0)
    assert m["covariance"][0][0] == pytest.approx(VAR_C * factor, rel=1e-9)
    # Sigma is constant and the Hessian is 1: perfectly aligned, trace ratio = Sigma
    assert m["hessian_alignment"]["cosine"] == pytest.approx(1.0)
    assert m["hessian_alignment"]["trace_ratio"] == pytest.approx(VAR_C * factor, rel=1e-9)


def test_per_sample_covariance_matches_an_independent_computation_in_2d():
    x = RNG.normal(size=(60, 2))
    y = x @ np.array([1.0, -2.0]) + RNG.normal(scale=0.5, size=60)
    land = FiniteSumFormulaLandscape("0.5*(a*u + b*v - y)**2", ["u", "v"],
                                     {"a": x[:, 0].tolist(), "b": x[:, 1].tolist(), "y": y.tolist()})
    w = np.array([[0.3, -0.7], [1.0, 2.0]])
    got = gradient_covariance(land, w)
    for k, (u, v) in enumerate(w):
        g = (x @ np.array([u, v]) - y)[:, None] * x            # per-sample gradients
        assert got[k] == pytest.approx(np.cov(g.T, bias=True), rel=1e-12, abs=1e-12)


def test_isotropic_and_gradient_descent_noise():
    land = _quadratic()
    analysis = analyze_landscape(land)
    iso = noise_block(noise_model(DynamicsSpec(lr=0.2, batch_size=4), land, 0.2), land, analysis)
    assert iso["kind"] == "isotropic" and iso["minima"][0]["temperature_scalar"] == pytest.approx(0.2 / 8, rel=1e-15)
    gd = noise_block(noise_model(DynamicsSpec(method="gradient_descent", lr=0.2), land, 0.2), land, analysis)
    assert gd["kind"] == "none" and gd["minima"][0]["temperature_scalar"] == 0.0


def test_hessian_alignment_of_orthogonal_matrices_is_zero():
    a = hessian_alignment(np.diag([1.0, 0.0]), np.diag([0.0, 3.0]))
    assert a["cosine"] == 0.0 and a["trace_ratio"] == pytest.approx(1 / 3)


def test_minibatch_job_reports_its_own_noise_and_a_gibbs_beta_from_it():
    """The issue's example: 0.5*(w-c)**2, lr 0.1, B 5: beta_theory was 2B/lr = 100; the data noise gives
    2B/(lr Var) and the histogram's own fit agrees with it, not with 100."""
    c = np.linspace(-3, 3, 64)
    c = (c - c.mean()) / c.std() * np.sqrt(3.1)
    spec = {"landscape": {"finite_sum": {"per_sample": "0.5*(w - c)**2", "data": {"c": c.tolist()}}},
            "dynamics": {"method": "minibatch_sgd", "lr": 0.1, "batch_size": 5}, "particles": 4000, "steps": 200,
            "init": {"point": [0.0]}, "observe": {"histogram": {"bins": 40, "range": [[-2, 2]]}}}
    r = simulate(spec)
    t = 0.1 * 3.1 / 10
    assert r["noise"]["minima"][0]["temperature_scalar"] == pytest.approx(t, rel=1e-9)
    g = r["gibbs"]
    assert g["beta_theory"] == pytest.approx(1 / t, rel=1e-9) and "data noise" in g["note"]
    # discrete-time variance T/(1 - lr/2): beta_fit ~ (1 - 0.05)/T, 4000 particles: stderr ~ 2%
    assert g["beta_fit"] == pytest.approx(0.95 / t, abs=4 * g["beta_fit_stderr"])
    sdn = {w["code"]: w for w in r["validity"]["warnings"]}["state_dependent_noise"]
    assert sdn["value"] < 1e-9 and "Gibbs law holds" in sdn["message"]   # constant, 1-D: Gibbs at that T
    law = r["local_laws"][0]
    assert law["covariance_theory"][0][0] == pytest.approx(0.1 ** 2 / 5 * 3.1 / (1 - 0.9 ** 2), rel=1e-9)
    assert abs(law["covariance_measured"][0][0] - law["covariance_theory"][0][0]) < 4 * law["stderr"][0][0]


def test_minibatch_exit_time_matches_the_exact_mfpt_with_the_data_noise():
    """Escapes over a barrier of ~3 noise temperatures (T = lr Var(a)/(2B)); the exact MFPT with that noise lies
    within the measured 95% interval widened by 10% (lr h = 0.04: O(lr) discrete-time bias of a few %)."""
    s = np.sqrt(0.267)
    spec = {"landscape": {"finite_sum": {"per_sample": "0.05*(w**2-1)**2 + 0.01*w + a*w", "data": {"a": [s, -s] * 8}}},
            "dynamics": {"method": "minibatch_sgd", "lr": 0.1, "batch_size": 1}, "particles": 2000, "steps": 4000,
            "init": {"minimum": 1}, "observe": {"exit_times": {"from": 1, "to": 0}, "gibbs": False}}
    r = simulate(spec)
    e = r["exit_times"]
    assert 500 < e["escaped"] < 2000
    lo, hi = e["ci95"]
    assert 0.9 * lo <= e["exact_steps"] <= 1.1 * hi
    assert e["exact_method"].startswith("quadrature_1d_state_dependent") and "sqrt(D_s/D_m)" in e["kramers_formula"]
    t = r["noise"]["minima"][1]["temperature_scalar"]
    assert t == pytest.approx(0.1 * 0.267 / 2, rel=1e-9)
    # the isotropic formula at lr/(2B) = 0.05 (what the service printed before) is ~ e^(dL (1/T - 20)) too fast
    from sgdlab.theory.exit_times import exact_mfpt_steps
    from sgdlab.core.simulation.plan import analysis_of, landscape_of
    from sgdlab.spec import JobRequest
    ls = JobRequest.model_validate(spec).landscape
    old = exact_mfpt_steps(landscape_of(ls), analysis_of(ls), 1, 0, 0.05, 0.1, e["radius"])
    assert old < 0.5 * lo


def test_minibatch_exit_times_name_the_gaussian_approximation_and_warn_with_the_kurtosis():
    """FS1 (4 rows): the exit theory is the diffusion approximation of a 4-valued noise; say so, with its kurtosis."""
    from sgdlab.theory.landscape_theory import landscape_theory
    land = FiniteSumFormulaLandscape("0.25*(w**2-1)**2 + a*(w + 0.4*w**2) + b*w", ["w"],
                                     {"a": [1, -1, 1, -1], "b": [0.3, 0.3, -0.3, -0.3]})
    dyn = DynamicsSpec.model_validate({"method": "minibatch_sgd", "lr": 0.05, "batch_size": 1})
    analysis = analyze_landscape(land)
    th = landscape_theory(land, None, None, None, analysis, None, noise_model(dyn, land, 0.05), dyn)["theory"]
    assert th["exit_times"]
    for e in th["exit_times"]:
        assert "Gaussian (diffusion) approximation" in e["exact_method"]
        assert "Gaussian (diffusion) approximation" in e["kramers_formula"]
    w = {x["code"]: x for x in th["validity"]}["non_gaussian_noise"]
    assert w["value"] == 1 and "splitting" in w["message"]
    # deviations +-A +-0.3 with A = 1 + 0.8 w at the deepest minimum: E z^4 / (E z^2)^2 - 3
    deep = min(analysis.minima, key=lambda m: m.loss)
    amp = 1 + 0.8 * float(deep.location[0])
    z = np.array([amp + 0.3, amp - 0.3, -amp + 0.3, -amp - 0.3])
    kurt = np.mean(z ** 4) / np.mean(z ** 2) ** 2 - 3
    assert f"excess kurtosis {kurt:.3g}" in w["message"] and kurt < -1


def _dynamics_theory(per_sample: str, data: dict, **dyn):
    from sgdlab.theory.landscape_theory import landscape_theory
    land = FiniteSumFormulaLandscape(per_sample, ["w"], data)
    spec = DynamicsSpec.model_validate({"method": "minibatch_sgd", "lr": 0.05, **dyn})
    return landscape_theory(land, None, None, None, analyze_landscape(land), None,
                            noise_model(spec, land, 0.05), spec)["theory"]


def test_full_batch_without_replacement_says_there_is_no_noise():
    """B = n without replacement: Sigma = 0. Was '(... nan of its maximum)' and 'the Gibbs law holds' at T = 0."""
    th = _dynamics_theory("0.25*(w**2-1)**2 + a*w", {"a": [0.3, -0.3, 0.3, -0.3]}, batch_size=4,
                          replacement=False)
    w = {x["code"]: x for x in th["validity"]}["state_dependent_noise"]
    assert "no noise" in w["message"] and "Gibbs law holds" not in w["message"]
    assert "nan" not in th["basin_fractions_reason"] and "no gradient noise" in th["basin_fractions_reason"]
    assert th["beta"] is None and th["beta_reason"]
    for e in th["exit_times"]:
        assert e["exact_steps"] is None and "no gradient noise" in e["exact_reason"]
        assert e["kramers_steps"] is None and "no gradient noise" in e["kramers_reason"]


def test_tiny_constant_noise_is_called_constant():
    """a = +-1e-6: Sigma = 1e-12 everywhere; rounding gave a relative change ~1e-9, which was called 'varies'."""
    th = _dynamics_theory("0.25*(w**2-1)**2 + a*w", {"a": [1e-6, -1e-6]}, batch_size=1)
    w = {x["code"]: x for x in th["validity"]}["state_dependent_noise"]
    assert w["value"] < 1e-6 and "constant and isotropic" in w["message"]
