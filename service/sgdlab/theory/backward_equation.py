"""Backward (Kolmogorov) equations of the Langevin model on grids: 1-D log-scaled quadrature, 2-D sparse solves.

The grid generator is the square-root approximation (SqRA): a jump process between neighbouring nodes with rates
k_ij = (T / h^2) exp(-(L_j - L_i) / (2T)). It is consistent with T Δu - ∇L·∇u, keeps detailed balance with the
Gibbs law exp(-L/T) exactly, is an M-matrix at every temperature, and has reflecting (Neumann) box edges built in.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

_MAX_EXPONENT = 700.0


def log_trapezoid_pieces(log_f: np.ndarray, step: float) -> np.ndarray:
    """log of each trapezoid piece h/2 (f_k + f_{k+1}) from the log of f on an equally spaced grid."""
    return np.log(0.5 * step) + np.logaddexp(log_f[:-1], log_f[1:])


def log_cumulative_trapezoid(log_f: np.ndarray, step: float) -> np.ndarray:
    """log of the cumulative trapezoid integral of exp(log_f) from the first node (-inf at the first node)."""
    out = np.empty_like(log_f)
    out[0] = -np.inf
    out[1:] = np.logaddexp.accumulate(log_trapezoid_pieces(log_f, step))
    return out


def sqra_generator(values: np.ndarray, steps: Sequence[float], temperature: float) -> sp.csr_matrix:
    """Generator (rows sum to 0) of the SqRA jump process on a tensor grid of loss values, flattened row-major."""
    shape = values.shape
    n = values.size
    flat = np.arange(n).reshape(shape)
    rows, cols, rates = [], [], []
    for axis, h in enumerate(steps):
        lo = [slice(None)] * len(shape)
        hi = [slice(None)] * len(shape)
        lo[axis], hi[axis] = slice(None, -1), slice(1, None)
        i, j = flat[tuple(lo)].ravel(), flat[tuple(hi)].ravel()
        dl = (values[tuple(hi)] - values[tuple(lo)]).ravel() / (2.0 * temperature)
        dl = np.clip(dl, -_MAX_EXPONENT, _MAX_EXPONENT)
        c = temperature / h ** 2
        rows += [i, j]
        cols += [j, i]
        rates += [c * np.exp(-dl), c * np.exp(dl)]
    r, c_, k = np.concatenate(rows), np.concatenate(cols), np.concatenate(rates)
    q = sp.coo_matrix((k, (r, c_)), shape=(n, n)).tocsr()
    return (q - sp.diags(np.asarray(q.sum(axis=1)).ravel())).tocsr()


def solve_dirichlet(generator: sp.csr_matrix, fixed: np.ndarray, fixed_values: np.ndarray,
                    source: float | np.ndarray) -> np.ndarray:
    """Solve (Q u)_i = -source_i on free nodes with u = fixed_values on the fixed nodes; returns u (flat)."""
    free = ~fixed
    if not free.any():
        return np.asarray(fixed_values, dtype=float).copy()
    u = np.zeros(generator.shape[0])
    u[fixed] = fixed_values[fixed] if np.ndim(fixed_values) else fixed_values
    q_ff = generator[free][:, free].tocsc()
    rhs = -np.broadcast_to(np.asarray(source, dtype=float), u.shape)[free] - generator[free][:, fixed] @ u[fixed]
    u[free] = spsolve(q_ff, rhs)
    return u


def _jump_chain_2d(values: np.ndarray, steps: Sequence[float], temperature: float
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The SqRA jump process as its embedded chain: p[i, j, k] to neighbour k (x-1, x+1, y-1, y+1) and the mean
    holding time at each node, from log rates normalised by log-sum-exp (no overflow, nothing subtracted)."""
    v = np.asarray(values, dtype=float)
    finite = np.isfinite(v)
    if not finite.all():  # a wall: a node the process almost never enters
        v = np.where(finite, v, (v[finite].max() if finite.any() else 0.0) + 2 * _MAX_EXPONENT * temperature)
    nx, ny = v.shape
    log_rate = np.full((nx, ny, 4), -np.inf)
    cx, cy = (np.log(temperature / h ** 2) for h in steps)
    scale = 2.0 * temperature
    log_rate[1:, :, 0] = cx - (v[:-1, :] - v[1:, :]) / scale
    log_rate[:-1, :, 1] = cx - (v[1:, :] - v[:-1, :]) / scale
    log_rate[:, 1:, 2] = cy - (v[:, :-1] - v[:, 1:]) / scale
    log_rate[:, :-1, 3] = cy - (v[:, 1:] - v[:, :-1]) / scale
    top = log_rate.max(axis=2, keepdims=True)
    total = top[..., 0] + np.log(np.exp(log_rate - top).sum(axis=2))
    return np.exp(log_rate - total[..., None]), np.exp(-total)


