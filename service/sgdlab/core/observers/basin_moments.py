"""Per-basin moments of the final positions, about each minimum: what the local (Lyapunov) laws are checked against.

For each basin k and y = w - m_k (m_k the minimum), the mergeable sums n, sum y_i, sum y_i y_j, sum y_i^2 y_j and
sum y_i^2 y_j^2: enough for the sample covariance and the standard error of each of its entries."""

from __future__ import annotations

import numpy as np

from .divergence import diverged_rows


class BasinMoments:
    """Moment sums of the final positions of the particles in each basin, fed with the basin labels the basin
    observer computed (labelling can be costly above 2-D: it is done once); diverged particles are left out."""

    def __init__(self, minima: np.ndarray):
        self.minima = np.asarray(minima, dtype=float)
        k, d = self.minima.shape
        self.n = np.zeros(k, dtype=np.int64)
        self.s1 = np.zeros((k, d))
        self.s2 = np.zeros((k, d, d))
        self.s3 = np.zeros((k, d, d))
        self.s4 = np.zeros((k, d, d))

    def add(self, w: np.ndarray, labels: np.ndarray) -> None:
        """Accumulate the rows of w with their basin labels (-1: none)."""
        labels = np.where(diverged_rows(w), -1, labels)
        for k in np.unique(labels[labels >= 0]):
            y = w[labels == k] - self.minima[k]
            y2 = y * y
            self.n[k] += len(y)
            self.s1[k] += y.sum(axis=0)
            self.s2[k] += y.T @ y
            self.s3[k] += y2.T @ y
            self.s4[k] += y2.T @ y2

    def state(self) -> dict:
        """The sums, keyed `moments_*` (they merge by addition like the basin counts)."""
        return {"moments_n": self.n, "moments_s1": self.s1, "moments_s2": self.s2, "moments_s3": self.s3,
                "moments_s4": self.s4}


def moments_of(merged: dict) -> dict | None:
    """The merged moment sums of a basin observer's state ({n, s1, s2, s3, s4}), or None when not recorded."""
    if "moments_n" not in merged:
        return None
    return {k: merged["moments_" + k] for k in ("n", "s1", "s2", "s3", "s4")}


def covariance_with_stderr(n: int, s1: np.ndarray, s2: np.ndarray, s3: np.ndarray, s4: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray] | None:
    """Sample covariance (unbiased, 1/(n-1)) and the delta-method standard error of each entry,
    Var(S_ij) ~ (E[(a - m_a)^2 (b - m_b)^2] - S_ij^2) / n, from the moment sums of one basin (None when n < 2)."""
    if n < 2:
        return None
    m = s1 / n
    e2 = s2 / n                       # E[a b]
    e3 = s3 / n                       # E[a^2 b]
    e4 = s4 / n                       # E[a^2 b^2]
    cov = e2 - np.outer(m, m)
    da = np.diag(e2)                  # E[a^2]
    ma, mb = m[:, None], m[None, :]
    # E[(a-ma)^2 (b-mb)^2] expanded in raw moments (a = y_i, b = y_j)
    central4 = (e4 - 2 * mb * e3 - 2 * ma * e3.T + mb ** 2 * da[:, None] + ma ** 2 * da[None, :]
                + 4 * ma * mb * e2 - 3 * ma ** 2 * mb ** 2)
    var = np.maximum(central4 - cov ** 2, 0.0) / n
    return cov * n / (n - 1), np.sqrt(var)
