"""Minima and index-1 saddles of a loss in d >= 2: local minimisation, label grids, passes, strings, Newton."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.optimize import minimize

from sgdlab.core.landscapes.base import Landscape
from sgdlab.theory.grids import axis_nodes, mesh_points, range_scale
from sgdlab.theory.string_method import minimum_energy_path, newton_critical_point


def _fun(landscape: Landscape):
    def f(x: np.ndarray) -> float:
        v = float(landscape.loss(x[None, :])[0])
        return v if np.isfinite(v) else 1e300
    return f


def _jac(landscape: Landscape):
    def j(x: np.ndarray) -> np.ndarray:
        g = landscape.grad(x[None, :])[0]
        return np.where(np.isfinite(g), g, 0.0)
    return j


def local_minimum(landscape: Landscape, x0: np.ndarray, scale: float) -> np.ndarray | None:
    """BFGS with the analytic gradient, then Newton polish; None unless it ends at a strict minimum."""
    res = minimize(_fun(landscape), np.asarray(x0, dtype=float), jac=_jac(landscape), method="BFGS",
                   options={"gtol": 1e-10, "maxiter": 2000})
    x, ok = newton_critical_point(landscape, res.x, max_step=0.01 * scale, iterations=30)
    if not ok or not np.isfinite(x).all():
        return None
    eig = np.linalg.eigvalsh(landscape.hessian(x[None, :])[0])
    return x if eig.min() > 0 else None


def inside(x: np.ndarray, ranges: Sequence[tuple[float, float]], margin: float = 1e-6) -> bool:
    """Whether x lies in the box (with a relative margin)."""
    return all(lo - margin * (hi - lo) <= v <= hi + margin * (hi - lo) for v, (lo, hi) in zip(x, ranges))


def dedupe_sorted(points: list[np.ndarray], tol: float) -> list[np.ndarray]:
    """Drop points closer than tol to an earlier one; sort lexicographically by coordinates rounded to 1e-6."""
    kept: list[np.ndarray] = []
    for p in points:
        if all(np.linalg.norm(p - q) > tol for q in kept):
            kept.append(p)
    return sorted(kept, key=lambda p: tuple(np.round(p, 6)))


def grid_local_minima_2d(values: np.ndarray) -> np.ndarray:
    """Flat indices of nodes no higher than any of their 8 neighbours (strictly lower than the first found)."""
    padded = np.pad(values, 1, constant_values=np.inf)
    core = padded[1:-1, 1:-1]
    is_min = np.isfinite(core)
    nx, ny = values.shape
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            if dx or dy:
                is_min &= core <= padded[1 + dx:1 + dx + nx, 1 + dy:1 + dy + ny]
    return np.flatnonzero(is_min)


def minima_2d(landscape: Landscape, ranges: Sequence[tuple[float, float]],
              grid_points: int) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
    """(minima, nodes, loss grid): local minimisation from every grid local minimum, deduplicated and sorted."""
    nodes = axis_nodes(ranges, grid_points)
    pts = mesh_points(nodes)
    values = np.asarray(landscape.loss(pts), dtype=float).reshape(len(nodes[0]), len(nodes[1]))
    scale = range_scale(ranges)
    found = []
    for k in grid_local_minima_2d(values):
        x = local_minimum(landscape, pts[k], scale)
        if x is not None and inside(x, ranges):
            found.append(x)
    return dedupe_sorted(found, 1e-6 * scale), nodes, values


def minima_multistart(landscape: Landscape, ranges: Sequence[tuple[float, float]], seed: int,
                      starts: int) -> list[np.ndarray]:
    """Seeded multi-start local minimisation in the box, deduplicated and sorted."""
    rng = np.random.default_rng(seed)
    lo = np.array([r[0] for r in ranges])
    hi = np.array([r[1] for r in ranges])
    scale = range_scale(ranges)
    found = []
    for x0 in lo + (hi - lo) * rng.random((starts, len(ranges))):
        x = local_minimum(landscape, x0, scale)
        if x is not None and inside(x, ranges):
            found.append(x)
    return dedupe_sorted(found, 1e-6 * scale)


def flow_targets(landscape: Landscape, nodes: Sequence[np.ndarray], hop_cells: float = 6.0,
                 substep_cells: float = 0.5) -> np.ndarray:
    """For every grid node, the flat index of the node nearest to where the gradient flow (arc length
    `hop_cells` cells, Euler steps of `substep_cells`) takes it; `size` (a sink) when it leaves the box."""
    pts = mesh_points(nodes)
    lo = np.array([n[0] for n in nodes])
    hi = np.array([n[-1] for n in nodes])
    step = np.array([n[1] - n[0] for n in nodes])
    cell = float(step.min())
    x = pts.copy()
    g = np.empty_like(x)
    for _ in range(int(round(hop_cells / substep_cells))):
        landscape.grad(x, out=g)
        norm = np.sqrt(np.einsum("ij,ij->i", g, g))
        x -= (substep_cells * cell / np.maximum(norm, 1e-300))[:, None] * g
    lost = ~np.isfinite(x).all(axis=1) | (x < lo - cell).any(axis=1) | (x > hi + cell).any(axis=1)
    shape = np.array([len(n) for n in nodes])
    idx = np.clip(np.rint((np.where(lost[:, None], lo, x) - lo) / step), 0, shape - 1).astype(np.int64)
    flat = np.ravel_multi_index(tuple(idx.T), tuple(shape))
    return np.where(lost, len(pts), flat)


def label_grid(landscape: Landscape, nodes: Sequence[np.ndarray], minima: list[np.ndarray],
               hop_cells: float = 6.0) -> np.ndarray:
    """Basin labels of every node: follow the gradient flow in hops of a few cells (pointer jumping) and match
    the end to the nearest minimum (-1 when it leaves the box or ends near no minimum)."""
    shape = tuple(len(n) for n in nodes)
    ptr = np.append(flow_targets(landscape, nodes, hop_cells), np.prod(shape))
    for _ in range(40):
        ptr = ptr[ptr]
    end = ptr[:-1]
    labels = np.full(end.shape, -1, dtype=np.int64)
    if minima:
        pts = mesh_points(nodes)
        ok = end < len(pts)
        m = np.array(minima)
        d = np.linalg.norm(pts[end[ok]][:, None, :] - m[None, :, :], axis=2)
        cell = float(max(n[1] - n[0] for n in nodes))
        near = d.min(axis=1) <= (hop_cells + 2.0) * cell
        labels[ok] = np.where(near, d.argmin(axis=1), -1)
    return labels.reshape(shape)


def _shifted_pairs(shape: tuple[int, int], dx: int, dy: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices (p, q) of all node pairs with q = p + (dx, dy) inside the grid (dx >= 0)."""
    nx, ny = shape
    flat = np.arange(nx * ny).reshape(shape)
    ys = slice(0, ny - dy) if dy >= 0 else slice(-dy, ny)
    yt = slice(dy, ny) if dy >= 0 else slice(0, ny + dy)
    return flat[0:nx - dx, ys].ravel(), flat[dx:nx, yt].ravel()