def mean_exit_time_grid_2d(values: np.ndarray, steps: Sequence[float], temperature: float,
                           target: np.ndarray) -> np.ndarray:
    """E[time to reach a target node] from every node of the 2-D SqRA process (0 on the target), no subtraction.

    Block GTH elimination along the first axis: each line of nodes is censored into the next (a dense
    `absorption_solve` of one line, the lines above already folded in), then one back substitution. Every
    quantity is a sum of products of transition probabilities and holding times, so the times keep their
    relative accuracy however large the barrier: at beta * dL = 60 the rates span e^30 and a sparse LU of
    the generator loses every digit. O(nx ny^3). Entries beyond double precision are inf.
    """
    from sgdlab.theory.markov_chains import absorption_solve, one_blas_thread

    p, hold = _jump_chain_2d(values, steps, temperature)
    nx, ny = p.shape[:2]
    target = np.asarray(target, dtype=bool).reshape(nx, ny)
    free = [np.flatnonzero(~target[r]) for r in range(nx)]
    solved: list[tuple[np.ndarray, np.ndarray]] = []
    carry_q = carry_e = carry_c = None
    with one_blas_thread(), np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for r in range(nx):
            f = free[r]
            m = len(f)
            Q = np.zeros((ny, ny))
            j = np.arange(ny)
            Q[j[1:], j[:-1]] = p[r, 1:, 2]
            Q[j[:-1], j[1:]] = p[r, :-1, 3]
            exits = (Q[:, target[r]].sum(axis=1) + (p[r, :, 0] * target[r - 1] if r > 0 else 0.0)
                     + (p[r, :, 1] * target[r + 1] if r + 1 < nx else 0.0))[f]
            Q = Q[np.ix_(f, f)]
            cost = hold[r, f].copy()
            if carry_q is not None:
                Q += carry_q
                exits = exits + carry_e
                cost += carry_c
            nxt = free[r + 1] if r + 1 < nx else np.zeros(0, dtype=np.int64)
            forward = np.zeros((m, len(nxt)))
            if r + 1 < nx:  # straight up: node (r, j) -> (r + 1, j) when that one is free
                col = np.full(ny, -1)
                col[nxt] = np.arange(len(nxt))
                rows = np.flatnonzero(col[f] >= 0)
                forward[rows, col[f[rows]]] = p[r, f[rows], 1]
            X = absorption_solve(Q, np.column_stack([forward, exits, cost]), len(nxt) + 1)
            to_next, time_here = X[:, :len(nxt)], X[:, -1]
            solved.append((to_next, time_here))
            if r + 1 < nx:  # censor line r into line r + 1: its moves down land in line r, now eliminated
                back = np.zeros((len(nxt), m))
                col = np.full(ny, -1)
                col[f] = np.arange(m)
                rows = np.flatnonzero(col[nxt] >= 0)
                back[rows, col[nxt[rows]]] = p[r + 1, nxt[rows], 0]
                carry_q, carry_e, carry_c = back @ to_next, back @ X[:, len(nxt)], back @ time_here
        tau = np.zeros((nx, ny))
        below = np.zeros(0)
        for r in range(nx - 1, -1, -1):
            to_next, time_here = solved[r]
            line = time_here + (to_next @ below if below.size else 0.0)
            tau[r, free[r]] = line
            below = line
    return tau
