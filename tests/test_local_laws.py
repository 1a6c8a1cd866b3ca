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
