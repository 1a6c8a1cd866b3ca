"""Committor q(w) = P(reach the region of minimum b before that of minimum a | start at w), on a 1-D or 2-D grid.

Regions are balls of `radius` around the minima (default: each minimum's default exit radius). In 1-D the
closed form q(x) = ∫_{x_a}^x e^{L/T} / ∫_{x_a}^{x_b} e^{L/T} is evaluated by log-scaled quadrature; in 2-D the
backward equation T Δq - ∇L·∇q = 0 is solved on the SqRA grid with q = 0 on a, q = 1 on b, reflecting edges.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from sgdlab.core.errors import SpecError
from sgdlab.core.landscapes.base import Landscape
from sgdlab.limits import DEFAULT_LIMITS
from sgdlab.theory.backward_equation import log_cumulative_trapezoid, solve_dirichlet, sqra_generator
from sgdlab.theory.grids import axis_nodes, loss_on_grid, mesh_points, resolve_range
from sgdlab.theory.landscape_analysis import LandscapeAnalysis

QUADRATURE_POINTS_1D = 20001


def _committor_1d(landscape: Landscape, x: np.ndarray, ma: float, mb: float, ra: float, rb: float,
                  temperature: float) -> np.ndarray:
    sign = 1.0 if mb > ma else -1.0
    xa, xb = ma + sign * ra, mb - sign * rb
    if sign * (xb - xa) <= 0:
        raise SpecError("the regions of the two minima overlap; use a smaller radius", "radius")
    fine = np.linspace(xa, xb, QUADRATURE_POINTS_1D)
    scaled = np.asarray(landscape.loss(fine[:, None]), dtype=float) / temperature
    log_c = log_cumulative_trapezoid(scaled - scaled.max(), abs(fine[1] - fine[0]))
    ratio = np.exp(log_c - log_c[-1])
    t = sign * (x - xa)
    return np.interp(t, sign * (fine - xa), ratio, left=0.0, right=1.0)


def committor(landscape: Landscape, analysis: LandscapeAnalysis, a: int, b: int, temperature: float,
              grid_points: int | None = None, range: Sequence[Sequence[float]] | None = None,
              radius: float | tuple[float, float] | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """(grid axes, q): the committor from minimum a's region (q=0) to minimum b's region (q=1) on the grid nodes;
    q has shape (n,) in 1-D and (nx, ny) in 2-D (first axis x)."""
    if landscape.dim > 2:
        raise SpecError("the committor is computed on 1-D and 2-D grids only", "landscape")
    if a == b or not (0 <= a < len(analysis.minima) and 0 <= b < len(analysis.minima)):
        raise SpecError(f"need two distinct minima among 0..{len(analysis.minima) - 1}, got {a} and {b}", "minima")
    if radius is None:
        ra, rb = analysis.default_exit_radius(a, b), analysis.default_exit_radius(b, a)
    else:
        ra, rb = (float(radius), float(radius)) if np.isscalar(radius) else map(float, radius)
    ranges = resolve_range(landscape, range)
    la, lb = analysis.minima[a].location, analysis.minima[b].location
    if landscape.dim == 1:
        nodes = axis_nodes(ranges, grid_points or DEFAULT_LIMITS.max_grid_points_1d)
        return nodes, _committor_1d(landscape, nodes[0], float(la[0]), float(lb[0]), ra, rb, temperature)
    nodes = axis_nodes(ranges, grid_points or 200)
    values = loss_on_grid(landscape, nodes)
    pts = mesh_points(nodes)
    in_a = np.linalg.norm(pts - la, axis=1) <= ra
    in_b = np.linalg.norm(pts - lb, axis=1) <= rb
    if not in_a.any() or not in_b.any():
        raise SpecError("a minimum's region holds no grid node; use more grid points", "grid_points")
    gen = sqra_generator(values, [n[1] - n[0] for n in nodes], temperature)
    q = solve_dirichlet(gen, in_a | in_b, in_b.astype(float), 0.0)
    return nodes, np.clip(q, 0.0, 1.0).reshape(values.shape)
