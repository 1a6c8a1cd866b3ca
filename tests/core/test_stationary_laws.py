"""The simulator's stationary laws against exact discrete-time values (fixed seeds, tolerances from sampling error).

Variances are read from the loss trace, whose mean is exact over all particles (no binning):
for L = h w^2 / 2, E[L] = h Var(w) / 2.
"""

import math

import numpy as np

from sgdlab.core.simulation.run import simulate


def _stationary_variance(result, h=1.0, offset=0.0):
    """Var(w) from the final mean loss, and its standard error (Var(w^2) = 2 Var(w)^2 for a Gaussian)."""
    mean_loss = result["loss_trace"]["mean"][-1]
    n = result["spec"]["particles"]
    var = 2 * (mean_loss - offset) / h
    return var, var * math.sqrt(2 / n)


def test_langevin_quadratic_matches_discrete_time_variance_not_continuous():
    h, lr, B = 1.0, 0.2, 1          # lr * h = 0.2
    res = simulate({"landscape": {"builtin": "quadratic", "params": {"curvature": h}},
                    "dynamics": {"method": "langevin", "lr": lr, "batch_size": B},
                    "init": {"point": [0.0]}, "particles": 100_000, "steps": 150, "seed": 1,
                    "observe": {"loss_trace": {"every": 150}, "basins": False, "gibbs": False}})
    var, se = _stationary_variance(res, h)
    exact = lr / (B * h * (2 - lr * h))            # 0.1111
    continuous = (lr / (2 * B)) / h                # 0.1
    assert abs(var - exact) < 4 * se, (var, exact, se)
    assert abs(var - continuous) > 10 * se


def _finite_sum(c):
    return {"finite_sum": {"per_sample": "0.5*(w - c)**2", "variables": ["w"], "data": {"c": list(map(float, c))}}}


def test_minibatch_sgd_with_replacement_variance():
    rng = np.random.default_rng(0)
    c = rng.normal(0.0, 1.0, 200)
    lr, B = 0.5, 4
    res = simulate({"landscape": _finite_sum(c), "dynamics": {"method": "minibatch_sgd", "lr": lr, "batch_size": B},
                    "init": {"point": [float(c.mean())]}, "particles": 60_000, "steps": 60, "seed": 3,
                    "observe": {"loss_trace": {"every": 60}, "basins": False, "gibbs": False}})
    var, se = _stationary_variance(res, 1.0, 0.5 * c.var())
    exact = lr * c.var() / (B * (2 - lr))
    assert abs(var - exact) < 4 * se, (var, exact, se)


def test_minibatch_sgd_without_replacement_has_finite_population_factor():
    rng = np.random.default_rng(1)
    n, B = 40, 10
    c = rng.normal(0.0, 1.0, n)
    lr = 1.0                          # memoryless chain: the stationary law is that of one batch mean
    res = simulate({"landscape": _finite_sum(c),
                    "dynamics": {"method": "minibatch_sgd", "lr": lr, "batch_size": B, "replacement": False},
                    "init": {"point": [0.0]}, "particles": 60_000, "steps": 7, "seed": 5,
                    "observe": {"loss_trace": {"every": 7}, "basins": False, "gibbs": False}})
    var, se = _stationary_variance(res, 1.0, 0.5 * c.var())
    with_factor = lr * c.var() / (B * (2 - lr)) * (n - B) / (n - 1)
    without = lr * c.var() / (B * (2 - lr))
    assert abs(var - with_factor) < 4 * se, (var, with_factor, se)
    assert abs(var - without) > 8 * se


def test_gradient_covariance_noise_matches_minibatch_variance_to_first_order():
    """Langevin with the per-sample gradient covariance has the same one-step noise as minibatch SGD."""
    rng = np.random.default_rng(2)
    c = rng.normal(0.0, 2.0, 50)
    lr, B = 0.5, 5
    res = simulate({"landscape": _finite_sum(c),
                    "dynamics": {"method": "langevin", "noise": "gradient_covariance", "lr": lr, "batch_size": B},
                    "init": {"point": [float(c.mean())]}, "particles": 40_000, "steps": 40, "seed": 7,
                    "observe": {"loss_trace": {"every": 40}, "basins": False, "gibbs": False}})
    var, se = _stationary_variance(res, 1.0, 0.5 * c.var())
    exact = lr * c.var() / (B * (2 - lr))           # Sigma = Var(c) here, independent of w
    assert abs(var - exact) < 4 * se, (var, exact, se)
