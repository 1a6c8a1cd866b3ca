"""Mean first passage times to the digits printed: exact rationals, 60-digit references, property tests.

The old fundamental-matrix formula m_ij = (z_jj - z_ij) / pi_j gave m[0][1] = -1.6e25 on quantecon's KMR chain
(exact 2e14) and 1.99984 on a chain whose exact value is 2. Every check here is a relative error of 1e-9 on
every entry, against a reference that does not share the method: exact fractions or mpmath at 60 digits.
"""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgdlab.core.errors import SpecError
from sgdlab.theory.markov_chains import (absorption_solve, analyze_markov_chain, gth_stationary,
                                         mean_first_passage_columns, mean_first_passage_times)

RTOL = 1e-9


def kmr_matrix_sequential(N: int, p: float, epsilon: float) -> np.ndarray:
    """quantecon's test chain (test_mc_tools.py): the KMR revision process, one player revising per step."""
    P = np.zeros((N + 1, N + 1))
    P[0, 0], P[0, 1] = 1 - epsilon * (1 / 2), epsilon * (1 / 2)
    for n in range(1, N):
        P[n, n - 1] = (n / N) * (epsilon * (1 / 2) + (1 - epsilon) * (((n - 1) / (N - 1) < p)
                                                                     + ((n - 1) / (N - 1) == p) * (1 / 2)))
        P[n, n + 1] = ((N - n) / N) * (epsilon * (1 / 2) + (1 - epsilon) * ((n / (N - 1) > p)
                                                                           + (n / (N - 1) == p) * (1 / 2)))
        P[n, n] = 1 - P[n, n - 1] - P[n, n + 1]
    P[N, N - 1], P[N, N] = epsilon * (1 / 2), 1 - epsilon * (1 / 2)
    return P


def reference_mfpt(P: np.ndarray, exact: bool = False, dps: int = 60) -> np.ndarray:
    """m_ij from the float entries taken exactly (the diagonal as 1 minus the row's other entries, as the
    service does): Fractions with exact Gauss-Jordan, or mpmath LU at `dps` digits. Independent of GTH."""
    n = P.shape[0]
    if exact:
        num, one = Fraction, Fraction(1)
    else:
        mpmath.mp.dps = dps
        num, one = mpmath.mpf, mpmath.mpf(1)
    off = [[num(float(P[i, j])) if i != j else num(0) for j in range(n)] for i in range(n)]
    M = np.empty((n, n))
    for j in range(n):
        rest = [i for i in range(n) if i != j]
        # (I - Q) m = 1 with (I - Q)_ii = sum of row i's other entries (including the one into j)
        A = [[(sum(off[a]) if a == b else -off[a][b]) for b in rest] + [one] for a in rest]
        col = _gauss_jordan(A, one) if exact else list(mpmath.lu_solve(
            mpmath.matrix([r[:-1] for r in A]), mpmath.matrix([r[-1] for r in A])))
        m = dict(zip(rest, col))
        for i in rest:
            M[i, j] = float(m[i])
        M[j, j] = float(one + sum(off[j][k] * m[k] for k in rest))
    return M


def _gauss_jordan(A: list[list], one) -> list:
    """Solve the augmented system A exactly (Fractions), pivoting on the first non-zero entry."""
    n = len(A)
    for c in range(n):
        r = next(k for k in range(c, n) if A[k][c] != 0)
        A[c], A[r] = A[r], A[c]
        piv = A[c][c]
        A[c] = [x / piv for x in A[c]]
        for k in range(n):
            if k != c and A[k][c] != 0:
                f = A[k][c]
                A[k] = [x - f * y for x, y in zip(A[k], A[c])]
    return [row[-1] for row in A]


def assert_rel(got: np.ndarray, want: np.ndarray, rtol: float = RTOL) -> None:
    np.testing.assert_allclose(got, want, rtol=rtol, atol=0)


def birth_death(n: int, up: float, down: float, bottleneck: float) -> np.ndarray:
    """A birth-death chain whose middle edge (both directions) has probability `bottleneck`."""
    P = np.zeros((n, n))
    i = np.arange(n - 1)
    P[i, i + 1] = up
    P[i + 1, i] = down
    mid = n // 2
    P[mid - 1, mid] = P[mid, mid - 1] = bottleneck
    P[np.arange(n), np.arange(n)] = 1 - P.sum(axis=1)
    return P


