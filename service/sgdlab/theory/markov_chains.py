"""Finite Markov chains: classes, periods, stationary laws (GTH), evolution, mixing and mean first passage times.

`analyze_markov_chain` answers POST /v1/markov-chains/analyze (see docs/API.md). Conventions: P[i, j] is the
probability of moving from state i to state j (rows sum to 1); laws are row vectors, pi_{t+1} = P^T pi_t.
"""

from __future__ import annotations

import math
from functools import reduce
from typing import Any, Sequence, Union

import numpy as np
import scipy.sparse as sp
from scipy.linalg import solve_triangular
from scipy.sparse.csgraph import connected_components, shortest_path
from threadpoolctl import threadpool_limits

from sgdlab.core.errors import LimitExceeded, SpecError
from sgdlab.limits import DEFAULT_LIMITS, Limits
from sgdlab.theory.information import finite_or_none, json_floats, kl_divergence_rows, total_variation_rows

ROW_SUM_TOLERANCE = 1e-9
"""Rows of a transition matrix, and an initial law, must sum to 1 within this."""

DENSE_EIGEN_MAX_STATES = 200
"""Above this many states the two largest eigenvalues come from ARPACK (dense solver as the fallback)."""

ARPACK_MAX_RESTARTS = 50
"""ARPACK gives up after this many restarts (slowly mixing chains with clustered eigenvalues near 1), and the
dense solver answers instead: O(n^3), several seconds at a thousand states."""

DENSE_EIGEN_FALLBACK_MAX_STATES = 1000
"""Above this many states a failed ARPACK run leaves the spectral gap unknown (null with a note) instead of an
O(n^3) dense eigensolve (about 2 s at 1000 states, a minute at 3000)."""

GTH_BLOCK = 64
"""States eliminated per block in the GTH elimination (one matrix product per block)."""

SMALL_ABSORB = 48
"""Up to this many states `absorption_solve` eliminates row by row (tiny LAPACK calls cost more than that)."""

def one_blas_thread() -> threadpool_limits:
    """One BLAS thread for the chain analysis: GTH panels, ARPACK mat-vecs and the passage-time recursions
    make thousands of small products, for which BLAS threads cost more than they give (three to five times
    more on a busy two-core machine, where the service's workers already use every core)."""
    return threadpool_limits(limits=1, user_api="blas")


MFPT_COLUMN_SOLVES = 6
"""Above this many target columns the whole MFPT matrix (about 2.2 n^3 flops) is cheaper than column solves
(about n^3 / 3 each)."""


# ----------------------------------------------------------------------------------------------- validation


