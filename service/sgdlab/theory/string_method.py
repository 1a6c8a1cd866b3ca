"""Simplified string method (E, Ren, Vanden-Eijnden 2007) and Newton refinement of critical points."""

from __future__ import annotations

import numpy as np

from sgdlab.core.landscapes.base import Landscape


def reparametrise(path: np.ndarray) -> np.ndarray:
    """Redistribute the images of a path at equal arc length (endpoints kept)."""
    seg = np.linalg.norm(np.diff(path, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] <= 0:
        return path
    target = np.linspace(0.0, s[-1], len(path))
    return np.stack([np.interp(target, s, path[:, k]) for k in range(path.shape[1])], axis=1)


def minimum_energy_path(landscape: Landscape, a: np.ndarray, b: np.ndarray, images: int = 41,
                        iterations: int = 4000, tol: float = 1e-9) -> np.ndarray:
    """Relax the straight string from a to b to a minimum-energy path; returns (images, d)."""
    t = np.linspace(0.0, 1.0, images)[:, None]
    path = (1 - t) * a[None, :] + t * b[None, :]
    curv = np.abs(np.linalg.eigvalsh(landscape.hessian(path))).max()
    dt = 0.2 / max(float(curv), 1e-12)
    seg0 = np.linalg.norm(b - a) / (images - 1)
    g = np.empty_like(path)
    for _ in range(iterations):
        landscape.grad(path, out=g)
        move = dt * g[1:-1]
        norm = np.linalg.norm(move, axis=1, keepdims=True)
        move *= np.minimum(1.0, 0.5 * seg0 / np.maximum(norm, 1e-300))
        new = path.copy()
        new[1:-1] -= move
        new = reparametrise(new)
        change = np.abs(new - path).max()
        path = new
        if change < tol * max(seg0, 1e-12):
            break
    return path


def newton_critical_point(landscape: Landscape, x0: np.ndarray, max_step: float,
                          iterations: int = 60) -> tuple[np.ndarray, bool]:
    """Newton's method on grad L = 0 from x0 (steps capped at max_step); returns (point, converged)."""
    x = np.array(x0, dtype=float)
    for _ in range(iterations):
        g = landscape.grad(x[None, :])[0]
        h = landscape.hessian(x[None, :])[0]
        if not (np.isfinite(g).all() and np.isfinite(h).all()):
            return x, False
        try:
            step = np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            return x, False
        n = np.linalg.norm(step)
        if n > max_step:
            step *= max_step / n
        x = x - step
        if n <= 1e-13 * (1.0 + np.linalg.norm(x)):
            return x, True
    g = landscape.grad(x[None, :])[0]
    h = landscape.hessian(x[None, :])[0]
    scale = max(np.abs(np.linalg.eigvalsh(h)).max(), 1e-12)
    return x, bool(np.linalg.norm(g) / scale < 1e-9 * (1.0 + np.linalg.norm(x)))
