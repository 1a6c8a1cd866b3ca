"""Exact 2-D passage times at low temperature: block GTH elimination of the SqRA process, never a subtraction."""

from __future__ import annotations

import numpy as np
import pytest

from sgdlab.core.landscapes.catalog import build_builtin
from sgdlab.theory.backward_equation import mean_exit_time_grid_2d, solve_dirichlet, sqra_generator
from sgdlab.theory.exit_times import exact_mfpt_steps, exact_mfpt_with_reason
from sgdlab.theory.landscape_analysis import analyze_landscape

from test_exit_times import SeparableWells2D


def birth_death_exit_times(v: np.ndarray, h: float, temperature: float, first_target: int) -> np.ndarray:
    """The 1-D SqRA chain on nodes v (reflecting at 0) into {i >= first_target}, in closed form and log space:
    tau_i = sum_{k=i}^{t-1} (sum_{j<=k} pi_j) / (pi_k r_{k,k+1}), pi = exp(-v/T), r the SqRA rate."""
    log_pi = -v / temperature
    log_rate_up = np.log(temperature / h ** 2) - (v[1:] - v[:-1]) / (2 * temperature)
    log_mass = np.logaddexp.accumulate(log_pi)
    log_terms = log_mass[:first_target] - log_pi[:first_target] - log_rate_up[:first_target]
    tail = np.logaddexp.accumulate(log_terms[::-1])[::-1]
    out = np.zeros(len(v))
    out[:first_target] = np.exp(tail)
    return out


def test_block_elimination_equals_sparse_lu_where_that_is_accurate():
    rng = np.random.default_rng(0)
    values = rng.random((12, 9))
    target = np.zeros((12, 9), dtype=bool)
    target[3, 4] = target[10, 2] = True
    tau = mean_exit_time_grid_2d(values, [0.1, 0.2], 0.7, target)
    ref = solve_dirichlet(sqra_generator(values, [0.1, 0.2], 0.7), target.ravel(), np.zeros(values.size),
                          1.0).reshape(values.shape)
    assert (tau[target] == 0).all()
    np.testing.assert_allclose(tau[~target], ref[~target], rtol=1e-12)


@pytest.mark.parametrize("beta_barrier", [5.0, 60.0, 200.0])
def test_separable_grid_at_low_temperature_equals_the_1d_chain_to_1e_9(beta_barrier):
    # L = (x^2 - 1)^2 / 4 + y^2 / 2 on a grid; target: the half-plane x >= 0.5. The SqRA generator is a
    # Kronecker sum, so the 2-D time is the 1-D chain's exactly, whatever y: at beta dL = 60 the rates span
    # e^30, where the sparse LU loses every digit
    temperature = 0.25 / beta_barrier
    x = np.linspace(-2.0, 2.0, 81)
    y = np.linspace(-1.5, 1.5, 31)
    vx = (x ** 2 - 1) ** 2 / 4
    values = vx[:, None] + (y ** 2 / 2)[None, :]
    first = int(np.searchsorted(x, 0.5))
    target = np.zeros(values.shape, dtype=bool)
    target[first:] = True
    tau = mean_exit_time_grid_2d(values, [x[1] - x[0], y[1] - y[0]], temperature, target)
    one = birth_death_exit_times(vx, x[1] - x[0], temperature, first)
    assert np.isfinite(tau).all()
    np.testing.assert_allclose(tau, np.repeat(one[:, None], len(y), axis=1), rtol=1e-9, atol=0)
    assert tau[np.searchsorted(x, -1.0), 15] > np.exp(0.9 * beta_barrier)  # the Arrhenius scale is there


def test_exact_2d_mfpt_at_beta_barrier_60_is_finite_and_agrees_with_1d_quadrature():
    land2 = SeparableWells2D()
    an2 = analyze_landscape(land2)
    land1 = build_builtin("double_well", {"height": 0.25, "width": 1.0})
    an1 = analyze_landscape(land1)
    temperature, lr = 0.25 / 60.0, 0.01
    two, reason = exact_mfpt_with_reason(land2, an2, 0, 1, temperature, lr, grid_points=200)
    assert reason is None and two is not None and np.isfinite(two)
    one = exact_mfpt_steps(land1, an1, 0, 1, temperature, lr, range=[(-2.5, 2.5)])
    # a disc target instead of a half-line, and a 200-point grid across a well 0.045 wide: within 3 percent
    # (e^60 ~ 1e26: any loss of precision would be orders of magnitude, not percent)
    assert two == pytest.approx(one, rel=0.03)


def test_exact_2d_mfpt_keeps_its_arrhenius_slope_where_the_old_solve_returned_null():
    from sgdlab.core.landscapes.formula import FormulaLandscape

    land = FormulaLandscape("(x**2-1)**2 + (y**2-1)**2 + 0.2*x", ["x", "y"])
    an = analyze_landscape(land)
    temps = (0.05, 0.025, 0.02)
    taus = [exact_mfpt_with_reason(land, an, 0, 1, T, 0.05, grid_points=120) for T in temps]
    assert all(reason is None and tau > 0 for tau, reason in taus)
    # log tau grows like (barrier) / T between the two coldest temperatures
    barrier = max(b.height for b in an.barriers if b.from_ == 0 and b.to == 1)
    slope = np.log(taus[2][0] / taus[1][0]) / (1 / temps[2] - 1 / temps[1])
    assert slope == pytest.approx(barrier, rel=0.15)


def test_null_exact_time_comes_with_a_reason():
    land = build_builtin("styblinski_tang", {"dim": 3})
    an = analyze_landscape(land)
    tau, reason = exact_mfpt_with_reason(land, an, 0, 1, 1.0, 0.01)
    assert tau is None and "1-D and 2-D" in reason
    land1 = build_builtin("double_well", {})
    tau, reason = exact_mfpt_with_reason(land1, analyze_landscape(land1), 0, 1, 1e-4, 0.01)
    assert tau is None and "double precision" in reason