def _sparse_transition_matrix(spec: Any, limits: Limits) -> np.ndarray:
    """The dense (n, n) array of {"n", "rows", "cols", "values"} (COO triplets, each entry at most once)."""
    field = "transition_matrix.sparse"
    if not isinstance(spec, dict):
        raise SpecError('must be an object {"n", "rows", "cols", "values"}', field)
    unknown = sorted(set(spec) - {"n", "rows", "cols", "values"})
    if unknown:
        raise SpecError(f"unknown field {unknown[0]!r}", f"{field}.{unknown[0]}")
    n = spec.get("n")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise SpecError("must be an integer (the number of states)", f"{field}.n")
    if n < 1:
        raise SpecError("must have at least one state", f"{field}.n")
    if n > limits.max_markov_states:
        raise LimitExceeded(f"{field}.n", "max_markov_states", limits.max_markov_states, int(n))
    parts = {}
    for key in ("rows", "cols", "values"):
        v = spec.get(key)
        if not isinstance(v, (list, tuple, np.ndarray)):
            raise SpecError("must be a list", f"{field}.{key}")
        parts[key] = v
    nnz = len(parts["values"])
    for key in ("rows", "cols"):
        if len(parts[key]) != nnz:
            raise SpecError(f"has {len(parts[key])} entries, values has {nnz}", f"{field}.{key}")
    if nnz > limits.max_markov_nonzeros:
        raise LimitExceeded(f"{field}.values", "max_markov_nonzeros", limits.max_markov_nonzeros, nnz)
    index = {}
    for key in ("rows", "cols"):
        try:
            idx = np.asarray(parts[key]).reshape(-1)
        except (TypeError, ValueError):
            raise SpecError("must be a list of integer state indices", f"{field}.{key}") from None
        if idx.size and idx.dtype.kind not in "iu":
            raise SpecError("must be a list of integer state indices", f"{field}.{key}")
        idx = idx.astype(np.int64)
        bad = np.flatnonzero((idx < 0) | (idx >= n))
        if bad.size:
            k = int(bad[0])
            raise SpecError(f"index {int(idx[k])} is outside 0..{n - 1}", f"{field}.{key}[{k}]")
        index[key] = idx
    try:
        values = np.asarray(parts["values"], dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise SpecError("must be a list of numbers", f"{field}.values") from None
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        k = int(bad[0])
        raise SpecError(f"entry {float(values[k]):g} must be a finite probability >= 0", f"{field}.values[{k}]")
    flat = index["rows"] * n + index["cols"]
    order = np.argsort(flat, kind="stable")
    repeated = np.flatnonzero(flat[order][1:] == flat[order][:-1])
    if repeated.size:
        k = int(order[repeated[0] + 1])
        raise SpecError(f"entry ({int(index['rows'][k])}, {int(index['cols'][k])}) is given twice",
                        f"{field}.values[{k}]")
    A = np.zeros((n, n))
    A[index["rows"], index["cols"]] = values
    return A


def validate_transition_matrix(P: Any, limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """The transition matrix as a float (n, n) array, or a SpecError naming the offending entry or row.

    P is a list of rows (at most `max_markov_dense_states` states), or {"sparse": {"n", "rows", "cols",
    "values"}} (at most `max_markov_states` states and `max_markov_nonzeros` entries; absent entries are 0).
    """
    field = "transition_matrix"
    if isinstance(P, dict):
        if set(P) != {"sparse"}:
            raise SpecError('must be a list of rows or {"sparse": {"n", "rows", "cols", "values"}}', field)
        A = _sparse_transition_matrix(P["sparse"], limits)
        rows = None
    elif isinstance(P, np.ndarray):
        if P.ndim != 2:
            raise SpecError("must be a square matrix (a list of rows)", field)
        rows = list(P)
    elif isinstance(P, (list, tuple)):
        rows = list(P)
    else:
        raise SpecError("must be a square matrix (a list of rows)", field)
    if rows is not None:
        n = len(rows)
        if n == 0:
            raise SpecError("must have at least one state", field)
        if n > limits.max_markov_states:
            raise LimitExceeded(field, "max_markov_states", limits.max_markov_states, n)
        if n > limits.max_markov_dense_states:
            raise SpecError(f"a dense matrix may have at most max_markov_dense_states="
                            f"{limits.max_markov_dense_states} states (got {n}); send larger chains as "
                            '{"sparse": {"n", "rows", "cols", "values"}} (up to max_markov_states='
                            f"{limits.max_markov_states})", field)
        for i, row in enumerate(rows):
            if not isinstance(row, (list, tuple, np.ndarray)) or len(row) != n:
                got = len(row) if isinstance(row, (list, tuple, np.ndarray)) else "not a list"
                raise SpecError(f"must be square: row {i} has {got} entries, expected {n}", f"{field}[{i}]")
        try:
            A = np.array(rows, dtype=float)
        except (TypeError, ValueError) as exc:
            raise SpecError(f"entries must be numbers ({exc})", field) from None
    bad = np.argwhere(~np.isfinite(A))
    if bad.size:
        i, j = map(int, bad[0])
        raise SpecError(f"entry {float(A[i, j])} is not finite", f"{field}[{i}][{j}]")
    bad = np.argwhere(A < 0)
    if bad.size:
        i, j = map(int, bad[0])
        raise SpecError(f"entry {A[i, j]:g} is negative; probabilities must be >= 0", f"{field}[{i}][{j}]")
    sums = A.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1.0) > ROW_SUM_TOLERANCE)
    if off.size:
        i = int(off[0])
        raise SpecError(f"row {i} sums to {float(sums[i]):.15g}, not 1 (tolerance {ROW_SUM_TOLERANCE:g})",
                        f"{field}[{i}]")
    return A


