"""Which stepping backend a job runs on: `numpy` or `compiled`, decided from the request alone.

`auto` never looks at the machine or the worker count (only at the spec, and at whether numba imports at all,
which is a property of the installation), so the random streams and the numbers of a seed do not change with
where the job runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...spec import JobRequest
from ..errors import SpecError
from ..landscapes.base import FiniteSumLandscape, Landscape
from .compiled.availability import numba_status

#: `auto` compiles from this much work on (particle-steps x data rows read per step): where NumPy would take
#: several (AMORTISE) times the compile time, so compiling pays even when the machine is busy. Catalog kernels
#: are warmed at worker start and cached on disk (ready in milliseconds). Measured by
#: bench/bench_compile_amortise.py (empty kernel cache, one core): a new formula compiles in ~0.9 s and NumPy
#: takes ~30 ns a particle-step (4 x 0.9 s / 30 ns = 1.2e8); a new finite sum compiles in ~1.4 s and NumPy takes
#: ~17 ns a row and step (4 x 1.4 s / 17 ns = 3.3e8). A finite sum of 4 rows at 6e7 rows (1.0 s on NumPy) stays
#: on NumPy.
AMORTISE = 4.0
AUTO_MIN_WORK = {"builtin": 1e7, "expression": 1e8, "finite_sum": 3e8}


@dataclass(frozen=True)
class BackendChoice:
    """The backend that runs, and why (reported in `performance`)."""

    name: str
    reason: str


def compiled_unsupported(spec: JobRequest) -> str | None:
    """Why the compiled kernels cannot run this dynamics, or None when they can."""
    dyn = spec.dynamics
    if dyn.noise == "gradient_covariance":
        return ("gradient_covariance noise stays on numpy: each step draws one normal per data row and particle "
                "and sums n gradients, already vectorised at NumPy's draw rate")
    if dyn.method == "minibatch_sgd" and not dyn.replacement:
        return ("epoch-wise shuffles stay on numpy: the per-particle permutations are n indices per particle, "
                "the same memory traffic compiled or not")
    return None


def _landscape_kind(spec: JobRequest) -> str:
    ls = spec.landscape
    return "builtin" if ls.builtin is not None else ("expression" if ls.expression is not None else "finite_sum")


def _rows_per_step(spec: JobRequest, landscape: Landscape) -> int:
    if spec.dynamics.method == "minibatch_sgd":
        return spec.dynamics.batch_size
    return landscape.n_samples if isinstance(landscape, FiniteSumLandscape) else 1


def choose_backend(spec: JobRequest, landscape: Landscape) -> BackendChoice:
    """Resolve `dynamics.backend`; an explicit `compiled` that cannot run is a SpecError on dynamics.backend."""
    requested = spec.dynamics.backend
    if requested == "numpy":
        return BackendChoice("numpy", "requested")
    unsupported = compiled_unsupported(spec)
    available, numba_note = numba_status()
    if requested == "compiled":
        if unsupported:
            raise SpecError(unsupported, "dynamics.backend")
        if not available:
            raise SpecError(f"the compiled backend is not available here: {numba_note}", "dynamics.backend")
        return BackendChoice("compiled", "requested")
    if unsupported:
        return BackendChoice("numpy", f"auto: {unsupported}")
    kind = _landscape_kind(spec)
    work = float(spec.particles) * spec.steps * _rows_per_step(spec, landscape)
    threshold = AUTO_MIN_WORK[kind]
    if work < threshold:
        return BackendChoice("numpy", f"auto: {work:.3g} particle-step rows is below {threshold:.0e} for a "
                                      f"{kind} landscape: NumPy would not take {AMORTISE:g}x the compile time")
    if not available:
        return BackendChoice("numpy", f"auto: {numba_note}; ran on numpy")
    return BackendChoice("compiled", f"auto: {work:.3g} particle-step rows, at least {threshold:.0e} for a "
                                     f"{kind} landscape")