PASS_OFFSETS = ((0, 1), (1, 0), (1, 1), (1, -1), (0, 2), (2, 0), (2, 2), (2, -2))


def lowest_passes_2d(labels: np.ndarray, values: np.ndarray,
                     nodes: Sequence[np.ndarray]) -> dict[tuple[int, int], np.ndarray]:
    """For each pair of adjacent basins, the higher node of the lowest neighbouring pair across their border.

    Neighbours up to two nodes apart count, so a one-node band of unlabelled nodes (a flow that stalls on
    the separatrix) does not hide the adjacency."""
    ny = labels.shape[1]
    la, va = labels.ravel(), values.ravel()
    pairs = []
    for dx, dy in PASS_OFFSETS:
        fa, fb = _shifted_pairs(labels.shape, dx, dy)
        keep = (la[fa] != la[fb]) & (la[fa] >= 0) & (la[fb] >= 0)
        pairs.append(np.stack([fa[keep], fb[keep]], axis=1))
    edges = np.concatenate(pairs)
    out: dict[tuple[int, int], np.ndarray] = {}
    if len(edges) == 0:
        return out
    high = np.where(va[edges[:, 0]] >= va[edges[:, 1]], edges[:, 0], edges[:, 1])
    key_a = np.minimum(la[edges[:, 0]], la[edges[:, 1]])
    key_b = np.maximum(la[edges[:, 0]], la[edges[:, 1]])
    for a, b in set(zip(key_a.tolist(), key_b.tolist())):
        sel = np.flatnonzero((key_a == a) & (key_b == b))
        k = high[sel[np.argmin(va[high[sel]])]]
        out[(a, b)] = np.array([nodes[0][k // ny], nodes[1][k % ny]])
    return out


def index1_saddle(landscape: Landscape, guess: np.ndarray, ranges: Sequence[tuple[float, float]],
                  max_step: float) -> np.ndarray | None:
    """Newton from `guess`; the point if it converges to an index-1 saddle inside the box, else None."""
    x, ok = newton_critical_point(landscape, guess, max_step=max_step)
    if not ok or not inside(x, ranges):
        return None
    eig = np.linalg.eigvalsh(landscape.hessian(x[None, :])[0])
    return x if (eig < 0).sum() == 1 and (eig > 0).sum() == len(eig) - 1 else None


def saddle_on_string(landscape: Landscape, a: np.ndarray, b: np.ndarray, ranges: Sequence[tuple[float, float]],
                     max_step: float) -> np.ndarray | None:
    """Index-1 saddle refined by Newton from the highest image of the minimum-energy path from a to b."""
    path = minimum_energy_path(landscape, a, b)
    order = np.argsort(-landscape.loss(path[1:-1])) + 1
    for k in order[:3]:
        x = index1_saddle(landscape, path[k], ranges, max_step)
        if x is not None:
            return x
    return None


def saddle_connects(landscape: Landscape, saddle: np.ndarray, minima: list[np.ndarray],
                    scale: float) -> tuple[int, int] | None:
    """The two minima reached by descending from both sides of the saddle's unstable direction (sorted)."""
    eig, vec = np.linalg.eigh(landscape.hessian(saddle[None, :])[0])
    v = vec[:, 0]
    m = np.array(minima)
    ends = []
    for sign in (1.0, -1.0):
        x = local_minimum(landscape, saddle + sign * 1e-3 * scale * v, scale)
        if x is None:
            return None
        d = np.linalg.norm(m - x, axis=1)
        k = int(d.argmin())
        if d[k] > 1e-5 * scale:
            return None
        ends.append(k)
    if ends[0] == ends[1]:
        return None
    return (min(ends), max(ends))
