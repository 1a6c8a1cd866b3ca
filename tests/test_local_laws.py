"""Local laws: the discrete Lyapunov covariance at each minimum against the particles in its basin."""

import numpy as np
import pytest

from sgdlab.core.observers.basin_moments import covariance_with_stderr, moments_of
from sgdlab.core.observers.basins import BasinObserver
from sgdlab.core.simulation.run import simulate
from sgdlab.theory.local_laws import lyapunov_covariance


def test_lyapunov_covariance_in_1d_is_the_ar1_variance():
    # w' = (1 - lr h) w + noise of variance lr^2 Sigma / B: S = lr^2 Sigma / (B (1 - (1 - lr h)^2))
    s = lyapunov_covariance(np.array([[3.0]]), np.array([[2.0]]), 0.1, 4)
    assert s[0, 0] == pytest.approx(0.01 * 2 / 4 / (1 - 0.7 ** 2), rel=1e-14)
    assert lyapunov_covariance(np.array([[30.0]]), np.array([[1.0]]), 0.1, 1) is None      # lr h = 3 >= 2


def test_moment_sums_give_the_sample_covariance_and_a_stderr_that_matches_the_spread():
    rng = np.random.default_rng(0)
    cov = np.array([[1.0, 0.8], [0.8, 2.0]])
    reps = []
    for _ in range(200):
        obs = BasinObserver(lambda w: np.zeros(len(w), dtype=int), 1, [], np.array([[0.5, -0.5]]))
        w = rng.multivariate_normal([0.5, -0.5], cov, size=400)
        obs.end_block(w[:150])
        obs.end_block(w[150:])
        st = moments_of(BasinObserver.merge([obs.state()]))
        c, se = covariance_with_stderr(int(st["n"][0]), st["s1"][0], st["s2"][0], st["s3"][0], st["s4"][0])
        assert c == pytest.approx(np.cov(w.T), rel=1e-10)
        reps.append((c, se))
    spread = np.std([c for c, _ in reps], axis=0)
    mean_se = np.mean([se for _, se in reps], axis=0)
    # Gaussian: Var(S_ij) = (S_ii S_jj + S_ij^2) / n; both the formula and the replicate spread agree with it
    wishart = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov ** 2) / 400)
    assert mean_se == pytest.approx(wishart, rel=0.05)
    assert spread == pytest.approx(wishart, rel=0.2)


def test_2d_quadratic_with_constant_non_diagonal_sigma_matches_the_lyapunov_law():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(8, 2))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z.T, bias=True))).T      # exactly white ...
    sigma = np.array([[1.0, 0.6], [0.6, 0.5]])
    z = z @ np.linalg.cholesky(sigma).T                                    # ... then exactly Sigma (population)
    spec = {"landscape": {"finite_sum": {"per_sample": "0.5*(2*u**2 + u*v + v**2) + a*u + b*v",
                                         "variables": ["u", "v"], "data": {"a": z[:, 0].tolist(),
                                                                           "b": z[:, 1].tolist()}}},
            "dynamics": {"method": "langevin", "noise": "gradient_covariance", "lr": 0.1, "batch_size": 2},
            "particles": 10000, "steps": 100, "init": {"point": [0.0, 0.0]},
            "observe": {"basins": True, "gibbs": False}}
    r = simulate(spec)
    assert r["noise"]["minima"][0]["covariance"] == pytest.approx(sigma, rel=1e-12)
    law = r["local_laws"][0]
    h = np.array([[2.0, 0.5], [0.5, 1.0]])
    expected = lyapunov_covariance(h, sigma, 0.1, 2)
    assert np.array(law["covariance_theory"]) == pytest.approx(expected, rel=1e-12)
    # independent check of the fixed point: S = A S A^T + (lr^2/B) Sigma
    a = np.eye(2) - 0.1 * h
    assert a @ expected @ a.T + 0.01 / 2 * sigma == pytest.approx(expected, rel=1e-12)
    measured, se = np.array(law["covariance_measured"]), np.array(law["stderr"])
    assert law["particles"] == 10000
    assert np.all(np.abs(measured - expected) < 3 * se)
    assert abs(expected[0, 1]) > 10 * se[0, 1]                        # the off-diagonal term is really tested
    codes = {w["code"] for w in r["validity"]["warnings"]}
    assert "state_dependent_noise" in codes                              # constant but anisotropic: not Gibbs
    assert r["stationary"]["law"] == "local_gaussian"


def _centred(n: int, var: float, seed: int) -> list[float]:
    c = np.random.default_rng(seed).normal(size=n)
    c -= c.mean()
    return (c * np.sqrt(var / c.var())).tolist()


