"""The gradient noise a job's dynamics inject: Sigma(w), the temperature matrix lr Sigma / (2B), per method.

SGD's kernel from w is Gaussian with mean w - lr grad L(w) and covariance (lr^2/B) Sigma(w) (the lecture's
Markov kernel). Sigma depends on the method that ran:
- isotropic Langevin: Sigma = I;
- gradient descent: no noise (kind "none");
- gradient_covariance Langevin and minibatch_sgd: the per-sample gradient covariance of the finite sum,
  (1/n) sum_i (g_i - g)(g_i - g)^T (population normalisation), times (n - B)/(n - 1) for minibatch_sgd
  without replacement (sampling a batch from a finite population).
The diffusion matrix of the continuous limit (time = lr x steps) is D(w) = lr Sigma(w) / (2B): the
"temperature matrix"; for isotropic noise it is T I with T = lr/(2B).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.landscapes.base import FiniteSumLandscape, Landscape

ROW_CHUNK = 1 << 20  # points x data rows of per-sample gradients held at once


@dataclass(frozen=True)
class NoiseModel:
    """The noise of one dynamics at one learning rate: kind, lr, B and the finite-population factor."""

    kind: str                      # "isotropic" | "gradient_covariance" | "minibatch" | "none"
    lr: float
    batch_size: int
    factor: float = 1.0            # (n - B)/(n - 1) for minibatch_sgd without replacement, else 1
    epoch_steps: int = 0           # n // B steps per epoch of epoch-wise shuffles (0 with replacement)
    n_samples: int = 0             # data rows of a finite sum (0 otherwise)

    @property
    def correlated(self) -> bool:
        """True for epoch-wise shuffles with at least 2 batches per epoch: the steps' noises are not independent."""
        return self.epoch_steps >= 2

    @property
    def state_dependent(self) -> bool:
        """True when Sigma varies with w (data noise)."""
        return self.kind in ("gradient_covariance", "minibatch")

    @property
    def scale(self) -> float:
        """lr / (2B): the diffusion matrix is scale * Sigma."""
        return self.lr / (2.0 * self.batch_size)

    def covariance(self, landscape: Landscape, w: np.ndarray) -> np.ndarray:
        """Sigma at each row of w (n, d) -> (n, d, d), the finite-population factor included."""
        w = np.atleast_2d(np.asarray(w, dtype=float))
        n, d = w.shape
        if self.kind == "none":
            return np.zeros((n, d, d))
        if self.kind == "isotropic":
            return np.broadcast_to(np.eye(d), (n, d, d)).copy()
        return self.factor * gradient_covariance(landscape, w)

    def diffusion(self, landscape: Landscape, w: np.ndarray) -> np.ndarray:
        """The temperature (diffusion) matrix lr Sigma(w) / (2B) at each row: (n, d) -> (n, d, d)."""
        return self.scale * self.covariance(landscape, w)


