"""Ranges and regular grids shared by the theory layer (quadrature, label grids, backward equations)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from sgdlab.core.errors import SpecError
from sgdlab.core.landscapes.base import Landscape


def resolve_range(landscape: Landscape, range_: Sequence[Sequence[float]] | None,
                  field: str = "range") -> list[tuple[float, float]]:
    """The (lo, hi) per dimension to work on: `range_` when given (validated), else the landscape's default."""
    source = landscape.default_range if range_ is None else range_
    try:
        pairs = [(float(lo), float(hi)) for lo, hi in source]
    except (TypeError, ValueError) as exc:
        raise SpecError(f"expected one [lo, hi] pair per dimension ({exc})", field) from None
    if len(pairs) != landscape.dim:
        raise SpecError(f"expected {landscape.dim} [lo, hi] pairs, got {len(pairs)}", field)
    for k, (lo, hi) in enumerate(pairs):
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise SpecError(f"need finite lo < hi, got [{lo}, {hi}]", f"{field}.{k}")
    return pairs


def range_scale(ranges: Sequence[tuple[float, float]]) -> float:
    """The largest side of the box: a length scale for tolerances."""
    return float(max(hi - lo for lo, hi in ranges))


def axis_nodes(ranges: Sequence[tuple[float, float]], points: int | Sequence[int]) -> list[np.ndarray]:
    """Equally spaced nodes (endpoints included) on each axis."""
    counts = [int(points)] * len(ranges) if np.isscalar(points) else [int(p) for p in points]
    return [np.linspace(lo, hi, n) for (lo, hi), n in zip(ranges, counts)]


def mesh_points(nodes: Sequence[np.ndarray]) -> np.ndarray:
    """All grid nodes as an (n, d) array, row-major (the first axis varies slowest)."""
    grids = np.meshgrid(*nodes, indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1)


def loss_on_grid(landscape: Landscape, nodes: Sequence[np.ndarray]) -> np.ndarray:
    """L on the tensor grid, shaped (len(nodes[0]), len(nodes[1]), ...)."""
    return np.asarray(landscape.loss(mesh_points(nodes)), dtype=float).reshape([len(n) for n in nodes])
