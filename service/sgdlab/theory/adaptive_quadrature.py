"""Vectorised adaptive Gauss-Legendre quadrature of exp(log f) over many groups of intervals at once.

Each round evaluates log f at the nodes of every unfinished interval in one call (one pass of a vectorised
loss), so a thousand histogram bins cost a few calls, not a thousand. Every group has its own reference
(subtracted in log space), so integrals that differ by e^-700 are each computed to full relative accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

NODES = 10
_X, _W = np.polynomial.legendre.leggauss(NODES)
MAX_ROUNDS = 60
"""Bisection rounds at most (an interval shrinks by 2^-60 of its group's length)."""
ROUNDING = 64 * np.finfo(float).eps
"""Relative rounding of exp(log f - shift) per unit of |shift| (a floor below which intervals are accepted)."""
MAX_EVALUATIONS = 2_000_000
"""Evaluations of log f at most in one call, whatever the caller allows (bounds time and memory)."""


@dataclass
class GroupIntegrals:
    """log of each group's integral, an estimate of its relative error, and the number of evaluations."""

    log_integral: np.ndarray
    relative_error: np.ndarray
    evaluations: int


def _gauss(log_f: Callable[[np.ndarray], np.ndarray], a: np.ndarray, b: np.ndarray,
           shift: np.ndarray) -> np.ndarray:
    """10-point Gauss-Legendre integral of exp(log_f - shift) on each [a, b] (one vectorised call)."""
    half = 0.5 * (b - a)
    x = (0.5 * (a + b))[:, None] + half[:, None] * _X[None, :]
    lf = np.asarray(log_f(x.ravel()), dtype=float).reshape(x.shape)
    lf = np.where(np.isnan(lf), -np.inf, lf)
    with np.errstate(over="ignore"):
        return half * (np.exp(np.minimum(lf - shift[:, None], 700.0)) @ _W)


def integrate_groups(log_f: Callable[[np.ndarray], np.ndarray], a: np.ndarray, b: np.ndarray, group: np.ndarray,
                     shift: np.ndarray, rtol: float = 1e-13, max_evaluations: int | None = None) -> GroupIntegrals:
    """log ∫ exp(log_f) over the union of intervals [a_i, b_i] of each group g (group[i] = g).

    `shift[g]` is subtracted from log_f inside group g (choose the group's maximum of log_f, so the integrand
    peaks near 1). An interval is accepted when its 10-point rule and the sum over its two halves agree within
    rtol x (group total) x (its share of the group's length), or rtol (or the rounding floor) of its own value;
    otherwise its halves go to the next round. The
    reported error is the sum of |halves - whole| over the accepted intervals (and the whole of any left
    unfinished when `max_evaluations` runs out) relative to the group's integral.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    group = np.asarray(group, dtype=np.int64)
    shift = np.asarray(shift, dtype=float)
    n_groups = len(shift)
    length = np.bincount(group, weights=b - a, minlength=n_groups)
    whole = _gauss(log_f, a, b, shift[group])
    evaluations = NODES * len(a)
    accepted = np.zeros(n_groups)
    error = np.zeros(n_groups)
    for _ in range(MAX_ROUNDS):
        if len(a) == 0:
            break
        mid = 0.5 * (a + b)
        left = _gauss(log_f, a, mid, shift[group])
        right = _gauss(log_f, mid, b, shift[group])
        evaluations += 2 * NODES * len(a)
        halves = left + right
        diff = np.abs(halves - whole)
        total = accepted + np.bincount(group, weights=halves, minlength=n_groups)
        share = (b - a) / np.where(length[group] > 0, length[group], 1.0)
        # accurate for its share of the group, or to rtol of itself, or down to the rounding of exp(log f)
        # (log f is known to ~eps |log f|, so f to ~eps |shift| relative: no rule can do better)
        floor = np.maximum(rtol, ROUNDING * (1.0 + np.abs(shift[group]))) * np.abs(halves)
        done = (diff <= np.maximum(rtol * total[group] * share, floor)) | (halves == 0) | \
            ((b - a) <= 1e-15 * np.abs(mid))
        accepted += np.bincount(group[done], weights=halves[done], minlength=n_groups)
        error += np.bincount(group[done], weights=diff[done], minlength=n_groups)
        keep = ~done
        a, b, group = np.concatenate([a[keep], mid[keep]]), np.concatenate([mid[keep], b[keep]]), \
            np.concatenate([group[keep], group[keep]])
        whole = np.concatenate([left[keep], right[keep]])
        cap = MAX_EVALUATIONS if max_evaluations is None else min(max_evaluations, MAX_EVALUATIONS)
        if evaluations + 2 * NODES * len(a) > cap:
            break
    if len(a):  # unfinished: count their best value and charge all of it as error
        accepted += np.bincount(group, weights=whole, minlength=n_groups)
        error += np.bincount(group, weights=whole, minlength=n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_integral = np.log(accepted) + shift
        relative = np.where(accepted > 0, error / accepted, 0.0)
    return GroupIntegrals(log_integral, relative, evaluations)
