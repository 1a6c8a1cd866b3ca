"""Gibbs basin fractions and bin masses by adaptive quadrature, checked against scipy's QUADPACK and symmetry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import logsumexp

from sgdlab.core.landscapes.catalog import build_builtin
from sgdlab.theory.adaptive_quadrature import integrate_groups
from sgdlab.theory.gibbs import gibbs_basin_fractions, gibbs_basin_fractions_estimate, gibbs_bin_probabilities
from sgdlab.theory.landscape_analysis import analyze_landscape


def quadpack_log_mass(land, beta: float, a: float, b: float, peak_at: float) -> float:
    """log ∫_a^b exp(-beta L) by scipy.integrate.quad, scaled by the value at `peak_at`, split there."""
    ref = float(land.loss(np.array([[peak_at]]))[0])
    f = lambda x: math.exp(-beta * (float(land.loss(np.array([[x]]))[0]) - ref))  # noqa: E731
    pieces = [a, peak_at, b] if a < peak_at < b else [a, b]
    total = sum(quad(f, u, v, epsabs=0, epsrel=1e-13, limit=500)[0] for u, v in zip(pieces[:-1], pieces[1:]))
    return math.log(total) - beta * ref


def quadpack_fractions(land, an, beta: float) -> np.ndarray:
    lo, hi = land.default_range[0]
    cuts = [lo] + sorted(float(s.location[0]) for s in an.saddles) + [hi]
    logs = np.array([quadpack_log_mass(land, beta, cuts[k], cuts[k + 1], float(m.location[0]))
                     for k, m in enumerate(an.minima)])
    return np.exp(logs - logsumexp(logs))


@pytest.mark.parametrize("temperature", [0.2, 0.05, 0.01])
def test_symmetric_quartic_splits_exactly_in_half(temperature):
    land = build_builtin("double_well", {})
    est = gibbs_basin_fractions_estimate(land, analyze_landscape(land), 1 / temperature)
    assert est.method == "adaptive_gauss_legendre"
    assert est.fractions == pytest.approx([0.5, 0.5], abs=1e-12)
    assert est.error < 1e-12


@pytest.mark.parametrize("tilt, temperature", [(0.05, 0.2), (0.2, 0.2), (0.3, 0.1), (0.1, 0.02), (0.4, 0.5)])
def test_tilted_quartics_match_quadpack(tilt, temperature):
    land = build_builtin("double_well", {"tilt": tilt})
    an = analyze_landscape(land)
    est = gibbs_basin_fractions_estimate(land, an, 1 / temperature)
    want = quadpack_fractions(land, an, 1 / temperature)
    np.testing.assert_allclose(est.fractions, want, rtol=1e-10, atol=0)  # relative: also the tiny basin
    assert est.error < 1e-10


def test_three_wells_at_low_temperature_keep_relative_accuracy_of_a_1e_minus_40_basin():
    land = build_builtin("triple_well", {"tilt": 0.25})
    an = analyze_landscape(land)
    beta = 1 / 0.01
    f = np.array(gibbs_basin_fractions(land, an, beta))
    want = quadpack_fractions(land, an, beta)
    assert f.min() < 1e-20  # a basin whose share underflows a fixed-reference grid sum's precision
    np.testing.assert_allclose(f, want, rtol=1e-10, atol=0)


def test_bin_masses_of_a_tilted_quartic_match_quadpack_bin_by_bin():
    land = build_builtin("double_well", {"tilt": 0.3})
    edges = np.linspace(-2, 2, 41)
    beta = 1 / 0.1
    got = gibbs_bin_probabilities(land, edges, beta).probabilities
    logs = np.array([quadpack_log_mass(land, beta, a, b, 0.5 * (a + b)) for a, b in zip(edges[:-1], edges[1:])])
    np.testing.assert_allclose(got, np.exp(logs - logsumexp(logs)), rtol=1e-10, atol=0)


def test_integrate_groups_reports_its_error_and_honours_the_evaluation_cap():
    # ∫_0^1 sqrt(x) dx = 2/3: the endpoint singularity needs many bisections
    log_f = lambda x: 0.5 * np.log(x)  # noqa: E731
    full = integrate_groups(log_f, np.array([0.0]), np.array([1.0]), np.array([0]), np.array([0.0]), rtol=1e-12)
    assert math.exp(full.log_integral[0]) == pytest.approx(2 / 3, rel=1e-10)
    capped = integrate_groups(log_f, np.array([0.0]), np.array([1.0]), np.array([0]), np.array([0.0]),
                              rtol=1e-12, max_evaluations=100)
    assert capped.evaluations <= 100
    true_error = abs(math.exp(capped.log_integral[0]) / (2 / 3) - 1)
    assert capped.relative_error[0] >= true_error  # the stated error covers the real one


def test_2d_grid_fractions_state_an_error_that_covers_the_true_one():
    # separable: L = double_well(x) + 2 y^2, so the basin fractions are the 1-D ones (y integrates out)
    from sgdlab.core.landscapes.build import build_landscape
    from sgdlab.spec.landscape import LandscapeSpec

    spec = LandscapeSpec.model_validate({"expression": "(x**2 - 1)**2 + 0.2*x + 2*y**2", "variables": ["x", "y"],
                                         "range": [[-2, 2], [-2, 2]]})
    land2 = build_landscape(spec)
    an2 = analyze_landscape(land2)
    land1 = build_builtin("double_well", {"tilt": 0.2})
    beta = 1 / 0.15
    exact = np.array(gibbs_basin_fractions(land1, analyze_landscape(land1), beta))
    est = gibbs_basin_fractions_estimate(land2, an2, beta)
    assert est.method == "grid" and est.error is not None
    order = np.argsort([m.location[0] for m in an2.minima])
    true_error = np.abs(np.array(est.fractions)[order] - exact).max()
    assert true_error <= est.error and est.error < 1e-2
