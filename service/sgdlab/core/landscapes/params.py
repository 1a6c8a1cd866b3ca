"""Validators for catalog parameters: each takes the raw JSON value and returns a clean one or raises SpecError."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..errors import SpecError

Validator = Callable[[Any], Any]


def _is_number(value: Any) -> bool:
    """A JSON number (bools are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def real(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False) -> Validator:
    """A finite real number within [lo, hi] (or (lo, hi] with lo_open)."""

    def check(value: Any) -> float:
        if not _is_number(value):
            raise SpecError(f"must be a number, got {type(value).__name__}")
        try:
            x = float(value)
        except OverflowError:
            raise SpecError("must be a finite number") from None
        if not math.isfinite(x):
            raise SpecError("must be a finite number")
        if lo is not None and (x <= lo if lo_open else x < lo):
            raise SpecError(f"must be {'>' if lo_open else '>='} {lo:g}, got {x:g}")
        if hi is not None and x > hi:
            raise SpecError(f"must be <= {hi:g}, got {x:g}")
        return x

    return check


def integer(lo: int, hi: int | None = None) -> Validator:
    """An integer within [lo, hi] (a float with an integral value is accepted)."""

    def check(value: Any) -> int:
        if not _is_number(value) or (isinstance(value, float) and not value.is_integer()):
            raise SpecError(f"must be an integer, got {value!r}"[:80])
        n = int(value)
        if n < lo or (hi is not None and n > hi):
            raise SpecError(f"must be between {lo} and {hi}, got {n}" if hi is not None else f"must be >= {lo}")
        return n

    return check


def real_or_vector(item: Validator) -> Validator:
    """A number, or a non-empty list of numbers (each checked by `item`); returns a float or a 1-D array."""

    def check(value: Any) -> float | np.ndarray:
        if isinstance(value, (list, tuple)):
            if not value:
                raise SpecError("must be a number or a non-empty list of numbers")
            out = []
            for i, v in enumerate(value):
                try:
                    out.append(item(v))
                except SpecError as exc:
                    raise SpecError(f"entry {i} {exc.message}") from None
            return np.asarray(out, dtype=float)
        return item(value)

    return check


def optional(inner: Validator) -> Validator:
    """None or a value accepted by `inner`."""

    def check(value: Any) -> Any:
        return None if value is None else inner(value)

    return check
