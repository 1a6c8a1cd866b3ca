"""Build the Landscape a request's LANDSCAPE block describes: a catalog entry, a formula or a finite sum."""

from __future__ import annotations

from ...limits import DEFAULT_LIMITS, Limits
from ...spec.landscape import LandscapeSpec
from ..errors import LimitExceeded, SpecError
from .base import Landscape
from .catalog import build_builtin
from .datasets import generate
from .finite_sum import FiniteSumFormulaLandscape, check_data
from .formula import FormulaLandscape

DEFAULT_VARIABLES = ["w"]


def build_landscape(spec: LandscapeSpec, limits: Limits = DEFAULT_LIMITS) -> Landscape:
    """The Landscape of `spec`; SpecError field paths are relative to the landscape block (the API adds `landscape.`)."""
    if spec.builtin is not None:
        landscape = build_builtin(spec.builtin, spec.params, limits)
    elif spec.expression is not None:
        landscape = FormulaLandscape(spec.expression, spec.variables or DEFAULT_VARIABLES, spec.range, limits)
    elif spec.finite_sum is not None:
        landscape = _build_finite_sum(spec, limits)
    else:  # the spec's validator makes this unreachable
        raise SpecError("give exactly one of 'builtin', 'expression' or 'finite_sum'")
    if landscape.dim > limits.max_dim:
        raise LimitExceeded("dim", "max_dim", limits.max_dim, landscape.dim)
    return landscape


def _build_finite_sum(spec: LandscapeSpec, limits: Limits) -> FiniteSumFormulaLandscape:
    """A finite sum over inline columns or a generated data set; errors are under `finite_sum.`."""
    fs = spec.finite_sum
    try:
        if isinstance(fs.data, dict) and "generator" in fs.data:
            data = check_data(generate(fs.data, limits), fs.variables, limits)
        else:
            data = fs.data
        return FiniteSumFormulaLandscape(fs.per_sample, fs.variables, data, fs.range, limits)
    except SpecError as exc:
        raise exc.at("finite_sum") from None
