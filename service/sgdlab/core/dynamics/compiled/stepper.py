"""What a shard calls on the compiled backend: a block of particles advanced through a chunk of steps in place,
with the every-step observers (first passage, time-average histogram) fused into the kernel."""

from __future__ import annotations

import math
import weakref
from typing import Callable

import numpy as np

from ....spec.dynamics import DynamicsSpec
from ...errors import SpecError
from ...landscapes.base import Landscape
from ...observers.first_passage import FirstPassageObserver
from ...observers.histograms import HistogramObserver
from .gradient_code import GradientCode, gradient_code
from .kernel_cache import compiled_kernel

_CODES: "weakref.WeakKeyDictionary[Landscape, GradientCode]" = weakref.WeakKeyDictionary()
_NO_INTS = np.zeros(0, dtype=np.int64)


def kernel_name(dynamics: DynamicsSpec) -> str:
    """The kernel a method runs on: minibatch draws (finite sums), else the full gradient."""
    return "minibatch_chunk" if dynamics.method == "minibatch_sgd" else "full_gradient_chunk"


def landscape_kernel(landscape: Landscape, dynamics: DynamicsSpec) -> tuple[GradientCode, Callable, float]:
    """(gradient code, kernel, seconds spent compiling or loading it now): code generated once per landscape
    object (landscapes are cached per process by spec), kernels once per process by source."""
    code = _CODES.get(landscape)
    if code is None:
        code = _CODES[landscape] = gradient_code(landscape)
    try:
        kernel, seconds = compiled_kernel(code, kernel_name(dynamics))
    except Exception as exc:  # numba's typing or lowering errors: say which field avoids them
        raise SpecError(f"the compiled kernel for this landscape could not be built ({type(exc).__name__}: "
                        f"{str(exc)[:200]}); set dynamics.backend to 'numpy'", "dynamics.backend") from None
    return code, kernel, seconds


class CompiledStepper:
    """Advances blocks of one shard with a compiled kernel; holds the fused observers' arrays."""

    def __init__(self, landscape: Landscape, dynamics: DynamicsSpec, observers: dict, lrs: np.ndarray):
        self.code, self.kernel, self.compile_seconds = landscape_kernel(landscape, dynamics)
        d = landscape.dim
        self.lrs = np.ascontiguousarray(lrs, dtype=float)
        self.noisy = dynamics.method == "langevin"
        self.noise_scale = 1.0 / math.sqrt(dynamics.batch_size)
        self.batch = int(dynamics.batch_size)
        self.rows = self.code.rows if self.code.rows is not None else np.zeros((0, 0))
        fp = next((o for o in observers.values() if isinstance(o, FirstPassageObserver)), None)
        self.fp = fp
        self.fp_target = np.ascontiguousarray(fp.target, dtype=float) if fp else np.zeros(d)
        self.fp_r2 = float(fp.r2) if fp else 0.0
        hist = next((o for o in observers.values() if isinstance(o, HistogramObserver)), None)
        self.ta = hist if hist is not None and hist.avg is not None else None
        b = self.ta.binning if self.ta else None
        self.ta_args = ((self.ta.avg, np.ascontiguousarray(b.lo), np.ascontiguousarray(b.scale),
                         np.ascontiguousarray(b.bins, dtype=np.int64), int(b.bins.max()), int(self.ta.burn_in),
                         int(self.ta.every)) if self.ta else
                        (_NO_INTS, np.zeros(d), np.ones(d), np.ones(d, dtype=np.int64), 1, 0, 1))

    def advance(self, w: np.ndarray, t0: int, t1: int, rng: np.random.Generator) -> None:
        """Steps t0 .. t1-1 of the block w (n, d) in place; the fused observers record steps t0+1 .. t1-1
        (the shard calls every observer's after_step at t1)."""
        fp_times = self.fp.times if self.fp is not None else _NO_INTS
        self.kernel(w, self.lrs, int(t0), int(t1), self.noise_scale, self.noisy, self.batch, rng,
                    self.code.params, self.rows, self.fp is not None, fp_times, self.fp_target, self.fp_r2,
                    self.ta is not None, *self.ta_args)