def decoupled_blocks(rng: np.random.Generator, sizes: list[int], coupling: float) -> np.ndarray:
    """Random dense blocks, each state leaking `coupling` into the next block (a ring of blocks)."""
    n = sum(sizes)
    P = np.zeros((n, n))
    starts = np.cumsum([0] + sizes)
    for b, size in enumerate(sizes):
        lo, hi = starts[b], starts[b + 1]
        block = rng.random((size, size)) + 0.05
        P[lo:hi, lo:hi] = (1 - coupling) * block / block.sum(axis=1, keepdims=True)
        nxt = starts[(b + 1) % len(sizes)]
        P[lo:hi, nxt] += coupling
    return P


# ------------------------------------------------------------------------------------------- exact values


def test_issue_chain_with_a_1e_12_return_gives_exactly_two():
    P = np.array([[0.5, 0.5, 0], [0, 0, 1], [1e-12, 0, 1 - 1e-12]])
    M = mean_first_passage_times(P)
    assert M[0, 1] == pytest.approx(2.0, rel=1e-14)
    assert_rel(M, reference_mfpt(P, exact=True), 1e-12)


def test_kmr_chain_eps_1e_14_first_passage_is_2e14():
    P = kmr_matrix_sequential(3, 1 / 3, 1e-14)
    M = mean_first_passage_times(P)
    assert M[0, 1] == pytest.approx(2e14, rel=1e-12)
    assert_rel(M, reference_mfpt(P, exact=True))
    assert (M > 0).all()


@pytest.mark.parametrize("P", [
    kmr_matrix_sequential(27, 1 / 3, 1e-2),
    np.array([[0.9, 0.075, 0.025], [0.15, 0.8, 0.05], [0.25, 0.25, 0.5]]),  # mpmath's stoch_eig test chain
    birth_death(16, 0.3, 0.4, 1e-12),
    birth_death(15, 0.45, 0.05, 1e-12),   # drift: entries from ~1 to ~1e27
], ids=["kmr27", "mpmath3", "birth_death_1e-12", "birth_death_drift"])
def test_every_entry_matches_60_digit_reference(P):
    assert_rel(mean_first_passage_times(P), reference_mfpt(P))


def test_nearly_decoupled_blocks_joined_by_1e_12():
    P = decoupled_blocks(np.random.default_rng(4), [5, 4, 6], 1e-12)
    M = mean_first_passage_times(P)
    assert_rel(M, reference_mfpt(P))
    assert M.max() > 1e11 and M[0, 1] < 1e3  # across the bottleneck vs inside a block: both to 1e-9


def test_blocked_factorisation_matches_reference_columns(monkeypatch):
    # tiny thresholds, so that a 40-state chain runs every branch a 1000-state one does: the recursive halving
    # (wide right-hand sides) and the blocked GTH factorisation with panels (target columns)
    from sgdlab.theory import markov_chains as mc

    monkeypatch.setattr(mc, "SMALL_ABSORB", 3)
    monkeypatch.setattr(mc, "GTH_BLOCK", 4)
    P = decoupled_blocks(np.random.default_rng(9), [18, 22], 1e-10)
    M = mean_first_passage_times(P)  # wide right-hand sides: recursive halving
    columns = mean_first_passage_columns(P, [0, 21, len(P) - 1])  # narrow: gth_factor + triangular solves
    mpmath.mp.dps = 40
    n = len(P)
    for c, j in enumerate((0, 21, n - 1)):
        rest = [i for i in range(n) if i != j]
        A = mpmath.matrix(n - 1, n - 1)
        for a, i in enumerate(rest):
            A[a, a] = mpmath.fsum(mpmath.mpf(float(P[i, k])) for k in range(n) if k != i)
            for b, k in enumerate(rest):
                if k != i:
                    A[a, b] = -mpmath.mpf(float(P[i, k]))
        col = np.array([float(x) for x in mpmath.lu_solve(A, mpmath.matrix([1] * (n - 1)))])
        assert_rel(M[rest, j], col)
        assert_rel(columns[rest, c], col)
    assert M.max() > 1e10


def test_target_columns_equal_the_matrix_columns():
    P = birth_death(20, 0.3, 0.4, 1e-12)
    M = mean_first_passage_times(P)
    assert_rel(mean_first_passage_columns(P, [3, 10, 0]), M[:, [3, 10, 0]], 1e-12)
    many = list(range(0, 20, 2))  # above MFPT_COLUMN_SOLVES: sliced from the whole matrix
    assert_rel(mean_first_passage_columns(P, many), M[:, many], 1e-12)


