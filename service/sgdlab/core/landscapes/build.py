"""Build the Landscape a request's LANDSCAPE block describes: a catalog entry, a formula or a finite sum."""

from __future__ import annotations

import threading
from collections import OrderedDict

from ...limits import DEFAULT_LIMITS, Limits
from ...spec.landscape import LandscapeSpec
from ..errors import LimitExceeded, SpecError
from .base import Landscape
from .catalog import build_builtin
from .datasets import generate
from .finite_sum import FiniteSumFormulaLandscape, check_data
from .formula import FormulaLandscape

DEFAULT_VARIABLES = ["w"]
CACHE_SIZE = 32  # landscapes (and refusals) kept per process, by spec

_cache: "OrderedDict[tuple[str, str], Landscape | SpecError]" = OrderedDict()
_cache_lock = threading.Lock()


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


def landscape_from_json(spec_json: str, limits_json: str) -> Landscape:
    """The landscape of a JSON LandscapeSpec under JSON Limits, built once per process; refusals are cached too.

    A SpecError (e.g. a formula whose derivatives exceed the symbolic budget) is remembered, so repeating the
    request costs a dictionary lookup, not the symbolic work again. The landscape gets `rebuild_key`, by which
    pickled references to it (basin maps) are resolved in another process without pickling compiled code.
    """
    key = (spec_json, limits_json)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
    if hit is None:
        try:
            hit = build_landscape(LandscapeSpec.model_validate_json(spec_json), Limits.model_validate_json(limits_json))
            hit.rebuild_key = key
        except SpecError as exc:
            hit = exc
        with _cache_lock:
            _cache[key] = hit
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    if isinstance(hit, SpecError):
        raise hit.copy()
    return hit