def per_sample_moments(landscape: FiniteSumLandscape, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean gradient (n, d), population covariance of the per-sample gradients (n, d, d)) at the rows of w."""
    w = np.atleast_2d(np.asarray(w, dtype=float))
    n, d = w.shape
    rows = landscape.n_samples
    mean = np.empty((n, d))
    cov = np.empty((n, d, d))
    step = max(1, ROW_CHUNK // max(rows * d, 1))
    idx_all = np.arange(rows)
    for s in range(0, n, step):
        e = min(n, s + step)
        g = landscape.sample_grad(w[s:e], np.broadcast_to(idx_all, (e - s, rows)))   # (c, rows, d)
        m = g.mean(axis=1)
        g -= m[:, None, :]
        mean[s:e] = m
        cov[s:e] = np.einsum("cki,ckj->cij", g, g) / rows
    return mean, cov


def per_sample_excess_kurtosis(landscape: FiniteSumLandscape, w: np.ndarray) -> float | None:
    """Excess kurtosis E[z^4]/E[z^2]^2 - 3 of the per-sample gradient deviations z along Sigma's top eigenvector at
    the point w (0 for Gaussian noise); None where the noise vanishes."""
    rows = landscape.n_samples
    x = np.asarray(w, dtype=float).reshape(1, -1)
    g = landscape.sample_grad(x, np.arange(rows)[None, :])[0]          # (rows, d)
    g = g - g.mean(axis=0)
    vals, vecs = np.linalg.eigh(g.T @ g / rows)
    z = g @ vecs[:, -1]
    m2 = float(np.mean(z ** 2))
    return float(np.mean(z ** 4)) / m2 ** 2 - 3.0 if m2 > 0 else None


def gradient_covariance(landscape: Landscape, w: np.ndarray) -> np.ndarray:
    """Per-sample gradient covariance Sigma(w) of a finite sum (population normalisation): (n, d) -> (n, d, d)."""
    if not isinstance(landscape, FiniteSumLandscape):
        raise TypeError("the gradient covariance needs a finite-sum landscape")
    return per_sample_moments(landscape, w)[1]


def noise_model(dynamics: Any, landscape: Landscape, lr: float) -> NoiseModel:
    """The NoiseModel of a DynamicsSpec at learning rate lr (the last step's lr for a schedule)."""
    b = int(dynamics.batch_size)
    if dynamics.method == "gradient_descent":
        return NoiseModel("none", float(lr), b)
    if dynamics.method == "minibatch_sgd":
        n = landscape.n_samples
        shuffled = not dynamics.replacement and n > 1
        factor = (n - b) / (n - 1) if shuffled else 1.0
        return NoiseModel("minibatch", float(lr), b, factor, n // b if shuffled else 0, n)
    if dynamics.noise == "gradient_covariance":
        return NoiseModel("gradient_covariance", float(lr), b)
    return NoiseModel("isotropic", float(lr), b)


def _matrix(a: np.ndarray) -> list[list[float]]:
    return [[float(x) for x in row] for row in np.atleast_2d(a)]


def hessian_alignment(sigma: np.ndarray, hessian: np.ndarray) -> dict[str, float | None]:
    """How close Sigma is to the Hessian: tr(Sigma)/tr(H) and the cosine <Sigma, H>_F / (|Sigma|_F |H|_F)."""
    tr_h = float(np.trace(hessian))
    norms = float(np.linalg.norm(sigma) * np.linalg.norm(hessian))
    return {"trace_ratio": float(np.trace(sigma)) / tr_h if tr_h != 0 else None,
            "cosine": float(np.sum(sigma * hessian)) / norms if norms > 0 else None}


def noise_block(model: NoiseModel, landscape: Landscape, analysis: Any) -> dict[str, Any]:
    """API.md's `noise` block: Sigma, the temperature matrix and its mean eigenvalue at every minimum and saddle,
    and Sigma's alignment with the Hessian at the minima."""
    points = [m.location for m in analysis.minima] + [s.location for s in analysis.saddles]
    d = landscape.dim
    if points:
        w = np.asarray(points, dtype=float).reshape(-1, d)
        sig = model.covariance(landscape, w)
        hess = landscape.hessian(w[: len(analysis.minima)]) if analysis.minima else np.empty((0, d, d))
    minima, saddles = [], []
    for k, m in enumerate(analysis.minima):
        temp = model.scale * sig[k]
        minima.append({"index": m.index, "location": [float(x) for x in np.atleast_1d(m.location)],
                       "covariance": _matrix(sig[k]), "temperature": _matrix(temp),
                       "temperature_scalar": float(np.trace(temp)) / d,
                       "hessian_alignment": hessian_alignment(sig[k], hess[k])})
    for j, s in enumerate(analysis.saddles):
        k = len(analysis.minima) + j
        temp = model.scale * sig[k]
        saddles.append({"location": [float(x) for x in np.atleast_1d(s.location)], "covariance": _matrix(sig[k]),
                        "temperature": _matrix(temp), "temperature_scalar": float(np.trace(temp)) / d})
    out: dict[str, Any] = {"kind": model.kind, "lr": model.lr, "batch_size": model.batch_size,
                           "minima": minima, "saddles": saddles}
    if model.kind == "minibatch":
        out["finite_population_factor"] = model.factor
    return out


def sigma_variation(model: NoiseModel, landscape: Landscape, analysis: Any, probes: int = 9) -> float:
    """max |Sigma(w) - Sigma(w0)|_F / |Sigma(w0)|_F over the critical points and `probes` points along the box's
    diagonal: 0 for constant noise."""
    lo = np.array([r[0] for r in analysis.range], dtype=float)
    hi = np.array([r[1] for r in analysis.range], dtype=float)
    pts = [lo + (hi - lo) * f for f in np.linspace(0.05, 0.95, probes)]
    pts += [m.location for m in analysis.minima] + [s.location for s in analysis.saddles]
    sig = model.covariance(landscape, np.asarray(pts, dtype=float).reshape(len(pts), -1))
    ref = float(np.linalg.norm(sig[0]))
    spread = float(np.max(np.linalg.norm(sig - sig[0], axis=(1, 2))))
    return spread / ref if ref > 0 else (0.0 if spread == 0 else float("inf"))


def deepest_minimum(analysis: Any) -> int | None:
    """Index of the lowest minimum, or None without minima."""
    if not analysis.minima:
        return None
    return int(min(analysis.minima, key=lambda m: m.loss).index)


def scalar_temperature_at(block: dict[str, Any], index: int) -> float:
    """The noise block's scalar temperature at minimum `index`."""
    return float(next(m["temperature_scalar"] for m in block["minima"] if m["index"] == index))


CORRELATED_NOTE = ("assumes independent steps (a Markov kernel): with epoch-wise shuffles (replacement false) the "
                   "noises of one epoch's steps sum to about zero and are negatively correlated, so this does not "
                   "hold (validity: correlated_noise)")


def correlated_note(model: NoiseModel) -> str | None:
    """The note on every Markov-kernel number (stationary, gibbs, exit times) when the steps' noises correlate."""
    return CORRELATED_NOTE if model.correlated else None
