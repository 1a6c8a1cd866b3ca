"""Gradient source for every catalog landscape, in the same floating-point operation order as its NumPy `grad`.

Parameters travel in `p`; only the dimension (and a polynomial's degree) shapes the source, so the compiled
kernel of an entry is shared by all its parameter values and can be warmed once per worker.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import SpecError
from ...landscapes import analytic
from ...landscapes.base import Landscape
from .gradient_code import GradientCode


def _polynomial(land: analytic.Polynomial1D) -> GradientCode:
    coefs = np.asarray(land._grad_tilted, dtype=float)          # highest power first, tilt included
    expr = "p[0]"
    if coefs.size > 1:                                           # Horner: x*c0, then +c_k and *x in turn
        expr = "x0 * p[0]"
        for k in range(1, coefs.size):
            expr = f"({expr} + p[{k}])"
            if k < coefs.size - 1:
                expr = f"{expr} * x0"
    return GradientCode(f"polynomial{coefs.size}", 1, (f"g0 = {expr}",), coefs)


def _quadratic(land: analytic.Quadratic) -> GradientCode:
    d = land.dim
    lines = tuple(f"g{k} = (x{k} - p[{d + k}]) * p[{k}]" for k in range(d))
    return GradientCode(f"quadratic{d}", d, lines, np.concatenate([land.curvature, land.center]).astype(float))


def _muller_brown(land: analytic.MullerBrown) -> GradientCode:
    lines = ["g0 = 0.0", "g1 = 0.0"]
    for k, (a, b, c, x0, y0) in enumerate(zip(land.a, land.b, land.c, land.x0, land.y0)):
        a, b, c, x0, y0 = (repr(float(v)) for v in (a, b, c, x0, y0))
        lines += [f"dx = x0 - {x0}", f"dy = x1 - {y0}",
                  f"e = math.exp((dx * {a} + dy * {b}) * dx + (dy * dy) * {c}) * p[{k}]",
                  f"g0 += (dx * (2 * {a}) + {b} * dy) * e",
                  f"g1 += (dy * (2 * {c}) + {b} * dx) * e"]
    return GradientCode("muller_brown", 2, tuple(lines), land.scale * land.A)


def _himmelblau(land: analytic.Himmelblau) -> GradientCode:
    lines = ("hp = x0 * x0 + x1 - 11.0", "hq = x0 + x1 * x1 - 7.0",
             "g0 = ((x0 * hp) * 4.0 + 2.0 * hq) * p[0]", "g1 = ((x1 * hq) * 4.0 + 2.0 * hp) * p[0]")
    return GradientCode("himmelblau", 2, lines, np.array([land.scale]))


def _rastrigin(land: analytic.Rastrigin) -> GradientCode:
    d = land.dim
    lines = tuple(f"g{k} = math.sin(x{k} * {2 * math.pi!r}) * p[0] + 2.0 * x{k}" for k in range(d))
    return GradientCode(f"rastrigin{d}", d, lines, np.array([2 * np.pi * land.amplitude]))


def _styblinski_tang(land: analytic.StyblinskiTang) -> GradientCode:
    d = land.dim
    lines = tuple(f"g{k} = (((x{k} * x{k}) * 2.0 - 16.0) * x{k} + 2.5) * p[0]" for k in range(d))
    return GradientCode(f"styblinski_tang{d}", d, lines, np.array([land.scale]))


def _gaussian_wells(land: analytic.GaussianWells) -> GradientCode:
    d = land.dim
    stride = d + 3                   # per well: centre (d), -1/(2 s^2), depth, s^2
    rows = [np.concatenate([c, [-0.5 / (s * s), depth, s * s]])
            for c, depth, s in zip(land.centres, land.depths, land.widths)]
    params = np.concatenate([[land.confinement], *rows]).astype(float)
    lines = [f"g{k} = x{k} * p[0]" for k in range(d)]
    lines.append(f"for j in range((p.shape[0] - 1) // {stride}):")
    body = [f"b = 1 + j * {stride}"]
    body += [f"e{k} = x{k} - p[b + {k}]" for k in range(d)]
    body.append("r = " + " + ".join(f"e{k} * e{k}" for k in range(d)))
    body.append(f"r = math.exp(r * p[b + {d}]) * p[b + {d + 1}] / p[b + {d + 2}]")
    body += [f"g{k} += e{k} * r" for k in range(d)]
    lines += ["    " + line for line in body]
    return GradientCode(f"gaussian_wells{d}", d, tuple(lines), params)


_BUILDERS = {analytic.Polynomial1D: _polynomial, analytic.Quadratic: _quadratic,
             analytic.MullerBrown: _muller_brown, analytic.Himmelblau: _himmelblau,
             analytic.Rastrigin: _rastrigin, analytic.StyblinskiTang: _styblinski_tang,
             analytic.GaussianWells: _gaussian_wells}


def catalog_gradient_code(land: Landscape) -> GradientCode:
    """The gradient source of a catalog landscape (every entry of the catalog has one)."""
    builder = _BUILDERS.get(type(land))
    if builder is None:
        raise SpecError(f"no compiled gradient for landscape {land.name!r}", "dynamics.backend")
    return builder(land)
