"""Exit times: censored exponential interval coverage, Kaplan-Meier, exact MFPT vs simulation, Kramers vs exact."""

from __future__ import annotations

import numpy as np
import pytest

from sgdlab.core.landscapes.base import Landscape
from sgdlab.core.landscapes.catalog import build_builtin
from sgdlab.theory.exit_times import (exact_mfpt_steps, exit_time_summary, exponential_mle, kaplan_meier,
                                      kramers_steps)
from sgdlab.theory.landscape_analysis import analyze_landscape


class SeparableWells2D(Landscape):
    """L = (x^2 - 1)^2 / 4 + y^2 / 2: the 1-D double well x^4/4 - x^2/2 (+1/4) times a harmonic y."""

    dim = 2
    default_range = [(-2.5, 2.5), (-2.5, 2.5)]

    def loss(self, w):
        return (w[:, 0] ** 2 - 1) ** 2 / 4 + w[:, 1] ** 2 / 2

    def grad(self, w, out=None):
        out = np.empty_like(w) if out is None else out
        out[:, 0] = w[:, 0] ** 3 - w[:, 0]
        out[:, 1] = w[:, 1]
        return out

    def hessian(self, w):
        h = np.zeros((len(w), 2, 2))
        h[:, 0, 0] = 3 * w[:, 0] ** 2 - 1
        h[:, 1, 1] = 1.0
        return h


@pytest.fixture(scope="module")
def well():
    """x^4/4 - x^2/2 as the catalog's double well: height 1/4, width 1 (minima ±1, barrier 1/4)."""
    land = build_builtin("double_well", {"height": 0.25, "width": 1.0})
    return land, analyze_landscape(land, range=[(-3.0, 3.0)])


def test_censored_exponential_interval_covers_at_the_nominal_rate():
    rng = np.random.default_rng(7)
    true_mean, n, horizon, reps = 100.0, 150, 120.0, 400
    covered = 0
    for _ in range(reps):
        t = rng.exponential(true_mean, n)
        escaped = t <= horizon
        mean, (lo, hi) = exponential_mle(np.minimum(t, horizon), escaped)
        assert lo < mean < hi
        covered += lo <= true_mean <= hi
    se = np.sqrt(0.95 * 0.05 / reps)
    assert abs(covered / reps - 0.95) <= 3 * se


def test_uncensored_interval_is_the_exact_gamma_one():
    rng = np.random.default_rng(1)
    covered = sum(lo <= 5.0 <= hi for lo, hi in
                  (exponential_mle(rng.exponential(5.0, 20), np.ones(20, bool))[1] for _ in range(400)))
    se = np.sqrt(0.95 * 0.05 / 400)
    assert abs(covered / 400 - 0.95) <= 3 * se


def test_no_events_gives_a_lower_bound_only():
    mean, (lo, hi) = exponential_mle(np.full(10, 50.0), np.zeros(10, bool))
    assert mean is None and hi is None
    # P(no event in exposure 500 | mean m) = exp(-500/m) = 0.025 at the bound
    assert lo == pytest.approx(500.0 / -np.log(0.025), rel=1e-9)


def test_kaplan_meier_without_censoring_is_the_empirical_survival():
    t = np.array([3.0, 1.0, 2.0, 2.0, 5.0])
    steps, surv, median = kaplan_meier(t, np.ones(5, bool))
    np.testing.assert_allclose(steps, [0, 1, 2, 3, 5])
    np.testing.assert_allclose(surv, [1.0, 0.8, 0.4, 0.2, 0.0])
    assert median == 2.0


def test_kaplan_meier_with_censoring_drops_the_risk_set():
    t = np.array([1.0, 2.0, 2.0, 4.0])
    esc = np.array([True, False, True, False])
    steps, surv, median = kaplan_meier(t, esc)
    np.testing.assert_allclose(steps, [0, 1, 2])
    np.testing.assert_allclose(surv, [1.0, 0.75, 0.75 * (1 - 1 / 3)])
    assert median == 2.0


def test_exit_time_summary_block():
    rng = np.random.default_rng(0)
    t = np.floor(rng.exponential(300.0, 5000))
    horizon = 400
    times = np.where(t <= horizon, t, -1.0)
    times[:3] = np.nan
    s = exit_time_summary(times, times >= 0, horizon, 0, 1, kramers=123.0, exact=np.inf)
    assert set(s) == {"from", "to", "particles", "escaped", "censored", "mean_steps", "ci95", "median_steps",
                      "survival", "kramers_steps", "exact_steps", "exact_reason"}
    assert s["particles"] == 5000 and s["escaped"] + s["censored"] == 5000
    assert s["escaped"] == int((t[3:] <= horizon).sum())
    assert len(s["survival"]["steps"]) <= 200 and s["survival"]["probability"][0] == 1.0
    assert np.all(np.diff(s["survival"]["probability"]) <= 0)
    lo, hi = s["ci95"]
    assert lo <= 300.0 <= hi
    assert s["median_steps"] == pytest.approx(300 * np.log(2), rel=0.1)
    assert s["kramers_steps"] == 123.0 and s["exact_steps"] is None
    assert s["exact_reason"] == "not computed"  # null never comes without a reason