def validate_initial(initial: Any, n: int) -> np.ndarray:
    """The initial law as a float (n,) probability vector (uniform when None), or a SpecError on `initial`."""
    if initial is None:
        return np.full(n, 1.0 / n)
    try:
        x = np.asarray(initial, dtype=float)
    except (TypeError, ValueError):
        raise SpecError("must be a list of numbers", "initial") from None
    if x.ndim != 1 or x.size != n:
        raise SpecError(f"must have one probability per state ({n}), got shape {list(x.shape)}", "initial")
    bad = np.flatnonzero(~np.isfinite(x) | (x < 0))
    if bad.size:
        i = int(bad[0])
        raise SpecError(f"entry {float(x[i])} must be a finite number >= 0", f"initial[{i}]")
    total = float(x.sum())
    if abs(total - 1.0) > ROW_SUM_TOLERANCE:
        raise SpecError(f"sums to {total:.15g}, not 1 (tolerance {ROW_SUM_TOLERANCE:g})", "initial")
    return x


def validate_states(states: Any, n: int) -> list[str]:
    """State names (default x1..xn): one unique string per state, or a SpecError on `states`."""
    if states is None:
        return [f"x{i + 1}" for i in range(n)]
    if not isinstance(states, (list, tuple)) or not all(isinstance(s, str) for s in states):
        raise SpecError("must be a list of names (strings)", "states")
    if len(states) != n:
        raise SpecError(f"must name every state: {n} expected, got {len(states)}", "states")
    seen: set[str] = set()
    for i, s in enumerate(states):
        if s in seen:
            raise SpecError(f"name {s!r} is repeated", f"states[{i}]")
        seen.add(s)
    return list(states)


