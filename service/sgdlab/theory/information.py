"""Divergences between discrete probability laws (KL, total variation) and JSON-safe number helpers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


SERIES_BELOW = 1e-4
"""|p/q - 1| below which f(r) = r log r - r + 1 is summed from its Taylor series (no cancellation)."""


def _relative_entropy_terms(u: np.ndarray) -> np.ndarray:
    """f(1 + u) = (1 + u) log(1 + u) - u >= 0 for u >= -1, accurate also for tiny |u|."""
    small = np.abs(u) < SERIES_BELOW
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        direct = np.where(u > -1.0, (1.0 + u) * np.log1p(u) - u, 1.0)
        series = u * u * (0.5 - u * (1.0 / 6.0 - u / 12.0))
    return np.maximum(np.where(small, series, direct), 0.0)


def kl_divergence_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """KL(p_t || q) for each row p_t of a (T, n) array against one law q (n,): (T,), inf where p_t leaks.

    Computed as sum_i q_i f(p_i / q_i), f(r) = r log r - r + 1 (equal to KL for normalised laws), whose
    terms are all non-negative: no cancellation when p is close to q. Where p >= 2q the term is evaluated as
    p (log p - log q) - p + q, which cannot overflow even when q is subnormal.
    """
    p = np.atleast_2d(np.asarray(p, dtype=float))
    q = np.asarray(q, dtype=float).ravel()
    pos = q > 0
    qp = q[pos]
    pp = p[:, pos]
    big = pp >= 2.0 * qp
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        u = np.where(big, 0.0, (pp - qp) / qp)
        far = pp * (np.log(pp) - np.log(qp)) - pp + qp
    terms = np.where(big, far, _relative_entropy_terms(u) * qp)
    out = np.maximum(terms, 0.0).sum(axis=1)
    out[(p[:, ~pos] > 0).any(axis=1)] = math.inf
    return out


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """KL(p || q) = sum p log(p/q) of two probability vectors (any shape, flattened); inf when p leaks off q."""
    return float(kl_divergence_rows(np.asarray(p, dtype=float).ravel()[None, :], q)[0])


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    """Total variation distance sup_A |p(A) - q(A)| = 0.5 sum |p - q| of two probability vectors."""
    return float(0.5 * np.abs(np.asarray(p, dtype=float).ravel() - np.asarray(q, dtype=float).ravel()).sum())


def total_variation_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Total variation of each row of a (T, n) array to one law q (n,): (T,)."""
    return 0.5 * np.abs(np.asarray(p, dtype=float) - np.asarray(q, dtype=float).ravel()).sum(axis=1)


def finite_or_none(x: float) -> float | None:
    """A plain float, or None for nan and +-inf (JSON has neither)."""
    x = float(x)
    return x if math.isfinite(x) else None


def json_floats(a: Any) -> Any:
    """Nested lists of plain floats from an array (or scalar), with None in place of nan and inf."""
    arr = np.asarray(a, dtype=float)
    if arr.ndim == 0:
        return finite_or_none(arr)
    if np.isfinite(arr).all():
        return arr.tolist()
    obj = arr.astype(object)
    obj[~np.isfinite(arr)] = None
    return obj.tolist()