def _simulate_exit_steps(lr: float, temperature: float, n: int, horizon: int, seed: int) -> np.ndarray:
    """Euler-Maruyama of dW = -L' dt + sqrt(2T) dB from -1 until w >= 0.5 (the default target region edge)."""
    rng = np.random.default_rng(seed)
    x = np.full(n, -1.0)
    alive = np.arange(n)
    times = np.full(n, -1.0)
    sigma = np.sqrt(2 * temperature * lr)
    for step in range(1, horizon + 1):
        xa = x[alive]
        xa += -lr * (xa ** 3 - xa) + sigma * rng.standard_normal(len(alive))
        x[alive] = xa
        hit = xa >= 0.5
        if hit.any():
            times[alive[hit]] = step
            alive = alive[~hit]
            if len(alive) == 0:
                break
    return times


def test_exact_mfpt_1d_agrees_with_brute_force_simulation(well):
    land, an = well
    temperature, lr = 0.25 / 3.0, 0.01          # beta * dL = 3
    assert an.default_exit_radius(1, 0) == pytest.approx(0.5, abs=1e-9)
    exact = exact_mfpt_steps(land, an, 0, 1, temperature, lr)
    times = _simulate_exit_steps(lr, temperature, n=2500, horizon=25000, seed=11)
    mean, (lo, hi) = exponential_mle(np.where(times >= 0, times, 25000), times >= 0)
    assert lo <= exact <= hi, (exact, mean, lo, hi)


@pytest.mark.parametrize("beta_dl", [8.0, 10.0, 14.0])
def test_kramers_within_ten_percent_of_exact_at_high_barriers(well, beta_dl):
    land, an = well
    temperature = 0.25 / beta_dl
    exact = exact_mfpt_steps(land, an, 0, 1, temperature, 0.01)
    kramers = kramers_steps(an, 0, 1, temperature, 0.01)
    assert abs(kramers / exact - 1) < 0.10
    # the closed form at the symmetric well: 2π/sqrt(2·1) e^{βΔL} / lr
    assert kramers == pytest.approx(2 * np.pi / np.sqrt(2.0) * np.exp(beta_dl) / 0.01, rel=1e-8)


def test_exact_mfpt_is_symmetric_and_converged_in_the_grid(well):
    land, an = well
    a = exact_mfpt_steps(land, an, 0, 1, 0.05, 0.01)
    b = exact_mfpt_steps(land, an, 1, 0, 0.05, 0.01)
    c = exact_mfpt_steps(land, an, 0, 1, 0.05, 0.01, grid_points=3000)
    assert a == pytest.approx(b, rel=1e-6)
    assert a == pytest.approx(c, rel=1e-4)
    # the time grows as exp(ΔL/T) between temperatures
    d = exact_mfpt_steps(land, an, 0, 1, 0.025, 0.01)
    assert np.log(d / a) == pytest.approx(0.25 / 0.025 - 0.25 / 0.05, rel=0.1)


def test_exact_mfpt_2d_matches_1d_on_a_separable_landscape(well):
    land1, an1 = well
    land2 = SeparableWells2D()
    an2 = analyze_landscape(land2)
    assert len(an2.minima) == 2 and len(an2.saddles) == 1
    temperature, lr = 0.25 / 5.0, 0.01
    one = exact_mfpt_steps(land1, an1, 0, 1, temperature, lr, range=[(-2.5, 2.5)])
    two = exact_mfpt_steps(land2, an2, 0, 1, temperature, lr, grid_points=200)
    # the 2-D target is a disc instead of a half-line: same barrier, so within a few percent
    assert two == pytest.approx(one, rel=0.05)
    kramers = kramers_steps(an2, 0, 1, 0.25 / 10.0, lr)
    assert kramers == pytest.approx(exact_mfpt_steps(land2, an2, 0, 1, 0.25 / 10.0, lr), rel=0.10)


def test_no_theory_above_two_dimensions_or_at_zero_temperature(well):
    land, an = well
    assert exact_mfpt_steps(land, an, 0, 1, 0.0, 0.01) is None
    assert kramers_steps(an, 0, 0, 0.1, 0.01) is None


def test_survival_curve_extends_to_the_censoring_horizon():
    from sgdlab.theory.exit_times import exit_time_summary
    times = np.array([3.0, 7.0, -1.0, -1.0])
    s = exit_time_summary(times, times >= 0, 200, 0, 1)
    assert s["survival"]["steps"] == [0.0, 3.0, 7.0, 200.0]
    assert s["survival"]["probability"] == [1.0, 0.75, 0.5, 0.5]
    assert s["median_steps"] == 7.0 and s["escaped"] == 2 and s["censored"] == 2


def test_exact_2d_mfpt_is_never_negative_at_low_temperature():
    """At beta*dL ~ 40 the grid solve loses precision; the answer must be None, never a negative time."""
    from sgdlab.core.landscapes.formula import FormulaLandscape
    from sgdlab.theory.exit_times import exact_mfpt_steps
    from sgdlab.theory.landscape_analysis import analyze_landscape
    land = FormulaLandscape("(x**2-1)**2 + (y**2-1)**2 + 0.2*x", ["x", "y"])
    an = analyze_landscape(land)
    for T in (0.5, 0.1, 0.025):
        tau = exact_mfpt_steps(land, an, 0, 1, T, 0.05)
        assert tau is None or tau > 0, (T, tau)
