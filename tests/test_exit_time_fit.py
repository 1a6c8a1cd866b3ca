"""The exit-time goodness-of-fit test: calibrated under a constant hazard, and it rejects the mixtures a uniform
start makes. Fixed seeds; tolerances from the binomial error of a rejection rate."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import kstest

from sgdlab.theory.exit_time_fit import FIT_ALPHA, MIN_EVENTS, exponential_fit_test, piecewise_hazard_lr


def geometric_times(rng, mean: float, n: int) -> np.ndarray:
    """ceil(Exp(mean)) is exactly geometric: a constant per-step exit probability 1 - exp(-1/mean)."""
    return np.ceil(rng.exponential(mean, n))


def censor(times: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    escaped = times <= horizon
    return np.where(escaped, times, horizon), escaped


def loglik_by_particle(times, escaped, cuts, per_interval: bool) -> float:
    """The geometric log-likelihood summed particle by particle and step by step (an independent slow path)."""
    t = [max(int(x), 1) if e else int(x) for x, e in zip(times, escaped)]
    bounds = [0, *cuts, math.inf]
    n = [0] * (len(bounds) - 1)
    k = [0] * (len(bounds) - 1)
    for x, e in zip(t, escaped):
        for step in range(1, x + 1):
            j = next(i for i in range(len(bounds) - 1) if bounds[i] < step <= bounds[i + 1])
            n[j] += 1
            if e and step == x:
                k[j] += 1
    if not per_interval:
        n, k = [sum(n)], [sum(k)]
    total = 0.0
    for nj, kj in zip(n, k):
        if nj == 0:
            continue
        p = kj / nj
        total += (kj * math.log(p) if kj else 0.0) + ((nj - kj) * math.log(1 - p) if nj > kj else 0.0)
    return total


def test_statistic_equals_the_likelihood_ratio_computed_step_by_step():
    rng = np.random.default_rng(3)
    times, escaped = censor(geometric_times(rng, 15.0, 120), 40)
    cuts = np.array([5.0, 12.0, 25.0])
    stat, dof = piecewise_hazard_lr(times, escaped, cuts)
    expected = 2 * (loglik_by_particle(times, escaped, cuts, True) - loglik_by_particle(times, escaped, cuts, False))
    assert dof == 3
    assert stat == pytest.approx(expected, rel=1e-10, abs=1e-10)


def test_pvalues_are_uniform_for_exponential_samples_with_censoring():
    rng = np.random.default_rng(20261202)
    reps = 300
    pvalues = []
    for _ in range(reps):
        times, escaped = censor(geometric_times(rng, 200.0, 600), 400)   # about 14 % censored
        pvalues.append(exponential_fit_test(times, escaped)["exponential_fit_pvalue"])
    p = np.array(pvalues)
    assert np.all((p >= 0) & (p <= 1))
    assert kstest(p, "uniform").pvalue > 1e-3
    # the rejection rate at level 0.05 is 0.05 within 4 binomial standard errors
    rate = np.mean(p < 0.05)
    assert abs(rate - 0.05) < 4 * math.sqrt(0.05 * 0.95 / reps), rate


def test_a_single_exponential_sample_is_not_rejected():
    rng = np.random.default_rng(7)
    times, escaped = censor(geometric_times(rng, 800.0, 2000), 2000)
    fit = exponential_fit_test(times, escaped)
    assert fit["exponential_fit_pvalue"] > FIT_ALPHA and fit["exponential_fit_rejected"] is False
    assert "warnings" not in fit


def test_a_uniform_start_mixture_is_rejected_with_a_warning():
    """Particles started near the saddle leave at once, those at the bottom wait: a mixture of two rates."""
    rng = np.random.default_rng(11)
    times = np.concatenate([geometric_times(rng, 10.0, 300), geometric_times(rng, 1500.0, 700)])
    times, escaped = censor(times, 3000)
    fit = exponential_fit_test(times, escaped)
    assert fit["exponential_fit_pvalue"] < 1e-6 and fit["exponential_fit_rejected"] is True
    assert fit["warnings"][0]["code"] == "not_exponential"


def test_a_delayed_exit_law_is_rejected():
    """Gamma(4) exit times (first relax, then leave): an increasing hazard, far from exponential."""
    rng = np.random.default_rng(5)
    times, escaped = censor(np.ceil(rng.gamma(4.0, 50.0, 500)), 400)
    assert exponential_fit_test(times, escaped)["exponential_fit_pvalue"] < 1e-6


def test_too_few_escapes_are_not_tested_and_say_why():
    times, escaped = censor(np.array([3.0] * (MIN_EVENTS - 1) + [5000.0] * 50), 1000)
    fit = exponential_fit_test(times, escaped)
    assert fit["exponential_fit_pvalue"] is None and fit["exponential_fit_rejected"] is None
    assert "not tested" in fit["exponential_fit_test"]


def test_a_uniform_start_simulation_flags_its_exit_times():
    from sgdlab.core.simulation.run import simulate
    result = simulate({"landscape": {"expression": "w**4/4 - w**2/2", "variables": ["w"]}, "particles": 1000,
                       "steps": 400, "seed": 3, "dynamics": {"lr": 0.1, "batch_size": 1},
                       "init": {"uniform": {"low": [-2.0], "high": [2.0]}},
                       "observe": {"exit_times": {"from": 0, "to": 1}}})
    x = result["exit_times"]
    assert x["escaped"] >= MIN_EVENTS
    assert x["exponential_fit_rejected"] is True and x["exponential_fit_pvalue"] < FIT_ALPHA
    assert x["warnings"][0]["code"] == "not_exponential"


def test_missing_theory_values_say_why():
    from sgdlab.core.simulation.run import simulate
    result = simulate({"landscape": {"builtin": "styblinski_tang", "params": {"dim": 3}}, "particles": 100,
                       "steps": 10, "dynamics": {"lr": 0.01}, "observe": {"exit_times": {"from": 0, "to": 1}}})
    x = result["exit_times"]
    assert x["exact_steps"] is None and "dimension 3" in x["exact_reason"]
    gd = simulate({"landscape": {"builtin": "double_well"}, "particles": 50, "steps": 10,
                   "dynamics": {"method": "gradient_descent", "lr": 0.1}, "observe": {"exit_times": {"from": 0, "to": 1}}})
    assert "no noise" in gd["exit_times"]["kramers_reason"] and "no noise" in gd["exit_times"]["exact_reason"]
