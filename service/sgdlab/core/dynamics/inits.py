"""Initial particle positions: a uniform box, a point, a normal, or at minimum k."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ...spec.init import InitSpec
from ..errors import SpecError


def _check_len(values: Sequence[float], dim: int, field: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.shape != (dim,):
        raise SpecError(f"needs {dim} coordinate(s), got {arr.size}", field)
    return arr


def validate_init(init: InitSpec | None, dim: int, n_minima: int | None = None) -> None:
    """Check an init block against the landscape's dimension and minima; raises SpecError with `init.*` fields."""
    if init is None:
        return
    if init.uniform is not None:
        _check_len(init.uniform.low, dim, "init.uniform.low")
        _check_len(init.uniform.high, dim, "init.uniform.high")
    if init.point is not None:
        _check_len(init.point, dim, "init.point")
    if init.normal is not None:
        _check_len(init.normal.mean, dim, "init.normal.mean")
    if init.minimum is not None and n_minima is not None and init.minimum >= n_minima:
        raise SpecError(f"the landscape has {n_minima} minima (indices 0..{n_minima - 1})", "init.minimum")


def initial_positions(init: InitSpec | None, n: int, dim: int, rng: np.random.Generator,
                      default_range: Sequence[Sequence[float]], minima: Sequence[Sequence[float]] = ()) -> np.ndarray:
    """Draw n starting points of dimension dim (float64, C-contiguous, shape (n, dim))."""
    if init is None or init.uniform is not None:
        if init is None:
            lo = np.array([r[0] for r in default_range], dtype=float)
            hi = np.array([r[1] for r in default_range], dtype=float)
        else:
            lo = _check_len(init.uniform.low, dim, "init.uniform.low")
            hi = _check_len(init.uniform.high, dim, "init.uniform.high")
        return lo + (hi - lo) * rng.random((n, dim))
    if init.point is not None:
        return np.broadcast_to(_check_len(init.point, dim, "init.point"), (n, dim)).copy()
    if init.normal is not None:
        mean = _check_len(init.normal.mean, dim, "init.normal.mean")
        return mean + init.normal.std * rng.standard_normal((n, dim))
    k = init.minimum
    if k is None or k >= len(minima):
        raise SpecError(f"the landscape has {len(minima)} minima", "init.minimum")
    return np.broadcast_to(np.asarray(minima[k], dtype=float), (n, dim)).copy()
