"""Shared pydantic configuration for request models: strict types, no unknown fields, no non-finite numbers."""

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


class StrictModel(BaseModel):
    """Base of every request model: unknown fields are refused, NaN and infinities are refused, and types are strict:
    "5" is not an int, true is not a number, "0.1" is not a float (an int is still a float: 1 means 1.0)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


def _json_array_as_tuple(v: Any) -> Any:
    """JSON has no tuples: a [lo, hi] array stands for a pair (strict mode would refuse the list)."""
    return tuple(v) if isinstance(v, list) else v


Pair = Annotated[tuple[float, float], BeforeValidator(_json_array_as_tuple)]
"""A [lo, hi] pair of numbers, as JSON sends it."""
