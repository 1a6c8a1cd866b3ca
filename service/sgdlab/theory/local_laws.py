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


def _m(a: np.ndarray | None) -> list[list[float]] | None:
    return None if a is None else [[float(x) for x in row] for row in np.atleast_2d(a)]


def local_laws(landscape: Landscape, analysis: Any, model: NoiseModel, moments: dict | None) -> list[dict[str, Any]]:
    """API.md's `local_laws`: per minimum, the Lyapunov covariance, and (with the basin-moment sums of a run) the
    measured covariance of the particles in its basin with the standard error of each entry, and z-scores."""
    out = []
    if not analysis.minima or model.kind == "none":
        return out
    locs = np.array([m.location for m in analysis.minima], dtype=float).reshape(len(analysis.minima), -1)
    hess = landscape.hessian(locs)
    sig = model.covariance(landscape, locs)
    for k, m in enumerate(analysis.minima):
        theory = lyapunov_covariance(hess[k], sig[k], model.lr, model.batch_size)
        entry: dict[str, Any] = {"index": m.index, "particles": 0, "covariance_theory": _m(theory),
                                 "covariance_measured": None, "stderr": None, "max_abs_z": None}
        if theory is None:
            entry["note"] = "lr * lambda_max >= 2 here: the linearised chain has no stationary covariance"
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
