"""Compile (or load from the disk cache) the kernels of every catalog landscape at its default parameters.

Catalog kernels depend on the entry and its dimension only (parameters travel as data), so warming the
defaults serves every job on a 1-D well, Muller-Brown, Himmelblau and the 2-D defaults of the others.
"""

from __future__ import annotations

from ....spec import LandscapeSpec
from ...landscapes.build import build_landscape
from ...landscapes.catalog import CATALOG
from .availability import numba_status
from .gradient_code import gradient_code
from .kernel_cache import compiled_kernel


def warm_catalog_kernels() -> dict[str, float]:
    """Seconds spent making each catalog entry's stepping kernel ready ({} when numba is unavailable)."""
    if not numba_status()[0]:
        return {}
    spent = {}
    for name in CATALOG:
        code = gradient_code(build_landscape(LandscapeSpec(builtin=name)))
        spent[name] = compiled_kernel(code, "full_gradient_chunk")[1]
    return spent
