"""Local laws at each minimum: the discrete-time Lyapunov covariance of the chain linearised there, against the
covariance measured on the particles that ended in that basin.

Linearised at a minimum m with Hessian H, SGD's chain is w' - m = (I - lr H)(w - m) + noise with covariance
(lr^2/B) Sigma(m), whose stationary covariance S solves S = (I - lr H) S (I - lr H)^T + (lr^2/B) Sigma: exact for a
quadratic loss with constant Sigma at any stable lr (no continuous-time limit involved), the leading term
otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg import solve_discrete_lyapunov

from ..core.landscapes.base import Landscape
from ..core.observers.basin_moments import covariance_with_stderr
from .noise import NoiseModel


def lyapunov_covariance(hessian: np.ndarray, sigma: np.ndarray, lr: float, batch_size: int) -> np.ndarray | None:
    """S = A S A^T + (lr^2/B) Sigma with A = I - lr H; None when A has an eigenvalue of modulus >= 1."""
    a = np.eye(len(hessian)) - lr * np.asarray(hessian, dtype=float)
    if np.max(np.abs(np.linalg.eigvals(a))) >= 1.0:
        return None
    s = solve_discrete_lyapunov(a, (lr * lr / batch_size) * np.asarray(sigma, dtype=float))
    return 0.5 * (s + s.T)


HESSIAN_CHUNK = 1 << 21   # per-sample Hessian entries (rows x d x d) held at once
HESSIAN_SPREAD_RTOL = 1e-12
HESSIAN_NOISE_BUDGET = 4e9  # rows x d^4 multiply-adds the batch-Hessian moment may spend per minimum


def hessian_noise_affordable(landscape: Landscape) -> bool:
    """Whether the batch-Hessian moment of a finite sum fits HESSIAN_NOISE_BUDGET."""
    return landscape.n_samples * landscape.dim ** 4 <= HESSIAN_NOISE_BUDGET


def kron_moment(deviations: np.ndarray) -> np.ndarray:
    """mean_i kron(D_i, D_i) of (n, d, d) matrices, as a (d^2, d^2) map on row-major vec(S)."""
    n, d, _ = deviations.shape
    m = deviations.reshape(n, d * d)
    return (m.T @ m / n).reshape(d, d, d, d).transpose(0, 2, 1, 3).reshape(d * d, d * d)


def hessian_noise_moment(landscape: Landscape, model: NoiseModel, location: np.ndarray, hessian: np.ndarray
                         ) -> np.ndarray | None:
    """mean_i kron(H_i - H, H_i - H) over the per-sample Hessians at a point (chunked over rows), for
    minibatch_sgd on a finite sum; None otherwise or when the per-sample Hessians are all equal."""
    if model.kind != "minibatch" or not hessian_noise_affordable(landscape):
        return None
    d, rows = len(hessian), landscape.n_samples
    step = max(1, HESSIAN_CHUNK // (d * d))
    total, spread = np.zeros((d * d, d * d)), 0.0
    for s in range(0, rows, step):
        dev = landscape.sample_hessians(np.asarray(location, dtype=float), slice(s, min(rows, s + step))) - hessian
        spread = max(spread, float(np.abs(dev).max(initial=0.0)))
        total += kron_moment(dev) * len(dev)
    if not spread > HESSIAN_SPREAD_RTOL * max(1.0, float(np.abs(hessian).max())):
        return None
    return total / rows


def second_moment_operator(hessian: np.ndarray, moment: np.ndarray | None, lr: float, batch_size: int,
                           factor: float = 1.0) -> np.ndarray:
    """The linear map of the linearised chain's second moment, S -> E[(I - lr H_b) S (I - lr H_b)^T], on vec(S)
    (row-major): kron(A, A) + lr^2 (factor/B) mean_i kron(H_i - H, H_i - H) (`moment`) with A = I - lr H, since
    the batch Hessian H_b is the mean of B rows (covariance over batches: the rows' covariance / B, times
    (n-B)/(n-1) for disjoint rows)."""
    a = np.eye(len(hessian)) - lr * np.asarray(hessian, dtype=float)
    op = np.kron(a, a)
    if moment is not None:
        op = op + (lr * lr * factor / batch_size) * moment
    return op


def second_moment_radius(hessian: np.ndarray, moment: np.ndarray | None, lr: float, batch_size: int,
                         factor: float = 1.0) -> float:
    """Spectral radius of the second-moment map: >= 1 means the particles' spread grows without bound."""
    op = second_moment_operator(hessian, moment, lr, batch_size, factor)
    return float(np.max(np.abs(np.linalg.eigvals(op))))


def multiplicative_covariance(hessian: np.ndarray, moment: np.ndarray, sigma: np.ndarray, lr: float,
                              batch_size: int, factor: float = 1.0) -> np.ndarray | None:
    """S = E[(I - lr H_b) S (I - lr H_b)^T] + (lr^2/B) Sigma, the linearised chain with the batch Hessian's noise
    (minibatch SGD), solved as a linear system in vec(S); None when the second-moment map is not contracting."""
    op = second_moment_operator(hessian, moment, lr, batch_size, factor)
    if np.max(np.abs(np.linalg.eigvals(op))) >= 1.0:
        return None
    d = len(hessian)
    rhs = ((lr * lr / batch_size) * np.asarray(sigma, dtype=float)).reshape(-1)
    s = np.linalg.solve(np.eye(d * d) - op, rhs).reshape(d, d)
    return 0.5 * (s + s.T)