def test_epoch_shuffle_covariance_in_1d_is_the_closed_form():
    """m = n/B disjoint batches: Var(step noise) V = lr^2 s (n-B)/(B(n-1)), Cov between steps O = -lr^2 s/(n-1);
    at epoch boundaries C (1 - a^2m) = sum_j a^2j (V - O) + (sum_j a^j)^2 O with a = 1 - lr h."""
    from sgdlab.theory.local_laws import epoch_shuffle_covariance
    n, b, lr, h, s = 50, 5, 0.1, 1.0, 3.1
    a, m = 1 - lr * h, n // b
    v, o = lr ** 2 * s / b * (n - b) / (n - 1), -lr ** 2 * s / (n - 1)
    closed = (sum(a ** (2 * j) for j in range(m)) * (v - o) + sum(a ** j for j in range(m)) ** 2 * o) / (1 - a ** (2 * m))
    got = epoch_shuffle_covariance(np.array([[h]]), np.array([[s]]), lr, b, n)
    assert got[0, 0] == pytest.approx(closed, rel=1e-12)
    assert closed == pytest.approx(0.0027446, rel=1e-4)            # the reviewer's case: 11x below 0.0300
    # three steps into an epoch: a^6 C + the partial sums over 3 steps
    partial = a ** 6 * closed + sum(a ** (2 * j) for j in range(3)) * (v - o) + sum(a ** j for j in range(3)) ** 2 * o
    assert epoch_shuffle_covariance(np.array([[h]]), np.array([[s]]), lr, b, n, 3)[0, 0] == pytest.approx(
        partial, rel=1e-12)


@pytest.mark.parametrize("steps", [200, 205])
def test_epoch_shuffles_local_law_matches_the_simulation_and_warns(steps):
    """Reshuffled batches: the Markov-kernel variance 0.0300 is ~11x too large; the epoch-shuffle law is right
    at an epoch boundary and mid-epoch."""
    spec = {"landscape": {"finite_sum": {"per_sample": "0.5*(w-c)**2", "data": {"c": _centred(50, 3.1, 1)}}},
            "dynamics": {"method": "minibatch_sgd", "lr": 0.1, "batch_size": 5, "replacement": False},
            "particles": 4000, "steps": steps, "init": {"point": [0.0]}, "seed": 5,
            "observe": {"basins": True, "gibbs": False}}
    r = simulate(spec)
    law = r["local_laws"][0]
    theory, measured, se = law["covariance_theory"][0][0], law["covariance_measured"][0][0], law["stderr"][0][0]
    assert law["covariance_independent_steps"][0][0] == pytest.approx(0.01 * 3.1 / 5 * 45 / 49 / 0.19, rel=1e-9)
    assert abs(measured - theory) < 4 * se and law["max_abs_z"] < 4
    assert "epoch-wise shuffles" in law["note"]
    codes = {w["code"]: w for w in r["validity"]["warnings"]}
    assert codes["correlated_noise"]["value"] == pytest.approx(0.02998 / 0.0027446, rel=1e-3)
    assert "does not hold" in r["stationary"]["note"]


def test_batch_hessian_noise_closed_form_in_1d_and_the_simulation():
    """Per-sample curvatures h_i = x_i differ: the chain is w' = (1 - lr h_b) w + lr x_b c_b exactly, so
    S = (lr^2/B) Sigma / (1 - (1 - lr h)^2 - lr^2 Var(h)/B) (0.695 here), not the Lyapunov 0.547."""
    from sgdlab.theory.local_laws import kron_moment, multiplicative_covariance
    x, c, lr = [0.2, 1.8, 0.2, 1.8], [1.0, 1.0, -1.0, -1.0], 0.5
    sigma = np.mean((np.array(x) * np.array(c)) ** 2)                     # 1.64: g_i(0) = -x_i c_i, mean 0
    closed = lr ** 2 * sigma / (1 - (1 - lr) ** 2 - lr ** 2 * np.var(x))
    dev = kron_moment((np.array(x) - 1.0).reshape(-1, 1, 1))
    assert multiplicative_covariance(np.array([[1.0]]), dev, np.array([[sigma]]), lr, 1)[0, 0] == pytest.approx(
        closed, rel=1e-12)
    spec = {"landscape": {"finite_sum": {"per_sample": "0.5*x*(w-c)**2", "data": {"x": x, "c": c}}},
            "dynamics": {"method": "minibatch_sgd", "lr": lr, "batch_size": 1},
            "particles": 10000, "steps": 150, "init": {"point": [0.0]}, "seed": 11,
            "observe": {"basins": True, "gibbs": False}}
    law = simulate(spec)["local_laws"][0]
    assert law["covariance_theory"][0][0] == pytest.approx(closed, rel=1e-9)
    measured, se = law["covariance_measured"][0][0], law["stderr"][0][0]
    assert abs(measured - closed) < 4 * se
    assert abs(measured - lyapunov_covariance(np.array([[1.0]]), np.array([[sigma]]), lr, 1)[0, 0]) > 5 * se


