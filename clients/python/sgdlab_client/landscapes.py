"""LANDSCAPE builders: catalog entries, formulas and finite sums over data."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from .spec import FiniteSum, Landscape


def _range(r: Optional[Sequence[Sequence[float]]]) -> Optional[list[tuple[float, float]]]:
    return [tuple(x) for x in r] if r is not None else None  # type: ignore[misc]


def builtin(name: str, **params: Any) -> Landscape:
    """A catalog landscape (GET /v1/landscapes lists names and parameters)."""
    return Landscape(builtin=name, params=params) if params else Landscape(builtin=name)


def double_well(**params: Any) -> Landscape:
    """The catalog double well, e.g. `double_well(tilt=0.1)`."""
    return builtin("double_well", **params)


def expression(formula: str, variables: Optional[Sequence[str]] = None,
               range: Optional[Sequence[Sequence[float]]] = None) -> Landscape:
    """A formula landscape, e.g. `expression("w**4/4 - w**2/2 + 0.1*w")` (variables default `["w"]`)."""
    fields: dict[str, Any] = {"expression": formula}
    if variables is not None:
        fields["variables"] = list(variables)
    if range is not None:
        fields["range"] = _range(range)
    return Landscape(**fields)


def finite_sum(per_sample: str, data: Mapping[str, Any], variables: Optional[Sequence[str]] = None,
               range: Optional[Sequence[Sequence[float]]] = None) -> Landscape:
    """L(w) = mean over data rows of `per_sample`; `data` holds columns or `{"generator": NAME, ...}`."""
    fields: dict[str, Any] = {"per_sample": per_sample, "data": dict(data)}
    if variables is not None:
        fields["variables"] = list(variables)
    if range is not None:
        fields["range"] = _range(range)
    return Landscape(finite_sum=FiniteSum(**fields))


def generated_data(generator: str, **params: Any) -> dict[str, Any]:
    """The `data` of a finite sum drawn from a seeded synthetic generator (e.g. `linear_regression`)."""
    return {"generator": generator, **params}