def test_absorption_solve_gives_exit_probabilities_and_times():
    # gambler's ruin on 1..9 with p = 0.3 up: ruin probabilities and durations in closed form
    p, q, N = 0.3, 0.7, 10
    Q = np.zeros((N - 1, N - 1))
    i = np.arange(N - 2)
    Q[i, i + 1] = p
    Q[i + 1, i] = q
    R = np.zeros((N - 1, 3))
    R[0, 0] = q           # exit to 0
    R[-1, 1] = p          # exit to N
    R[:, 2] = 1.0         # one step per visit
    X = absorption_solve(Q, R, 2)
    k = np.arange(1, N)
    r = q / p
    win = (1 - r ** k) / (1 - r ** N)
    duration = k / (q - p) - N / (q - p) * win
    assert_rel(X[:, 1], win, 1e-13)
    assert_rel(X[:, 0], 1 - win, 1e-13)
    assert_rel(X[:, 2], duration, 1e-12)


# ------------------------------------------------------------------------------------------- properties


@st.composite
def chains(draw) -> np.ndarray:
    """Random chains: dense, sparse, periodic (cyclic blocks), reducible, nearly decoupled (1e-6..1e-14)."""
    kind = draw(st.sampled_from(["dense", "sparse", "periodic", "reducible", "decoupled"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(2, 14))
    if kind == "decoupled":
        k = draw(st.integers(2, 3))
        sizes = [max(1, n // k)] * k
        return decoupled_blocks(rng, sizes, 10.0 ** -draw(st.integers(6, 14)))
    A = rng.random((n, n)) ** 3
    if kind == "sparse":
        A[rng.random((n, n)) < 0.6] = 0
        perm = rng.permutation(n)
        A[perm, np.roll(perm, 1)] += 0.1  # a cycle keeps it irreducible
    elif kind == "periodic":
        d = draw(st.integers(2, min(4, n)))
        phase = rng.integers(0, d, n)
        phase[:d] = np.arange(d)  # every phase occupied
        A = A * (phase[None, :] == (phase[:, None] + 1) % d)
        for i in range(n):  # at least one move into the next phase
            A[i, rng.choice(np.flatnonzero(phase == (phase[i] + 1) % d))] += 0.1
    elif kind == "reducible":
        A[: n // 2 + 1, n // 2 + 1:] = 0  # the first states can never leave their half
    return A / A.sum(axis=1, keepdims=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chains())
def test_properties_of_mfpt_and_stationary_laws(P):
    r = analyze_markov_chain(P, steps=1)
    for law in r["stationary_distributions"]:
        law = np.array(law)
        assert (law >= 0).all()
        assert law.sum() == pytest.approx(1.0, abs=1e-13)
    if not r["irreducible"]:
        assert r["mean_first_passage"] is None and "reducible" in r["mean_first_passage_note"]
        return
    M = np.array(r["mean_first_passage"])
    pi = np.array(r["stationary"])
    off = ~np.eye(len(P), dtype=bool)
    assert (M[off] >= 1.0 - 1e-12).all()                       # at least one step to reach another state
    assert_rel(np.diag(M) * pi, np.ones(len(P)))               # Kac: m_ii = 1 / pi_i
    # first-step equations m_ij = 1 + sum_{k != j} p_ik m_kj: every term non-negative, so relative
    for j in range(len(P)):
        mask = np.arange(len(P)) != j
        assert_rel(M[:, j], 1.0 + P[:, mask] @ M[mask, j], 1e-10)
    # cyclic classes: the chain moves from class k to class k + 1 (mod the period), as quantecon orders them
    (classes,) = r["cyclic_classes"]
    d = r["period"]
    assert len(classes) == d and sorted(sum(classes, [])) == list(range(len(P)))
    for k, members in enumerate(classes):
        nxt = set(classes[(k + 1) % d])
        assert all(set(np.flatnonzero(P[i] > 0)) <= nxt for i in members)


# ------------------------------------------------------------------------------------------- regressions


def test_markov_tiny_off_diagonal_1e_300_gives_correct_answer_not_500():
    # 14.9: [[1, 1e-300], [1e-300, 1]] passes validation (rows sum to 1 in double precision); the old inverse
    # of a singular fundamental matrix raised. Exact: pi = (1/2, 1/2), m_01 = m_10 = 1e300, m_ii = 2.
    r = analyze_markov_chain([[1, 1e-300], [1e-300, 1]], steps=2)
    assert r["stationary"] == [0.5, 0.5] and r["irreducible"]
    M = np.array(r["mean_first_passage"])
    assert_rel(M, np.array([[2, 1e300], [1e300, 2]]), 1e-15)
    assert r["cyclic_classes"] == [[[0, 1]]]


def test_markov_subnormal_off_diagonal_overflows_to_null_with_a_note():
    # 1 / 5e-324 is beyond double precision: the entry is null and the note says why
    r = analyze_markov_chain([[1, 5e-324], [5e-324, 1]], steps=1)
    assert r["stationary"] == [0.5, 0.5]
    assert r["mean_first_passage"][0][1] is None and r["mean_first_passage"][0][0] == 2.0
    assert "double-precision" in r["mean_first_passage_note"]


def test_mfpt_request_modes_and_limits():
    from sgdlab.core.errors import LimitExceeded
    from sgdlab.limits import Limits

    P = birth_death(6, 0.3, 0.4, 1e-3)
    small = Limits(max_mfpt_values=20)
    auto = analyze_markov_chain(P, steps=0, limits=small)
    assert auto["mean_first_passage"] is None and "max_mfpt_values=20" in auto["mean_first_passage_note"]
    with pytest.raises(LimitExceeded) as exc:
        analyze_markov_chain(P, steps=0, limits=small, mean_first_passage=True)
    assert exc.value.field == "mean_first_passage" and exc.value.limit == "max_mfpt_values"
    cols = analyze_markov_chain(P, steps=0, limits=small, mean_first_passage=[5, "x1"],
                                states=[f"x{i}" for i in range(6)])
    assert cols["mean_first_passage_columns"]["targets"] == [5, 1]
    assert_rel(np.array(cols["mean_first_passage_columns"]["times"]).T, mean_first_passage_times(P)[:, [5, 1]])
    off = analyze_markov_chain(P, steps=0, mean_first_passage=False)
    assert off["mean_first_passage"] is None and "not requested" in off["mean_first_passage_note"]
    for bad, field in (([7], "mean_first_passage[0]"), (["nope"], "mean_first_passage[0]"),
                       ([1, 1], "mean_first_passage"), ("all", "mean_first_passage"), ([], "mean_first_passage")):
        with pytest.raises(SpecError) as exc:
            analyze_markov_chain(P, steps=0, mean_first_passage=bad)
        assert exc.value.field == field


def test_stationary_law_via_gth_agrees_with_kac_on_kmr():
    P = kmr_matrix_sequential(3, 1 / 3, 1e-14)
    assert_rel(1.0 / gth_stationary(P), np.diag(reference_mfpt(P, exact=True)))


def test_markov_stationary_beyond_double_precision_is_a_clear_422_not_nan():
    # irreducible, rows sum to 1, but pi_0 / pi_2 is below 1e-320 x 1e-300: not representable
    P = [[2e-320, 1.0, 0.0], [6.666666666666667e-301, 1 / 3, 2 / 3], [0.0, 1e-320, 1.0]]
    with pytest.raises(SpecError) as exc:
        analyze_markov_chain(P, steps=1)
    assert exc.value.field == "transition_matrix" and "double precision" in exc.value.message


EXTREME = [0.0, 5e-324, 1e-320, 1e-300, 1e-200, 1e-100, 1e-16, 1e-12, 0.5, 1.0]


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(
    st.lists(st.lists(st.sampled_from(EXTREME), min_size=n, max_size=n), min_size=n, max_size=n),
    st.booleans(), st.booleans(), st.sampled_from(["auto", True, False, [0]]))))
def test_markov_extreme_magnitudes_give_an_answer_or_a_spec_error(case):
    # 14.9: any chain that passes validation is answered (finite laws, MFPT >= 1 or null with a note) or
    # refused with a SpecError naming the field; never another exception
    rows, normalise, sparse, mfpt = case
    A = np.array(rows, dtype=float)
    np.fill_diagonal(A, np.where(A.sum(axis=1) == 0, 1.0, np.diag(A)))
    if normalise:
        A = A / A.sum(axis=1, keepdims=True)
    P = A.tolist()
    if sparse:
        r, c = np.nonzero(A)
        P = {"sparse": {"n": len(A), "rows": r.tolist(), "cols": c.tolist(), "values": A[r, c].tolist()}}
    try:
        out = analyze_markov_chain(P, steps=2, mean_first_passage=mfpt)
    except SpecError as exc:
        assert exc.field
        return
    for law in out["stationary_distributions"]:
        assert all(v is not None and v >= 0 for v in law) and sum(law) == pytest.approx(1.0, abs=1e-12)
    M = out["mean_first_passage"]
    if M is not None:
        flat = [v for row in M for v in row]
        assert all(v is None or v >= 1 - 1e-12 for v in flat)
        assert all(v is not None for v in flat) or "double-precision" in out["mean_first_passage_note"]