def test_batch_hessian_noise_that_expands_the_second_moment_is_flagged():
    """lr lambda = 1.8 < 2 but E[(1 - lr h_b)^2] = 3.564: every particle diverges; say so before and after."""
    from sgdlab.core.simulation.plan import analysis_of, landscape_of
    from sgdlab.limits import Limits
    from sgdlab.spec.dynamics import DynamicsSpec
    from sgdlab.spec.landscape import LandscapeSpec
    from sgdlab.theory.validity import step_size_warnings
    land_json = {"finite_sum": {"per_sample": "0.5*(x*w)**2", "data": {"x": [0.316227766, 1.974841766]}}}
    land_spec = LandscapeSpec.model_validate(land_json)
    dyn = DynamicsSpec.model_validate({"method": "minibatch_sgd", "lr": 0.9, "batch_size": 1})
    h = np.array([0.316227766 ** 2, 1.974841766 ** 2])
    expected = np.mean((1 - 0.9 * h) ** 2)
    before = step_size_warnings(dyn, 100, analysis_of(land_spec, Limits()), landscape_of(land_spec, Limits()))
    assert [w["code"] for w in before] == ["unstable_second_moment"]
    assert before[0]["value"] == pytest.approx(expected, rel=1e-6) and before[0]["threshold"] == 1
    r = simulate({"landscape": land_json, "dynamics": {"method": "minibatch_sgd", "lr": 0.9, "batch_size": 1}, "init": {"point": [0.5]},
                  "particles": 200, "steps": 2000, "observe": {"basins": True, "gibbs": False}})
    assert r["diverged"]["fraction"] == 1.0
    assert r["local_laws"][0]["covariance_theory"] is None and "3.564" in r["local_laws"][0]["note"]
    # B = 2 of 2 rows without replacement: the batch is the whole data, no Hessian noise, no warning
    full = DynamicsSpec.model_validate({"method": "minibatch_sgd", "lr": 0.9, "batch_size": 2,
                                        "replacement": False})
    codes = [w["code"] for w in step_size_warnings(full, 100, analysis_of(land_spec, Limits()),
                                                    landscape_of(land_spec, Limits()))]
    assert codes == ["large_lr"]


def test_second_moment_operator_is_the_expectation_over_the_rows_in_3d(monkeypatch):
    """op vec(S) = A S A^T + lr^2 (factor/B) mean_i D_i S D_i^T, and the per-sample moment is chunk-independent."""
    from sgdlab.core.landscapes.finite_sum import FiniteSumFormulaLandscape
    from sgdlab.theory import local_laws as ll
    from sgdlab.theory.noise import NoiseModel
    rng = np.random.default_rng(0)
    d = 3
    dev = rng.normal(size=(7, d, d))
    dev = dev + dev.transpose(0, 2, 1)
    s = rng.normal(size=(d, d))
    s = s @ s.T
    h = np.diag([0.5, 1.0, 2.0])
    a = np.eye(d) - 0.1 * h
    op = ll.second_moment_operator(h, ll.kron_moment(dev), 0.1, 2, 0.5)
    direct = a @ s @ a.T + 0.01 * 0.5 / 2 * np.mean([x @ s @ x.T for x in dev], axis=0)
    assert (op @ s.ravel()).reshape(d, d) == pytest.approx(direct, abs=1e-14)
    land = FiniteSumFormulaLandscape("0.5*x*u**2 + 0.5*y*v**2 + z*u*v", ["u", "v"],
                                     {"x": [1.0, 2.0, 3.0, 4.0, 5.0], "y": [2.0, 1.0, 0.0, 1.0, 2.0],
                                      "z": [0.1, -0.2, 0.3, 0.0, 0.5]})
    model = NoiseModel("minibatch", 0.1, 1)
    loc = np.zeros(2)
    hess = land.hessian(loc[None, :])[0]
    whole = ll.hessian_noise_moment(land, model, loc, hess)
    per = land.sample_hessians(loc) - hess
    assert whole == pytest.approx(ll.kron_moment(per), abs=1e-13)
    monkeypatch.setattr(ll, "HESSIAN_CHUNK", 8)                  # 2 rows per chunk
    assert ll.hessian_noise_moment(land, model, loc, hess) == pytest.approx(whole, abs=1e-13)
