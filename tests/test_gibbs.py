"""Gibbs law: bin masses, basin fractions, the binned beta fit and goodness of fit, the API block."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import erf

from sgdlab.core.landscapes.catalog import build_builtin
from sgdlab.theory.gibbs import (discrete_time_correction, fit_beta_binned, gibbs_basin_fractions,
                                 gibbs_bin_probabilities, gibbs_comparison, gibbs_density_on_bins, goodness_of_fit,
                                 temperature_at_end)
from sgdlab.theory.landscape_analysis import analyze_landscape

RANGE = (-2.0, 2.0)


@pytest.fixture(scope="module")
def well():
    land = build_builtin("double_well", {"height": 1.0, "width": 1.0, "tilt": 0.2})
    return land, analyze_landscape(land)


def gibbs_samples(land, beta: float, n: int, seed: int) -> np.ndarray:
    """Exact Gibbs samples on RANGE by inverse CDF on a fine grid."""
    x = np.linspace(*RANGE, 400001)
    loss = land.loss(x[:, None])
    pdf = np.exp(-beta * (loss - loss.min()))
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(x))])
    return np.interp(np.random.default_rng(seed).random(n), cdf / cdf[-1], x)


def test_temperature_at_end():
    assert temperature_at_end(0.02, 4) == pytest.approx(0.0025)


def test_bin_masses_of_a_quadratic_are_gaussian_cdf_differences():
    land = build_builtin("quadratic", {"curvature": 2.0, "center": 0.3})
    edges = np.linspace(-1.5, 2.0, 36)
    beta = 3.0
    sd = 1 / np.sqrt(beta * 2.0)
    cdf = 0.5 * (1 + erf((edges - 0.3) / (sd * np.sqrt(2))))
    want = np.diff(cdf) / (cdf[-1] - cdf[0])
    got = gibbs_bin_probabilities(land, edges, beta)
    assert got.probabilities.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(got.probabilities, want, rtol=1e-11, atol=1e-16)  # adaptive quadrature
    assert got.error < 1e-12 and got.method == "adaptive_gauss_legendre"


def test_2d_bins_are_row_major_products_for_a_separable_quadratic():
    land = build_builtin("quadratic", {"curvature": [1.0, 4.0], "center": [0.0, 0.5]})
    ex, ey = np.linspace(-3, 3, 13), np.linspace(-1, 2, 7)
    p = gibbs_density_on_bins(land, [ex, ey], 2.0)
    px = gibbs_density_on_bins(build_builtin("quadratic", {"curvature": 1.0}), ex, 2.0)
    py = gibbs_density_on_bins(build_builtin("quadratic", {"curvature": 4.0, "center": 0.5}), ey, 2.0)
    np.testing.assert_allclose(p, np.outer(px, py).ravel(), atol=2e-4)


def test_beta_fit_recovers_beta_within_two_stderr_in_most_seeds(well):
    land, _ = well
    beta = 6.0
    edges = np.linspace(*RANGE, 81)
    hits = 0
    for seed in range(20):
        counts, _ = np.histogram(gibbs_samples(land, beta, 20000, seed), edges)
        fit, se = fit_beta_binned(land, edges, counts)
        assert se > 0
        hits += abs(fit - beta) <= 2 * se
    assert hits >= 17


def test_wrong_beta_is_rejected_and_right_beta_is_not(well):
    land, _ = well
    beta = 6.0
    edges = np.linspace(*RANGE, 81)
    counts, _ = np.histogram(gibbs_samples(land, beta, 20000, 99), edges)
    wrong = goodness_of_fit(counts, gibbs_density_on_bins(land, edges, 1.5 * beta))
    right = goodness_of_fit(counts, gibbs_density_on_bins(land, edges, beta))
    assert wrong["chi2_pvalue"] < 0.01
    assert right["chi2_pvalue"] > 0.01
    assert wrong["kl_divergence"] > right["kl_divergence"] >= 0
    assert wrong["total_variation"] > right["total_variation"]


def test_goodness_of_fit_merges_sparse_bins():
    probs = np.array([0.001, 0.001, 0.3, 0.4, 0.297, 0.001])
    counts = np.array([0, 1, 30, 40, 29, 0])
    fit = goodness_of_fit(counts, probs)
    # expected counts 0.1, 0.1, 30, 40, 29.7, 0.1: groups {0,1,2}, {3}, {4,5} -> 2 dof
    assert fit["chi2_dof"] == 2
    exact = goodness_of_fit(counts, counts / counts.sum())
    assert exact["kl_divergence"] == pytest.approx(0.0, abs=1e-15) and exact["total_variation"] == 0.0


def test_basin_fractions_quadrature_vs_samples_and_laplace(well):
    land, an = well
    beta = 6.0
    f = gibbs_basin_fractions(land, an, beta, [RANGE])
    assert sum(f) == pytest.approx(1.0)
    x = gibbs_samples(land, beta, 200000, 5)
    emp = np.bincount(an.basin_of(x[:, None]), minlength=2) / len(x)
    assert np.abs(np.array(f) - emp).max() < 4 * np.sqrt(0.25 / len(x))
    # at low temperature the Laplace weights exp(-beta L_k) / sqrt(h_k) take over
    cold = 60.0
    logs = np.array([-cold * m.loss - 0.5 * np.log(m.hessian_eigenvalues[0]) for m in an.minima])
    laplace = np.exp(logs - logs.max()) / np.exp(logs - logs.max()).sum()
    np.testing.assert_allclose(gibbs_basin_fractions(land, an, cold, [RANGE]), laplace, rtol=0.02)


def test_discrete_time_correction_matches_the_chain(well):
    land = build_builtin("quadratic", {"curvature": 1.5})
    an = analyze_landscape(land)
    lr, batch = 0.4, 1
    temperature = temperature_at_end(lr, batch)
    corr = discrete_time_correction(an, temperature, lr)[0]
    assert corr["variance_continuous"][0] == pytest.approx(temperature / 1.5)
    rng = np.random.default_rng(0)
    w = np.zeros(200000)
    for _ in range(200):  # the chain w <- w - lr h w + lr/sqrt(B) xi
        w += -lr * 1.5 * w + lr / np.sqrt(batch) * rng.standard_normal(w.size)
    var = corr["variance_discrete"][0]
    assert var == pytest.approx(temperature / (1.5 * (1 - lr * 1.5 / 2)))
    assert w.var() == pytest.approx(var, rel=4 * np.sqrt(2 / w.size))


def test_gibbs_comparison_block(well):
    land, an = well
    beta = 6.0
    edges = np.linspace(*RANGE, 81)
    counts, _ = np.histogram(gibbs_samples(land, beta, 20000, 3), edges)
    out = gibbs_comparison(land, an, [edges], counts, beta, [0.8, 0.2], lr=0.01)
    for key in ("beta_theory", "beta_fit", "beta_fit_stderr", "kl_divergence", "total_variation", "chi2_pvalue",
                "basin_fractions_theory", "density_theory"):
        assert key in out
    assert out["beta_theory"] == beta
    assert abs(out["beta_fit"] - beta) < 4 * out["beta_fit_stderr"]
    assert np.sum(np.array(out["density_theory"]) * np.diff(edges)) == pytest.approx(1.0)
    assert len(out["discrete_time_correction"]) == 2
    q = out["quadrature_error"]
    assert q["basin_method"] == q["bin_method"] == "adaptive_gauss_legendre"
    assert q["basin_fractions"] < 1e-12 and q["bin_probabilities"] < 1e-12
    json.dumps(out)


def test_gibbs_comparison_above_two_dimensions_is_basin_level():
    land = build_builtin("styblinski_tang", {"dim": 3})
    an = analyze_landscape(land)
    edges = [np.linspace(-5, 5, 11)] * 3
    out = gibbs_comparison(land, an, edges, np.ones(30), 0.5, [1 / 8] * 8)
    assert out["density_theory"] is None and out["beta_fit"] is None and out["chi2_pvalue"] is None
    f = np.array(out["basin_fractions_theory"])
    assert f.sum() == pytest.approx(1.0) and f.argmax() == 0   # the deepest corner (-2.9, -2.9, -2.9)
