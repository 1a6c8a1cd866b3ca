"""Imported once by the forkserver so that worker processes start with the numerical stack loaded and the
catalog's compiled stepping kernels ready (compiled once per machine, then loaded from numba's disk cache)."""

import numpy  # noqa: F401
import scipy.optimize  # noqa: F401
import scipy.sparse.linalg  # noqa: F401
import scipy.stats  # noqa: F401
import sympy  # noqa: F401

import sgdlab.core.simulation.run_shard  # noqa: F401
import sgdlab.theory.landscape_analysis  # noqa: F401
from sgdlab.core.dynamics.compiled.warm import warm_catalog_kernels

try:
    CATALOG_KERNEL_SECONDS = warm_catalog_kernels()
except Exception:  # warming is an optimisation: a worker compiles on first use instead (the forkserver must start)
    CATALOG_KERNEL_SECONDS = {}
