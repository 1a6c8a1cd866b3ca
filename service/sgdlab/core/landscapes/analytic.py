"""The catalog's landscapes: closed-form loss, gradient and Hessian, vectorised over particles.

`grad(w, out)` is the simulator's hot path: each one writes into `out` with in-place ufuncs and
at most a couple of (n,)-sized temporaries per coordinate. Formulas are in each class docstring.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .base import Landscape


def _out(w: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """`out` or a fresh (n, d) array."""
    return np.empty(w.shape, dtype=float) if out is None else out


class Quadratic(Landscape):
    """L(w) = 1/2 sum_k c_k (w_k - m_k)^2, curvature c per axis, centre m."""

    def __init__(self, curvature: np.ndarray, center: np.ndarray, formula: str, default_range):
        self.curvature = np.asarray(curvature, dtype=float)
        self.center = np.asarray(center, dtype=float)
        self.dim = self.curvature.size
        self.name, self.formula, self.default_range = "quadratic", formula, default_range

    def loss(self, w):
        d = w - self.center
        np.multiply(d, d, out=d)
        return 0.5 * (d @ self.curvature)

    def grad(self, w, out=None):
        out = _out(w, out)
        np.subtract(w, self.center, out=out)
        np.multiply(out, self.curvature, out=out)
        return out

    def hessian(self, w):
        h = np.zeros((w.shape[0], self.dim, self.dim))
        idx = np.arange(self.dim)
        h[:, idx, idx] = self.curvature
        return h


class Polynomial1D(Landscape):
    """L(w) = scale * p(w / width) + tilt * w for a polynomial p given by its coefficients (lowest first).

    The double and triple wells are such polynomials; the gradient is evaluated by Horner's scheme in place.
    """

    def __init__(self, name: str, coefficients: Sequence[float], scale: float, width: float, tilt: float,
                 formula: str, default_range):
        self.name, self.formula, self.default_range, self.dim = name, formula, default_range, 1
        p = np.polynomial.Polynomial(np.asarray(coefficients, dtype=float))
        # coefficients of L, L' and L'' as polynomials in w (not in u = w / width)
        in_w = np.polynomial.Polynomial(p.coef * scale / width ** np.arange(p.coef.size))
        self._loss = in_w.coef[::-1].copy()
        self._grad = in_w.deriv(1).coef[::-1].copy()
        self._hess = in_w.deriv(2).coef[::-1].copy()
        self.tilt = float(tilt)
        self._grad_tilted = self._grad.copy()
        self._grad_tilted[-1] += self.tilt

    @staticmethod
    def _horner(coefs: np.ndarray, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        """out = polynomial (highest coefficient first) at x, in place; zero coefficients cost nothing."""
        if coefs.size == 1:
            out.fill(coefs[0])
            return out
        np.multiply(x, coefs[0], out=out)
        last = coefs.size - 1
        for k in range(1, coefs.size):
            if coefs[k] != 0:
                np.add(out, coefs[k], out=out)
            if k < last:
                np.multiply(out, x, out=out)
        return out

    def loss(self, w):
        x = w[:, 0]
        out = self._horner(self._loss, x, np.empty(x.shape))
        out += self.tilt * x
        return out

    def grad(self, w, out=None):
        out = _out(w, out)
        self._horner(self._grad_tilted, w[:, 0], out[:, 0])   # the hot path: 5 in-place passes for a double well
        return out

    def hessian(self, w):
        h = np.empty((w.shape[0], 1, 1))
        self._horner(self._hess, w[:, 0], h[:, 0, 0])
        return h


class MullerBrown(Landscape):
    """L(x, y) = scale * sum_k A_k exp(a_k (x-x0_k)^2 + b_k (x-x0_k)(y-y0_k) + c_k (y-y0_k)^2)."""

    A = np.array([-200.0, -100.0, -170.0, 15.0])
    a = np.array([-1.0, -1.0, -6.5, 0.7])
    b = np.array([0.0, 0.0, 11.0, 0.6])
    c = np.array([-10.0, -10.0, -6.5, 0.7])
    x0 = np.array([1.0, 0.0, -0.5, -1.0])
    y0 = np.array([0.0, 0.5, 1.5, 1.0])

    def __init__(self, scale: float, formula: str, default_range):
        self.scale = float(scale)
        self.name, self.formula, self.default_range, self.dim = "muller_brown", formula, default_range, 2

    def _terms(self, w):
        """dx, dy (n, 4) and the four scaled exponential terms E (n, 4)."""
        dx = w[:, :1] - self.x0
        dy = w[:, 1:2] - self.y0
        e = self.a * dx * dx + self.b * dx * dy + self.c * dy * dy
        np.exp(e, out=e)
        e *= self.scale * self.A
        return dx, dy, e

    def loss(self, w):
        return self._terms(w)[2].sum(axis=1)

    def grad(self, w, out=None):
        out = _out(w, out)
        out.fill(0.0)
        x, y = w[:, 0], w[:, 1]
        dx, dy, e, t = (np.empty(w.shape[0]) for _ in range(4))
        for A, a, b, c, x0, y0 in zip(self.A, self.a, self.b, self.c, self.x0, self.y0):
            np.subtract(x, x0, out=dx)
            np.subtract(y, y0, out=dy)
            # e = scale A exp(a dx^2 + b dx dy + c dy^2), built in place
            np.multiply(dx, a, out=e)
            np.multiply(dy, b, out=t)
            e += t
            e *= dx
            np.multiply(dy, dy, out=t)
            t *= c
            e += t
            np.exp(e, out=e)
            e *= self.scale * A
            # dL/dx += e (2 a dx + b dy), dL/dy += e (b dx + 2 c dy)
            np.multiply(dx, 2 * a, out=t)
            t += b * dy
            t *= e
            out[:, 0] += t
            np.multiply(dy, 2 * c, out=t)
            t += b * dx
            t *= e
            out[:, 1] += t
        return out

    def hessian(self, w):
        dx, dy, e = self._terms(w)
        gx = 2 * self.a * dx + self.b * dy
        gy = self.b * dx + 2 * self.c * dy
        h = np.empty((w.shape[0], 2, 2))
        h[:, 0, 0] = (e * (gx * gx + 2 * self.a)).sum(axis=1)
        h[:, 0, 1] = h[:, 1, 0] = (e * (gx * gy + self.b)).sum(axis=1)
        h[:, 1, 1] = (e * (gy * gy + 2 * self.c)).sum(axis=1)
        return h


class Himmelblau(Landscape):
    """L(x, y) = scale * ((x^2 + y - 11)^2 + (x + y^2 - 7)^2)."""

    def __init__(self, scale: float, formula: str, default_range):
        self.scale = float(scale)
        self.name, self.formula, self.default_range, self.dim = "himmelblau", formula, default_range, 2

    def _pq(self, w):
        x, y = w[:, 0], w[:, 1]
        return x, y, x * x + y - 11.0, x + y * y - 7.0

    def loss(self, w):
        _, _, p, q = self._pq(w)
        return self.scale * (p * p + q * q)

    def grad(self, w, out=None):
        out = _out(w, out)
        x, y, p, q = self._pq(w)
        # dL/dx = 4 x p + 2 q, dL/dy = 2 p + 4 y q
        np.multiply(x, p, out=out[:, 0])
        out[:, 0] *= 4.0
        out[:, 0] += 2.0 * q
        np.multiply(y, q, out=out[:, 1])
        out[:, 1] *= 4.0
        out[:, 1] += 2.0 * p
        out *= self.scale
        return out

    def hessian(self, w):
        x, y, p, q = self._pq(w)
        h = np.empty((w.shape[0], 2, 2))
        h[:, 0, 0] = 4 * p + 8 * x * x + 2
        h[:, 0, 1] = h[:, 1, 0] = 4 * x + 4 * y
        h[:, 1, 1] = 4 * q + 8 * y * y + 2
        h *= self.scale
        return h


class Rastrigin(Landscape):
    """L(w) = A d + sum_k (w_k^2 - A cos(2 pi w_k))."""

    def __init__(self, dim: int, amplitude: float, formula: str, default_range):
        self.amplitude = float(amplitude)
        self.name, self.formula, self.default_range, self.dim = "rastrigin", formula, default_range, int(dim)

    def loss(self, w):
        return self.amplitude * self.dim + (w * w - self.amplitude * np.cos(2 * np.pi * w)).sum(axis=1)

    def grad(self, w, out=None):
        out = _out(w, out)
        np.multiply(w, 2 * np.pi, out=out)
        np.sin(out, out=out)
        out *= 2 * np.pi * self.amplitude
        out += 2.0 * w
        return out

    def hessian(self, w):
        h = np.zeros((w.shape[0], self.dim, self.dim))
        idx = np.arange(self.dim)
        h[:, idx, idx] = 2.0 + 4 * np.pi ** 2 * self.amplitude * np.cos(2 * np.pi * w)
        return h


class StyblinskiTang(Landscape):
    """L(w) = scale / 2 * sum_k (w_k^4 - 16 w_k^2 + 5 w_k)."""

    def __init__(self, dim: int, scale: float, formula: str, default_range):
        self.scale = float(scale)
        self.name, self.formula, self.default_range, self.dim = "styblinski_tang", formula, default_range, int(dim)

    def loss(self, w):
        w2 = w * w
        return 0.5 * self.scale * (w2 * (w2 - 16.0) + 5.0 * w).sum(axis=1)

    def grad(self, w, out=None):
        out = _out(w, out)
        # dL/dw = scale * (2 w^3 - 16 w + 2.5) = scale * (w (2 w^2 - 16) + 2.5)
        np.multiply(w, w, out=out)
        out *= 2.0
        out -= 16.0
        out *= w
        out += 2.5
        out *= self.scale
        return out

    def hessian(self, w):
        h = np.zeros((w.shape[0], self.dim, self.dim))
        idx = np.arange(self.dim)
        h[:, idx, idx] = self.scale * (6.0 * w * w - 16.0)
        return h


class GaussianWells(Landscape):
    """L(w) = confinement/2 |w|^2 - sum_j depth_j exp(-|w - c_j|^2 / (2 width_j^2))."""

    def __init__(self, centres: np.ndarray, depths: np.ndarray, widths: np.ndarray, confinement: float,
                 formula: str, default_range):
        self.centres = np.asarray(centres, dtype=float)
        self.depths = np.asarray(depths, dtype=float)
        self.widths = np.asarray(widths, dtype=float)
        self.confinement = float(confinement)
        self.dim = self.centres.shape[1]
        self.name, self.formula, self.default_range = "gaussian_wells", formula, default_range

    def _wells(self, w):
        """Per well: (diff (n, d), bump (n,) = depth * exp(-r^2 / 2 s^2), s^2); loops over wells, not particles."""
        for c, depth, s in zip(self.centres, self.depths, self.widths):
            diff = w - c
            bump = np.einsum("nd,nd->n", diff, diff)
            bump *= -0.5 / (s * s)
            np.exp(bump, out=bump)
            bump *= depth
            yield diff, bump, s * s

    def loss(self, w):
        out = 0.5 * self.confinement * np.einsum("nd,nd->n", w, w)
        for _, bump, _ in self._wells(w):
            out -= bump
        return out

    def grad(self, w, out=None):
        out = _out(w, out)
        np.multiply(w, self.confinement, out=out)
        for diff, bump, s2 in self._wells(w):
            bump /= s2
            diff *= bump[:, None]
            out += diff
        return out

    def hessian(self, w):
        n, d = w.shape
        h = np.zeros((n, d, d))
        idx = np.arange(d)
        h[:, idx, idx] = self.confinement
        for diff, bump, s2 in self._wells(w):
            # depth e (I / s^2 - diff diff^T / s^4)
            h[:, idx, idx] += (bump / s2)[:, None]
            h -= (bump / (s2 * s2))[:, None, None] * diff[:, :, None] * diff[:, None, :]
        return h
