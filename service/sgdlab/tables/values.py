"""Small helpers that turn result-document values into plain, JSON-safe Python numbers."""

from __future__ import annotations

import math
from typing import Any, Sequence


def num(x: Any) -> float | None:
    """A finite float, or None for null, NaN and infinities (JSON and CSV have no NaN)."""
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def entry(seq: Sequence[Any] | None, i: int) -> Any:
    """seq[i], or None when seq is missing or too short."""
    if seq is None or i >= len(seq):
        return None
    return seq[i]


def steps_of_run(result: dict) -> int | None:
    """The number of steps of the run (spec.steps), or None when the spec does not say."""
    steps = (result.get("spec") or {}).get("steps")
    return int(steps) if isinstance(steps, (int, float)) else None


def particles_of_run(result: dict) -> int | None:
    """The number of particles of the run (spec.particles), or None when the spec does not say."""
    n = (result.get("spec") or {}).get("particles")
    return int(n) if isinstance(n, (int, float)) and n > 0 else None


def result_dim(result: dict) -> int:
    """The landscape's dimension: result.landscape.dim, else the number of histogram axes, else 1."""
    dim = (result.get("landscape") or {}).get("dim")
    if isinstance(dim, int) and dim > 0:
        return dim
    final = ((result.get("histograms") or {}).get("final") or {})
    return len(final.get("edges") or [[0]]) or 1
