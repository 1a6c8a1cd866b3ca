"""Finite Markov chain analysis: stationary laws, classes, periods, mixing series and mean first passage times."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import rel_entr

from sgdlab.core.errors import LimitExceeded, SpecError
from sgdlab.limits import Limits
from sgdlab.theory.information import kl_divergence, total_variation
from sgdlab.theory.markov_chains import (
    DENSE_EIGEN_MAX_STATES,
    analyze_markov_chain,
    gth_stationary,
    gth_stationary_banded,
    second_largest_modulus,
)

THREE_STATE = [[0.1, 0.4, 0.5], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3]]

RESPONSE_KEYS = {"stationary", "stationary_distributions", "irreducible", "aperiodic", "period",
                 "communication_classes", "evolution", "kl_to_stationary", "total_variation", "spectral_gap",
                 "relaxation_time", "mean_first_passage", "states", "recurrent_classes"}


def random_chain(rng: np.random.Generator, n: int, sparsity: float = 0.0) -> np.ndarray:
    """A random irreducible stochastic matrix: a random cycle plus random entries (some zeroed)."""
    A = rng.random((n, n)) ** 3
    A[rng.random((n, n)) < sparsity] = 0.0
    perm = rng.permutation(n)
    A[perm, np.roll(perm, 1)] += 0.05  # a Hamiltonian cycle keeps it irreducible
    return A / A.sum(axis=1, keepdims=True)


KL_ROUNDOFF_FLOOR = 1e-28
"""Once pi_t equals pi to double precision, KL(pi_t || pi) ~ n * (1e-16)^2 jitters at this level."""


def assert_non_increasing_kl(kl: np.ndarray) -> None:
    """KL(pi_t || pi) never increases (data processing), within 1e-12 relative above the roundoff floor."""
    assert np.all(np.diff(kl) <= 1e-12 * kl[:-1] + KL_ROUNDOFF_FLOOR)


def assert_mfpt_equations(P: np.ndarray, M: np.ndarray) -> None:
    """m_ij = 1 + sum_{k != j} p_ik m_kj for every i, j (including the return times m_jj)."""
    n = P.shape[0]
    for j in range(n):
        mask = np.ones(n, dtype=bool)
        mask[j] = False
        rhs = 1.0 + P[:, mask] @ M[mask, j]
        np.testing.assert_allclose(M[:, j], rhs, rtol=1e-9)


def test_three_state_example_exact_stationary_law_and_keys():
    r = analyze_markov_chain(THREE_STATE, steps=30)
    assert RESPONSE_KEYS <= set(r)
    # solved by hand: pi = (29, 53, 51) / 133
    np.testing.assert_allclose(r["stationary"], np.array([29, 53, 51]) / 133, rtol=1e-14)
    P = np.array(THREE_STATE)
    pi = np.array(r["stationary"])
    np.testing.assert_allclose(pi @ P, pi, atol=1e-15)
    assert r["irreducible"] and r["aperiodic"] and r["period"] == 1
    assert r["communication_classes"] == [[0, 1, 2]]
    assert r["states"] == ["x1", "x2", "x3"]
    assert len(r["evolution"]) == 31
    np.testing.assert_allclose(r["evolution"][0], [1 / 3] * 3)
    np.testing.assert_allclose(r["evolution"][1], np.full(3, 1 / 3) @ P, rtol=1e-15)
    # trace 0.7 and det 0.03: the other eigenvalues solve x^2 + 0.3 x + 0.03 = 0, a complex pair of modulus
    # sqrt(0.03)
    lam2 = math.sqrt(0.03)
    assert r["spectral_gap"] == pytest.approx(1 - lam2, rel=1e-12)
    assert r["relaxation_time"] == pytest.approx(1 / (1 - lam2), rel=1e-12)
    M = np.array(r["mean_first_passage"])
    np.testing.assert_allclose(np.diag(M), 133 / np.array([29, 53, 51]), rtol=1e-12)
    assert_mfpt_equations(P, M)
    json.dumps(r, allow_nan=False)


def test_kl_and_tv_series_match_direct_computation_and_never_increase():
    r = analyze_markov_chain(THREE_STATE, initial=[1.0, 0.0, 0.0], steps=20)
    pi = np.array(r["stationary"])
    for t, law in enumerate(r["evolution"]):
        naive = float(np.sum(rel_entr(np.array(law), pi)))
        if naive > 1e-8:  # below, the naive sum loses its digits to cancellation
            assert r["kl_to_stationary"][t] == pytest.approx(naive, rel=1e-7)
        assert r["total_variation"][t] == pytest.approx(total_variation(np.array(law), pi), rel=1e-9, abs=1e-300)
    kl = np.array(r["kl_to_stationary"])
    assert_non_increasing_kl(kl)
    assert kl[0] == pytest.approx(math.log(133 / 29))


@pytest.mark.parametrize("seed", range(20))
def test_random_chains_stationary_mfpt_and_monotone_kl(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    P = random_chain(rng, n, sparsity=0.5 if seed % 2 else 0.0)
    init = rng.dirichlet(np.ones(n))
    r = analyze_markov_chain(P.tolist(), initial=init.tolist(), steps=40)
    pi = np.array(r["stationary"])
    np.testing.assert_allclose(pi @ P, pi, atol=1e-12, rtol=0)
    assert pi.sum() == pytest.approx(1.0, abs=1e-14)
    assert r["irreducible"]
    kl = np.array(r["kl_to_stationary"])
    assert kl[0] > 1e-3 and kl[-1] < 1e-3 * kl[0]  # it does decay, so the check below is not vacuous
    assert_non_increasing_kl(kl)
    tv = np.array(r["total_variation"])
    assert np.all(np.diff(tv) <= 1e-12)  # TV to the invariant law is non-increasing too
    assert_mfpt_equations(P, np.array(r["mean_first_passage"]))
    lam = np.sort(np.abs(np.linalg.eigvals(P)))[::-1]
    assert r["spectral_gap"] == pytest.approx(1 - lam[1], abs=1e-10)


def test_gth_keeps_tiny_probabilities_accurate():
    # a birth-death chain with a huge drift: pi_k proportional to (up/down)^k, down to ~1e-200
    n, up, down = 60, 1e-4, 0.9
    P = np.zeros((n, n))
    idx = np.arange(n - 1)
    P[idx, idx + 1] = up
    P[idx + 1, idx] = down
    P[np.arange(n), np.arange(n)] = 1 - P.sum(axis=1)
    pi = gth_stationary(P)
    exact = (up / down) ** np.arange(n)
    exact /= exact.sum()
    np.testing.assert_allclose(pi, exact, rtol=1e-11)


def test_gth_block_size_does_not_change_the_answer():
    rng = np.random.default_rng(7)
    P = random_chain(rng, 150, sparsity=0.7)
    a, b = gth_stationary(P, block=1), gth_stationary(P, block=64)
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_banded_gth_agrees_with_dense_gth_and_keeps_metastable_weights():
    rng = np.random.default_rng(11)
    n, band = 120, 4
    i, j = np.indices((n, n))
    P = np.where(np.abs(i - j) <= band, rng.random((n, n)), 0.0)
    P /= P.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(gth_stationary_banded(P), gth_stationary(P), rtol=1e-12)
    np.testing.assert_allclose(gth_stationary_banded(sp.csr_matrix(P), band), gth_stationary(P), rtol=1e-12)
    # two wells joined through a bottleneck of probability 1e-150: weights 1:2 set by the exit rates
    Q = np.zeros((4, 4))
    Q[0, 1] = Q[1, 0] = Q[2, 3] = Q[3, 2] = 0.5
    Q[1, 2], Q[2, 1] = 2e-150, 1e-150
    Q[np.arange(4), np.arange(4)] = 1 - Q.sum(axis=1)
    pi = gth_stationary_banded(Q)
    np.testing.assert_allclose(pi, [1 / 6, 1 / 6, 1 / 3, 1 / 3], rtol=1e-12)


def test_reducible_chain_two_closed_classes():
    P = [[0.5, 0.5, 0.0, 0.0, 0.0],
         [0.2, 0.8, 0.0, 0.0, 0.0],
         [0.1, 0.0, 0.4, 0.0, 0.5],   # transient, leaks into both closed classes
         [0.0, 0.0, 0.0, 0.3, 0.7],
         [0.0, 0.0, 0.0, 0.6, 0.4]]
    r = analyze_markov_chain(P, steps=10)
    assert r["stationary"] is None
    assert r["irreducible"] is False
    assert r["communication_classes"] == [[0, 1], [2], [3, 4]]
    assert r["recurrent_classes"] == [[0, 1], [3, 4]]
    laws = np.array(r["stationary_distributions"])
    np.testing.assert_allclose(laws[0], [2 / 7, 5 / 7, 0, 0, 0], rtol=1e-14, atol=1e-300)
    np.testing.assert_allclose(laws[1], [0, 0, 0, 6 / 13, 7 / 13], rtol=1e-14, atol=1e-300)
    assert r["spectral_gap"] == pytest.approx(0.0, abs=1e-12)
    assert r["relaxation_time"] is None
    assert r["mean_first_passage"] is None
    assert r["kl_to_stationary"] is None and r["total_variation"] is None
    assert r["aperiodic"] and r["period"] == 1


def test_transient_mass_gives_infinite_kl_reported_as_none():
    P = [[0.0, 1.0], [0.0, 1.0]]  # state 0 transient, state 1 absorbing
    r = analyze_markov_chain(P, initial=[1.0, 0.0], steps=2)
    assert r["stationary"] == [0.0, 1.0]
    assert r["kl_to_stationary"] == [None, 0.0, 0.0]
    assert r["total_variation"] == [1.0, 0.0, 0.0]
    assert r["irreducible"] is False
    json.dumps(r, allow_nan=False)


def test_periodic_three_cycle():
    P = [[0, 1, 0], [0, 0, 1], [1, 0, 0]]
    r = analyze_markov_chain(P, initial=[1, 0, 0], steps=6)
    assert r["period"] == 3 and r["aperiodic"] is False and r["irreducible"] is True
    np.testing.assert_allclose(r["stationary"], [1 / 3] * 3)
    assert r["evolution"][3] == [1.0, 0.0, 0.0]
    assert r["spectral_gap"] == pytest.approx(0.0, abs=1e-12)
    assert r["relaxation_time"] is None
    assert_mfpt_equations(np.array(P, dtype=float), np.array(r["mean_first_passage"]))
    np.testing.assert_allclose(r["mean_first_passage"], [[3, 1, 2], [2, 3, 1], [1, 2, 3]], rtol=1e-12)


def test_period_two_bipartite_random_walk_and_mixed_class_periods():
    # random walk on a 4-cycle: period 2
    P = [[0, .5, 0, .5], [.5, 0, .5, 0], [0, .5, 0, .5], [.5, 0, .5, 0]]
    assert analyze_markov_chain(P)["period"] == 2
    # two closed classes with periods 2 and 3: the chain's period is their lcm
    Q = np.zeros((5, 5))
    Q[0, 1] = Q[1, 0] = 1
    Q[2, 3] = Q[3, 4] = Q[4, 2] = 1
    r = analyze_markov_chain(Q.tolist())
    assert r["recurrent_class_periods"] == [2, 3] and r["period"] == 6 and not r["aperiodic"]


def test_large_sparse_chain_uses_arpack_and_agrees_with_dense():
    rng = np.random.default_rng(3)
    n = DENSE_EIGEN_MAX_STATES + 50
    # lazy random walk on a ring: eigenvalues 1/2 + cos(2 pi k / n) / 2, known in closed form
    P = np.zeros((n, n))
    i = np.arange(n)
    P[i, i] = 0.5
    P[i, (i + 1) % n] += 0.25
    P[i, (i - 1) % n] += 0.25
    assert second_largest_modulus(P) == pytest.approx(0.5 + 0.5 * math.cos(2 * math.pi / n), rel=1e-8)
    r = analyze_markov_chain(P, steps=3, initial=rng.dirichlet(np.ones(n)))
    np.testing.assert_allclose(r["stationary"], np.full(n, 1 / n), rtol=1e-10)


def test_custom_state_names_are_echoed():
    r = analyze_markov_chain(THREE_STATE, states=["a", "b", "c"], steps=0)
    assert r["states"] == ["a", "b", "c"] and len(r["evolution"]) == 1


@pytest.mark.parametrize("P, field, words", [
    ([[0.5, 0.5], [0.2, 0.7]], "transition_matrix[1]", ["row 1", "0.9"]),
    ([[0.5, 0.5], [0.2, 0.3, 0.5]], "transition_matrix[1]", ["square"]),
    ([[1.2, -0.2], [0.5, 0.5]], "transition_matrix[0][1]", ["negative"]),
    ([[float("nan"), 1.0], [0.5, 0.5]], "transition_matrix[0][0]", ["finite"]),
    ([], "transition_matrix", ["at least one"]),
    ("nope", "transition_matrix", ["matrix"]),
])
def test_bad_matrices_name_the_field(P, field, words):
    with pytest.raises(SpecError) as exc:
        analyze_markov_chain(P)
    assert exc.value.field == field
    for w in words:
        assert w in exc.value.message


@pytest.mark.parametrize("kwargs, field", [
    ({"initial": [0.5, 0.5]}, "initial"),
    ({"initial": [0.5, 0.6, -0.1]}, "initial[2]"),
    ({"initial": [0.5, 0.6, 0.1]}, "initial"),
    ({"states": ["a", "b"]}, "states"),
    ({"states": ["a", "b", "a"]}, "states[2]"),
    ({"steps": -1}, "steps"),
    ({"steps": 1.5}, "steps"),
])
def test_bad_initial_states_steps(kwargs, field):
    with pytest.raises(SpecError) as exc:
        analyze_markov_chain(THREE_STATE, **kwargs)
    assert exc.value.field == field


def test_row_sums_within_tolerance_are_accepted():
    P = [[0.5, 0.5 + 5e-10], [0.3, 0.7]]
    assert analyze_markov_chain(P, steps=1)["irreducible"]


def test_limits():
    small = Limits(max_markov_states=2, max_markov_steps=5)
    with pytest.raises(LimitExceeded) as exc:
        analyze_markov_chain(THREE_STATE, limits=small)
    assert exc.value.field == "transition_matrix" and exc.value.limit == "max_markov_states"
    with pytest.raises(LimitExceeded) as exc:
        analyze_markov_chain([[1.0]], steps=6, limits=small)
    assert exc.value.field == "steps" and exc.value.limit == "max_markov_steps"


def test_single_state_chain():
    r = analyze_markov_chain([[1.0]], steps=2)
    assert r["stationary"] == [1.0] and r["period"] == 1 and r["spectral_gap"] == 1.0
    assert r["mean_first_passage"] == [[1.0]]


def test_kl_is_accurate_when_the_laws_are_close():
    q = np.array([0.2, 0.3, 0.5])
    d = np.array([1.0, -1.0, 0.0]) * 1e-9
    # KL(q + d || q) = sum d^2 / (2 q) + O(d^3)
    assert kl_divergence(q + d, q) == pytest.approx(0.5 * np.sum(d**2 / q), rel=1e-6)
    assert kl_divergence(q, q) == 0.0
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(math.log(2))
    assert total_variation([1.0, 0.0], [0.25, 0.75]) == pytest.approx(0.75)


def test_markov_spectral_gap_unknown_is_null_with_a_note_not_a_minute_of_dense_eigensolve(monkeypatch):
    # 14.8: a slowly mixing ring at 3000 states made ARPACK fail and the dense fallback take a minute; above
    # DENSE_EIGEN_FALLBACK_MAX_STATES the gap is null and the note says why (scaled down here)
    from sgdlab.theory import markov_chains as mc

    monkeypatch.setattr(mc, "ARPACK_MAX_RESTARTS", 1)
    monkeypatch.setattr(mc, "DENSE_EIGEN_FALLBACK_MAX_STATES", 240)
    n = 250
    i = np.arange(n)
    P = np.zeros((n, n))
    P[i, i] = 0.5
    P[i, (i + 1) % n] = 0.5
    r = analyze_markov_chain(P, steps=1, mean_first_passage=False)
    assert r["spectral_gap"] is None and r["relaxation_time"] is None
    assert "ARPACK" in r["spectral_gap_note"] and "240" in r["spectral_gap_note"]
    np.testing.assert_allclose(r["stationary"], np.full(n, 1 / n), rtol=1e-12)
    monkeypatch.setattr(mc, "DENSE_EIGEN_FALLBACK_MAX_STATES", 1000)
    r = analyze_markov_chain(P, steps=1, mean_first_passage=False)
    assert r["spectral_gap"] == pytest.approx(1 - abs(0.5 + 0.5 * np.exp(2j * np.pi / n)), rel=1e-6)
    assert r["spectral_gap_note"] is None