def epoch_shuffle_covariance(hessian: np.ndarray, sigma_population: np.ndarray, lr: float, batch_size: int,
                             n_samples: int, phase: int = 0) -> np.ndarray | None:
    """Stationary covariance of the linearised chain under epoch-wise shuffles (m = n // B disjoint batches per
    epoch), `phase` steps after an epoch boundary; None when unstable.

    The batch-mean noises of one epoch are exchangeable with Var = (Sigma/B)(n-B)/(n-1) and covariance
    -Sigma/(n-1) between two steps (disjoint batches of one permutation), independent across epochs. Over r steps
    of an epoch the noise adds S_r = sum_j A^j (V - O) A^jT + (sum_j A^j) O (sum_j A^j)^T (times lr^2, A = I - lr H,
    V the variance, O the covariance), so at epoch boundaries C = A^m C A^mT + S_m, and r steps later
    A^r C A^rT + S_r. Exact for a quadratic whose per-sample Hessians are equal."""
    d = len(hessian)
    a = np.eye(d) - lr * np.asarray(hessian, dtype=float)
    if np.max(np.abs(np.linalg.eigvals(a))) >= 1.0:
        return None
    m = n_samples // batch_size
    sig = np.asarray(sigma_population, dtype=float)
    var = lr * lr * sig / batch_size * (n_samples - batch_size) / (n_samples - 1)
    off = -lr * lr * sig / (n_samples - 1)

    def partial(r: int) -> tuple[np.ndarray, np.ndarray]:
        acc, power, total = np.zeros((d, d)), np.eye(d), np.zeros((d, d))
        for _ in range(r):
            acc += power @ (var - off) @ power.T
            total += power
            power = a @ power
        return acc + total @ off @ total.T, power

    s_m, a_m = partial(m)
    c = solve_discrete_lyapunov(a_m, s_m)
    s_r, a_r = partial(int(phase) % m)
    c = a_r @ c @ a_r.T + s_r
    return 0.5 * (c + c.T)


def _m(a: np.ndarray | None) -> list[list[float]] | None:
    return None if a is None else [[float(x) for x in row] for row in np.atleast_2d(a)]


def local_laws(landscape: Landscape, analysis: Any, model: NoiseModel, moments: dict | None,
               steps: int | None = None) -> list[dict[str, Any]]:
    """API.md's `local_laws`: per minimum, the Lyapunov covariance, and (with the basin-moment sums of a run) the
    measured covariance of the particles in its basin with the standard error of each entry, and z-scores.

    With epoch-wise shuffles the theory is the epoch-shuffle covariance after `steps` steps (at an epoch boundary
    without `steps`), and `covariance_independent_steps` keeps the Markov-kernel (independent-step) value."""
    out = []
    if not analysis.minima or model.kind == "none":
        return out
    locs = np.array([m.location for m in analysis.minima], dtype=float).reshape(len(analysis.minima), -1)
    hess = landscape.hessian(locs)
    sig = model.covariance(landscape, locs)
    for k, m in enumerate(analysis.minima):
        theory = lyapunov_covariance(hess[k], sig[k], model.lr, model.batch_size)
        markov = theory
        dev = hessian_noise_moment(landscape, model, locs[k], hess[k])
        spread = dev is not None
        if spread and not model.correlated:
            theory = multiplicative_covariance(hess[k], dev, sig[k], model.lr, model.batch_size, model.factor)
        if model.correlated and theory is not None:
            phase = 0 if steps is None else int(steps) % model.epoch_steps
            theory = epoch_shuffle_covariance(hess[k], sig[k] / model.factor, model.lr, model.batch_size,
                                              model.n_samples, phase)
        entry: dict[str, Any] = {"index": m.index, "particles": 0, "covariance_theory": _m(theory),
                                 "covariance_measured": None, "stderr": None, "max_abs_z": None}
        if theory is None and markov is not None:
            rho = second_moment_radius(hess[k], dev, model.lr, model.batch_size, model.factor)
            entry["note"] = (f"the batch Hessian's noise makes the second-moment map expand (spectral radius "
                             f"{rho:.4g} >= 1): the spread grows without bound, no stationary covariance")
        elif theory is None:
            entry["note"] = "lr * lambda_max >= 2 here: the linearised chain has no stationary covariance"
        elif spread and not model.correlated:
            entry["note"] = ("minibatch SGD: S = E[(I - lr H_b) S (I - lr H_b)^T] + (lr^2/B) Sigma with the batch "
                             "Hessian H_b's noise (the per-sample Hessians differ here)")
        elif model.kind == "minibatch" and not hessian_noise_affordable(landscape):
            entry["note"] = ("the batch Hessian's noise is left out (data rows x d^4 exceeds "
                             f"{HESSIAN_NOISE_BUDGET:.0e}): the additive-noise Lyapunov covariance")
        elif model.correlated:
            entry["covariance_independent_steps"] = _m(markov)
            entry["note"] = (f"epoch-wise shuffles ({model.epoch_steps} disjoint batches per epoch): the covariance "
                             f"{'after ' + str(steps) + ' steps (' + str(phase) + ' into an epoch)' if steps is not None else 'at epoch boundaries'} "
                             "with the steps' negatively correlated noises, exact for a quadratic with equal per-sample "
                             "Hessians; covariance_independent_steps is the Markov-kernel value, which does not apply")
        if moments is not None:
            n = int(moments["n"][k])
            entry["particles"] = n
            est = covariance_with_stderr(n, moments["s1"][k], moments["s2"][k], moments["s3"][k], moments["s4"][k])
            if est is not None:
                cov, se = est
                entry["covariance_measured"], entry["stderr"] = _m(cov), _m(se)
                if theory is not None and np.all(se > 0):
                    entry["max_abs_z"] = float(np.max(np.abs(cov - theory) / se))
        out.append(entry)
    return out
