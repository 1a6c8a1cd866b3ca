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
