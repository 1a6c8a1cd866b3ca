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


def normalised_spec(model: BaseModel) -> dict:
    """The request as stored and echoed in results: defaults filled in, unset options left out, and an explicit
    null kept where it switches off a block that is on by default (`observe.histogram: null`)."""
    out = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    _keep_explicit_nulls(model, out)
    return out


def _keep_explicit_nulls(model: BaseModel, out: dict) -> None:
    for name in model.model_fields_set:
        info = type(model).model_fields[name]
        key = info.alias or name
        value = getattr(model, name)
        if value is None and (info.default is not None or info.default_factory is not None):
            out[key] = None
        elif isinstance(value, BaseModel) and isinstance(out.get(key), dict):
            _keep_explicit_nulls(value, out[key])
