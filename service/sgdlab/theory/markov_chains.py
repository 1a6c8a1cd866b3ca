"""Finite Markov chains: classes, periods, stationary laws (GTH), evolution, mixing and mean first passage times.

`analyze_markov_chain` answers POST /v1/markov-chains/analyze (see docs/API.md). Conventions: P[i, j] is the
probability of moving from state i to state j (rows sum to 1); laws are row vectors, pi_{t+1} = P^T pi_t.
"""

from __future__ import annotations

import math
from functools import reduce
from typing import Any, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, shortest_path

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

GTH_BLOCK = 64
"""States eliminated per block in the GTH elimination (one matrix product per block)."""


# ----------------------------------------------------------------------------------------------- validation


def validate_transition_matrix(P: Any, limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """The transition matrix as a float (n, n) array, or a SpecError naming the offending entry or row."""
    field = "transition_matrix"
    if isinstance(P, np.ndarray):
        if P.ndim != 2:
            raise SpecError("must be a square matrix (a list of rows)", field)
        rows = list(P)
    elif isinstance(P, (list, tuple)):
        rows = list(P)
    else:
        raise SpecError("must be a square matrix (a list of rows)", field)
    n = len(rows)
    if n == 0:
        raise SpecError("must have at least one state", field)
    if n > limits.max_markov_states:
        raise LimitExceeded(field, "max_markov_states", limits.max_markov_states, n)
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


def second_largest_modulus(P: np.ndarray) -> float:
    """The second largest |eigenvalue| of P (0 for one state): dense up to DENSE_EIGEN_MAX_STATES, else ARPACK.

    ARPACK (k=2, largest modulus, relative tolerance 1e-8) falls back to the dense solver if it fails.
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
        moduli = np.sort(np.abs(np.linalg.eigvals(P)))[::-1]
    return float(min(moduli[1], 1.0))


def mean_first_passage_times(P: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """m_ij, the expected steps to first reach j from i (m_ii the mean return time 1/pi_i), irreducible chains.

    From the fundamental matrix Z = (I - P + 1 pi^T)^{-1}: m_ij = (z_jj - z_ij) / pi_j for i != j.
    """
    n = P.shape[0]
    Z = np.linalg.inv(np.eye(n) - P + np.outer(np.ones(n), pi))
    M = (np.diag(Z)[None, :] - Z) / pi[None, :]
    M[np.diag_indices(n)] = 1.0 / pi
    return M


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


def analyze_markov_chain(P: Any, initial: Any = None, steps: int = 50, states: Sequence[str] | None = None,
                         limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """The full analysis of a finite chain, as the JSON response of POST /v1/markov-chains/analyze.

    `period` is the period of the chain: for an irreducible chain its period, otherwise the least common
    multiple of the recurrent classes' periods (1 exactly when every recurrent class is aperiodic, i.e.
    when pi_t converges from every start). `kl_to_stationary` and `total_variation` compare pi_t with the
    unique stationary law (None when it is not unique); a KL entry is None when infinite (pi_t charges a
    transient state). `relaxation_time` is None when the spectral gap is 0.
    """
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
        law[members] = gth_stationary(A[np.ix_(members, members)])
        stationary_laws.append(law)
    unique = stationary_laws[0] if len(stationary_laws) == 1 else None
    irreducible = len(classes) == 1

    evolution = evolve_law(A, pi0, steps)
    if unique is not None:
        kl = json_floats(kl_divergence_rows(evolution, unique))
        tv = json_floats(total_variation_rows(evolution, unique))
    else:
        kl = tv = None

    gap = 1.0 - second_largest_modulus(A)
    gap = max(gap, 0.0)
    relaxation = 1.0 / gap if gap > 1e-14 else None
    mfpt = json_floats(mean_first_passage_times(A, unique)) if irreducible else None

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
        "evolution": json_floats(evolution),
        "kl_to_stationary": kl,
        "total_variation": tv,
        "spectral_gap": finite_or_none(gap),
        "relaxation_time": finite_or_none(relaxation) if relaxation is not None else None,
        "mean_first_passage": mfpt,
    }