def validate_steps(steps: Any, limits: Limits = DEFAULT_LIMITS) -> int:
    """The number of evolution steps: an int in [0, limits.max_markov_steps]."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise SpecError("must be an integer", "steps")
    if steps < 0:
        raise SpecError("must be >= 0", "steps")
    if steps > limits.max_markov_steps:
        raise LimitExceeded("steps", "max_markov_steps", limits.max_markov_steps, int(steps))
    return int(steps)


# ----------------------------------------------------------------------------------------------- structure


def communication_classes(P: Any) -> tuple[list[np.ndarray], list[bool]]:
    """The communication classes (sorted state indices, ordered by smallest state) and whether each is closed.

    P may be dense or scipy.sparse. A class of a finite chain is recurrent exactly when it is closed (no
    positive probability of leaving it).
    """
    graph = sp.csr_matrix(P > 0)
    n = graph.shape[0]
    n_classes, labels = connected_components(graph, directed=True, connection="strong")
    src, dst = graph.nonzero()
    leaving = labels[src] != labels[dst]
    open_class = np.zeros(n_classes, dtype=bool)
    open_class[labels[src[leaving]]] = True
    by_label = np.argsort(labels, kind="stable")  # states grouped by class, increasing within each
    groups = np.split(by_label, np.cumsum(np.bincount(labels, minlength=n_classes))[:-1])
    order = np.argsort([g[0] for g in groups]) if n else []
    return [groups[c] for c in order], [not bool(open_class[c]) for c in order]


def class_period(P: np.ndarray, members: np.ndarray) -> int:
    """The period of one communication class: gcd over its edges (u, v) of level(u) + 1 - level(v), BFS levels.

    0 for a single state without a self-loop (no cycle: the period is undefined).
    """
    sub = sp.csr_matrix(P[np.ix_(members, members)] > 0)
    level = shortest_path(sub, method="D", unweighted=True, indices=0)
    u, v = sub.nonzero()
    if u.size == 0:
        return 0
    diffs = np.abs(level[u] + 1 - level[v]).astype(np.int64)
    return int(np.gcd.reduce(diffs))


def gth_stationary(P: np.ndarray, block: int = GTH_BLOCK) -> np.ndarray:
    """The stationary law of an irreducible stochastic matrix by Grassmann-Taksar-Heyman elimination.

    No subtractions occur, so every component is computed to high relative accuracy even when tiny.
    Blocked like LU: states are eliminated from the last, `block` at a time; inside a block the pivot rows
    and the multiplier columns are updated one state at a time (vectorised rows), and the rest of the
    matrix gets one non-negative matrix product per block (the censored chain on the remaining states).
    """
    A = np.array(P, dtype=float, copy=True)
    n = A.shape[0]
    k = n
    while k > 1:
        lo = max(1, k - block)
        for m in range(k - 1, lo - 1, -1):
            s = A[m, :m].sum()  # 1 - (stay at m in the censored chain), computed without subtraction
            if m + 1 < k:
                A[:lo, m] += A[:lo, m + 1:k] @ A[m + 1:k, m]
            A[:lo, m] /= s
            A[lo:m, m] /= s
            A[lo:m, :m] += np.outer(A[lo:m, m], A[m, :m])
        A[:lo, :lo] += A[:lo, lo:k] @ A[lo:k, :lo]
        k = lo
    pi = np.zeros(n)
    pi[0] = 1.0
    for j in range(1, n):
        pi[j] = pi[:j] @ A[:j, j]
    return pi / pi.sum()


def bandwidth(P: Any) -> int:
    """The largest |i - j| over the positive entries of a (dense or sparse) matrix."""
    coo = sp.coo_matrix(P)
    mask = coo.data != 0
    return int(np.abs(coo.row[mask] - coo.col[mask]).max()) if mask.any() else 0


def gth_stationary_banded(P: Any, band: int | None = None) -> np.ndarray:
    """GTH elimination for an irreducible chain whose positive entries satisfy |i - j| <= band: O(n band^2).

    Elimination keeps the band (the fill of state k stays in the window [k - band, k)), so each step updates
    a band x band block only. Dense storage (n^2 floats); the same subtraction-free accuracy as
    `gth_stationary`, which matters for metastable chains whose wells communicate with tiny probability.
    """
    A = P.toarray() if sp.issparse(P) else np.array(P, dtype=float, copy=True)
    n = A.shape[0]
    w = bandwidth(A) if band is None else int(band)
    for k in range(n - 1, 0, -1):
        lo = max(0, k - w)
        s = A[k, lo:k].sum()
        A[lo:k, k] /= s
        A[lo:k, lo:k] += np.outer(A[lo:k, k], A[k, lo:k])
    pi = np.zeros(n)
    pi[0] = 1.0
    for j in range(1, n):
        lo = max(0, j - w)
        pi[j] = pi[lo:j] @ A[lo:j, j]
    return pi / pi.sum()


def second_largest_modulus(P: np.ndarray) -> float | None:
    """The second largest |eigenvalue| of P (0 for one state): dense up to DENSE_EIGEN_MAX_STATES, else ARPACK.

    ARPACK (k=2, largest modulus, relative tolerance 1e-8) falls back to the dense solver if it fails, up to
    DENSE_EIGEN_FALLBACK_MAX_STATES states; above, None (unknown: the dense solver would take a minute).
    """
    n = P.shape[0]
    if n == 1:
        return 0.0
    moduli = None
    if n > DENSE_EIGEN_MAX_STATES:
        from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, eigs

        PT = sp.csr_matrix(P.T) if np.count_nonzero(P) < 0.2 * n * n else np.ascontiguousarray(P.T)
        try:
            start = np.random.default_rng(0).random(n)  # seeded: the same answer (and cost) every call
            vals = eigs(PT, k=2, which="LM", return_eigenvectors=False, ncv=min(n, 40),
                        maxiter=ARPACK_MAX_RESTARTS, tol=1e-8, v0=start)
            moduli = np.sort(np.abs(vals))[::-1]
        except (ArpackNoConvergence, ArpackError):
            moduli = None
    if moduli is None:
        if n > DENSE_EIGEN_FALLBACK_MAX_STATES:
            return None
        moduli = np.sort(np.abs(np.linalg.eigvals(P)))[::-1]
    return float(min(moduli[1], 1.0))


def gth_factor(Q: np.ndarray, exit_mass: np.ndarray, block: int | None = None) -> np.ndarray:
    """The GTH factorisation of I - Q for a block Q of a stochastic matrix with `exit_mass` = 1 - row sums of Q.

    Returns F with I - Q = (lower triangle of F, diagonal s) (I + strict upper triangle of F): the pivots
    s_k = 1 - (stay at k in the chain censored to states >= k) are sums of the censored row's other entries
    (never 1 - something), the strict lower part holds -(censored q_ik), the strict upper part -(q_kj / s_k).
    Every update adds products of non-negative numbers, so each entry has a small relative error. Blocked
    right-looking elimination: one matrix product per `block` states (default GTH_BLOCK).
    """
    block = block or GTH_BLOCK
    A = np.array(Q, dtype=float, copy=True)
    e = np.array(exit_mass, dtype=float, copy=True)
    m = A.shape[0]
    s = np.empty(m)
    for k0 in range(0, m, block):
        k1 = min(k0 + block, m)
        for k in range(k0, k1):
            s[k] = A[k, k + 1:].sum() + e[k]
            A[k, k + 1:] /= s[k]
            e[k] /= s[k]
            if k + 1 < k1:  # the rest of the panel's rows, over all columns to the right
                A[k + 1:k1, k + 1:] += np.outer(A[k + 1:k1, k], A[k, k + 1:])
                e[k + 1:k1] += A[k + 1:k1, k] * e[k]
            if k1 < m:  # the rows below the panel, within the panel's columns (the rest waits for the product)
                A[k1:, k + 1:k1] += np.outer(A[k1:, k], A[k, k + 1:k1])
        if k1 < m:
            A[k1:, k1:] += A[k1:, k0:k1] @ A[k0:k1, k1:]
            e[k1:] += A[k1:, k0:k1] @ e[k0:k1]
    F = -A
    F[np.diag_indices(m)] = s
    return F


def _absorption_solve_small(Q: np.ndarray, R: np.ndarray, n_prob: int) -> np.ndarray:
    """`absorption_solve` for a few states: the same elimination row by row, right-hand sides carried along."""
    m = Q.shape[0]
    A = np.array(Q, dtype=float)
    X = np.array(R, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for k in range(m):
            s = A[k, k + 1:].sum() + X[k, :n_prob].sum()
            A[k, k + 1:] /= s
            X[k] /= s
            if k + 1 < m:
                A[k + 1:, k + 1:] += np.outer(A[k + 1:, k], A[k, k + 1:])
                X[k + 1:] += np.outer(A[k + 1:, k], X[k])
        for k in range(m - 2, -1, -1):
            X[k] += A[k, k + 1:] @ X[k + 1:]
    return X


def absorption_solve(Q: np.ndarray, R: np.ndarray, n_prob: int) -> np.ndarray:
    """X = (I - Q)^{-1} R for a block Q of a stochastic matrix, without one subtraction (GTH-style).

    Q is the (m, m) block of transitions among the states being eliminated; the first `n_prob` columns of R are
    the transitions out of the block (every row of [Q, R[:, :n_prob]] sums to 1) and the other columns are
    non-negative costs. Then X[:, :n_prob] are the exit (entrance) probabilities and X[:, n_prob:] the expected
    costs accumulated before leaving the block. Narrow R: the factors from `gth_factor` (positive diagonal,
    non-positive off-diagonal entries, so both triangular solves only add non-negative terms). Wide R: the
    first half is eliminated recursively into the censored second half (matrix products only).
    """
    R = np.asarray(R, dtype=float)
    m = Q.shape[0]
    if m <= SMALL_ABSORB:
        return _absorption_solve_small(Q, R, n_prob)
    if 4 * R.shape[1] >= m:
        # wide right-hand sides (the halves of `_hitting_times`): halve recursively, all in matrix products
        h = m // 2
        Y = absorption_solve(Q[:h, :h], np.hstack([Q[:h, h:], R[:h]]), n_prob + m - h)
        to_second, out = Y[:, :m - h], Y[:, m - h:]
        X2 = absorption_solve(Q[h:, h:] + Q[h:, :h] @ to_second, R[h:] + Q[h:, :h] @ out, n_prob)
        return np.vstack([out + to_second @ X2, X2])
    F = gth_factor(Q, R[:, :n_prob].sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        Y = solve_triangular(F, R, lower=True, check_finite=False)
        return solve_triangular(F, Y, lower=False, unit_diagonal=True, check_finite=False)


def _hitting_times(P: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """h_ij, the expected cost to first reach j from i (0 on the diagonal) in an irreducible chain whose step
    from state i costs cost_i; by halving: each half is censored away from the other (costs carried along)."""
    n = P.shape[0]
    if n == 1:
        return np.zeros((1, 1))
    h = n // 2
    XA = absorption_solve(P[:h, :h], np.hstack([P[:h, h:], cost[:h, None]]), n - h)
    XB = absorption_solve(P[h:, h:], np.hstack([P[h:, :h], cost[h:, None]]), h)
    enter_b, time_a = XA[:, :n - h], XA[:, n - h]  # from A: where the chain enters B, and the time it takes
    enter_a, time_b = XB[:, :h], XB[:, h]
    M = np.empty((n, n))
    M[:h, :h] = _hitting_times(P[:h, :h] + P[:h, h:] @ enter_a, cost[:h] + P[:h, h:] @ time_b)
    M[h:, h:] = _hitting_times(P[h:, h:] + P[h:, :h] @ enter_b, cost[h:] + P[h:, :h] @ time_a)
    M[:h, h:] = time_a[:, None] + enter_b @ M[h:, h:]
    M[h:, :h] = time_b[:, None] + enter_a @ M[:h, :h]
    return M


def mean_first_passage_times(P: np.ndarray, pi: np.ndarray | None = None) -> np.ndarray:
    """m_ij, the expected steps to first reach j from i (m_ii the mean return time 1/pi_i), irreducible chains.

    Subtraction-free: recursive state reduction (`absorption_solve` on each half, then the censored halves),
    so every entry has a small relative error even when it spans many orders of magnitude (metastable chains,
    bottlenecks of 1e-12). O(n^3) up to a log factor, nearly all in matrix products (about 8 times one
    n x n product at 1000 states, bench/bench_theory_chains.py). The diagonal of P is
    never used (it is 1 minus the row's other entries). The return times are 1/pi_i (Kac), pi from GTH
    (`pi` when given, else computed); entries beyond double precision are inf.
    """
    A = np.asarray(P, dtype=float)
    n = A.shape[0]
    pi = gth_stationary(A) if pi is None else np.asarray(pi, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"), one_blas_thread():
        M = _hitting_times(A, np.ones(n))
        M[np.diag_indices(n)] = 1.0 / pi
    return M


def mean_first_passage_columns(P: np.ndarray, targets: Sequence[int], pi: np.ndarray | None = None) -> np.ndarray:
    """The columns m_{., j} for each target j, as an (n, len(targets)) array (one absorption solve per target)."""
    A = np.asarray(P, dtype=float)
    n = A.shape[0]
    idx = np.asarray(list(targets), dtype=np.int64)
    pi = gth_stationary(A) if pi is None else np.asarray(pi, dtype=float)
    if len(idx) > MFPT_COLUMN_SOLVES:
        return mean_first_passage_times(A, pi)[:, idx]
    out = np.zeros((n, len(idx)))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"), one_blas_thread():
        for c, j in enumerate(idx):
            rest = np.flatnonzero(np.arange(n) != j)
            if rest.size:
                X = absorption_solve(A[np.ix_(rest, rest)], np.column_stack([A[rest, j], np.ones(rest.size)]), 1)
                out[rest, c] = X[:, 1]
            out[j, c] = 1.0 / pi[j]
    return out


def evolve_law(P: np.ndarray, initial: np.ndarray, steps: int) -> np.ndarray:
    """pi_0 .. pi_steps with pi_{t+1} = P^T pi_t, as a (steps + 1, n) array (sparse mat-vec when P is sparse)."""
    n = P.shape[0]
    out = np.empty((steps + 1, n))
    out[0] = initial
    PT = sp.csr_matrix(P.T) if np.count_nonzero(P) < 0.2 * n * n else np.ascontiguousarray(P.T)
    for t in range(steps):
        out[t + 1] = PT @ out[t]
    return out


# ----------------------------------------------------------------------------------------------- analysis


def cyclic_classes(P: np.ndarray, members: np.ndarray) -> list[list[int]]:
    """The cyclic classes of one closed class, as quantecon reports them: BFS level from its smallest state, mod
    the period d; the chain moves from class k to class k + 1 (mod d). One class when aperiodic (or d = 0)."""
    d = class_period(P, members)
    if d <= 1:
        return [members.tolist()]
    sub = sp.csr_matrix(P[np.ix_(members, members)] > 0)
    level = shortest_path(sub, method="D", unweighted=True, indices=0).astype(np.int64)
    return [members[level % d == k].tolist() for k in range(d)]


MfptRequest = Union[str, bool, Sequence[Union[int, str]], None]


def _mfpt_targets(request: MfptRequest, names: list[str]) -> list[int] | None:
    """The target columns asked for as state indices or names, or None when the request is not a list."""
    if request is None or isinstance(request, (str, bool)):
        return None
    field = "mean_first_passage"
    if not isinstance(request, (list, tuple)) or not request:
        raise SpecError('must be "auto", true, false or a non-empty list of target states', field)
    where = {name: i for i, name in enumerate(names)}
    out = []
    for k, t in enumerate(request):
        if isinstance(t, str):
            if t not in where:
                raise SpecError(f"unknown state {t!r}", f"{field}[{k}]")
            out.append(where[t])
        elif isinstance(t, (int, np.integer)) and not isinstance(t, bool) and 0 <= t < len(names):
            out.append(int(t))
        else:
            raise SpecError(f"must be a state name or an index in 0..{len(names) - 1}", f"{field}[{k}]")
    if len(set(out)) != len(out):
        raise SpecError("a target state is repeated", field)
    return out


def _mean_first_passage_block(A: np.ndarray, pi: np.ndarray | None, request: MfptRequest, names: list[str],
                              limits: Limits) -> dict[str, Any]:
    """The response's mean_first_passage fields: the matrix, target columns, or null with the reason why."""
    n = A.shape[0]
    field = "mean_first_passage"
    request = "auto" if request is None else request
    if isinstance(request, str) and request != "auto":
        raise SpecError('must be "auto", true, false or a list of target states', field)
    targets = _mfpt_targets(request, names)
    out: dict[str, Any] = {"mean_first_passage": None, "mean_first_passage_columns": None,
                           "mean_first_passage_note": None}
    if targets is not None:
        if n * len(targets) > limits.max_mfpt_values:
            raise LimitExceeded(field, "max_mfpt_values", limits.max_mfpt_values, n * len(targets))
    elif request is True and n * n > limits.max_mfpt_values:
        raise LimitExceeded(field, "max_mfpt_values", limits.max_mfpt_values, n * n)
    if request is False:
        out["mean_first_passage_note"] = "not requested (mean_first_passage: false)"
        return out
    if pi is None:
        out["mean_first_passage_note"] = ("the chain is reducible: some states never reach others (infinite "
                                          "times); mean first passage times are given for irreducible chains")
        return out
    if targets is not None:
        cols = mean_first_passage_columns(A, targets, pi)
        out["mean_first_passage_columns"] = {"targets": targets, "times": json_floats(cols.T)}
        out["mean_first_passage_note"] = "given by target column in mean_first_passage_columns"
        return out
    if n * n > limits.max_mfpt_values:
        out["mean_first_passage_note"] = (f"omitted: the matrix has {n * n} entries, above max_mfpt_values="
                                          f"{limits.max_mfpt_values}; ask for target columns with "
                                          '"mean_first_passage": [j, ...]')
        return out
    M = mean_first_passage_times(A, pi)
    out["mean_first_passage"] = json_floats(M)
    if not np.isfinite(M).all():
        out["mean_first_passage_note"] = "null entries exceed the double-precision range"
    return out


def analyze_markov_chain(P: Any, initial: Any = None, steps: int = 50, states: Sequence[str] | None = None,
                         limits: Limits = DEFAULT_LIMITS, mean_first_passage: MfptRequest = "auto"
                         ) -> dict[str, Any]:
    """The full analysis of a finite chain, as the JSON response of POST /v1/markov-chains/analyze.

    `period` is the period of the chain: for an irreducible chain its period, otherwise the least common
    multiple of the recurrent classes' periods (1 exactly when every recurrent class is aperiodic, i.e.
    when pi_t converges from every start). `kl_to_stationary` and `total_variation` compare pi_t with the
    unique stationary law (None when it is not unique); a KL entry is None when infinite (pi_t charges a
    transient state). `relaxation_time` is None when the spectral gap is 0. `mean_first_passage` is "auto"
    (the matrix when it has at most max_mfpt_values entries), True, False, or a list of target states.
    """
    with one_blas_thread():
        return _analyze_markov_chain(P, initial, steps, states, limits, mean_first_passage)


def _analyze_markov_chain(P: Any, initial: Any, steps: int, states: Sequence[str] | None, limits: Limits,
                          mean_first_passage: MfptRequest) -> dict[str, Any]:
    """`analyze_markov_chain` itself (run with one BLAS thread)."""
    A = validate_transition_matrix(P, limits)
    n = A.shape[0]
    steps = validate_steps(steps, limits)
    if n * (steps + 1) > limits.max_markov_evolution_values:
        raise LimitExceeded("steps", "max_markov_evolution_values", limits.max_markov_evolution_values,
                            n * (steps + 1))
    pi0 = validate_initial(initial, n)
    names = validate_states(states, n)

    classes, closed = communication_classes(A)
    recurrent = [c for c, is_closed in zip(classes, closed) if is_closed]
    periods = [class_period(A, c) for c in recurrent]
    period = reduce(lambda a, b: a * b // math.gcd(a, b), periods, 1)

    stationary_laws = []
    for members in recurrent:
        law = np.zeros(n)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            law[members] = gth_stationary(A[np.ix_(members, members)])
        if not np.isfinite(law).all():
            raise SpecError("the stationary law is not representable in double precision: its ratios exceed "
                            f"1e308 in the recurrent class of state {int(members[0])} (transition probabilities "
                            "near the smallest doubles)", "transition_matrix")
        stationary_laws.append(law)
    unique = stationary_laws[0] if len(stationary_laws) == 1 else None
    irreducible = len(classes) == 1
    mfpt = _mean_first_passage_block(A, unique if irreducible else None, mean_first_passage, names, limits)

    evolution = evolve_law(A, pi0, steps)
    if unique is not None:
        kl = json_floats(kl_divergence_rows(evolution, unique))
        tv = json_floats(total_variation_rows(evolution, unique))
    else:
        kl = tv = None

    lam2 = second_largest_modulus(A)
    gap = max(1.0 - lam2, 0.0) if lam2 is not None else None
    relaxation = 1.0 / gap if gap is not None and gap > 1e-14 else None
    gap_note = None if gap is not None else (
        f"unknown: ARPACK did not converge (eigenvalues clustered near the unit circle) and the dense "
        f"eigensolver is not run above {DENSE_EIGEN_FALLBACK_MAX_STATES} states")

    return {
        "states": names,
        "stationary": json_floats(unique) if unique is not None else None,
        "stationary_distributions": [json_floats(law) for law in stationary_laws],
        "irreducible": irreducible,
        "aperiodic": period == 1,
        "period": int(period),
        "communication_classes": [c.tolist() for c in classes],
        "recurrent_classes": [c.tolist() for c in recurrent],
        "recurrent_class_periods": periods,
        "cyclic_classes": [cyclic_classes(A, c) for c in recurrent],
        "evolution": json_floats(evolution),
        "kl_to_stationary": kl,
        "total_variation": tv,
        "spectral_gap": finite_or_none(gap) if gap is not None else None,
        "spectral_gap_note": gap_note,
        "relaxation_time": finite_or_none(relaxation) if relaxation is not None else None,
        **mfpt,
    }
