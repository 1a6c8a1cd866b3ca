"""INIT builders: where the particles start."""

from __future__ import annotations

from typing import Sequence

from .spec import Init, NormalInit, UniformInit


def uniform(low: Sequence[float], high: Sequence[float]) -> Init:
    """Uniform in the box [low, high] (one entry per dimension)."""
    return Init(uniform=UniformInit(low=list(low), high=list(high)))


def point(*coords: float) -> Init:
    """All particles at one point, e.g. `point(-1.0)` or `point(0.5, 1.0)`."""
    return Init(point=[float(c) for c in coords])


def normal(mean: Sequence[float], std: float) -> Init:
    """Isotropic normal around `mean`."""
    return Init(normal=NormalInit(mean=list(mean), std=std))


def minimum(k: int) -> Init:
    """All particles at minimum k (its index in result.landscape.minima)."""
    return Init(minimum=k)
