"""The sweep request (kind "sweep"): a base job and the axes whose grid of points is run as sub-jobs."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import BeforeValidator, Field, JsonValue, model_validator

from .base import StrictModel, _json_array_as_tuple
from .job import JobRequest

DERIVED_AXES: dict[str, str] = {
    "temperature": "dynamics.lr",   # lr = 2 B T at the point's batch size
    "lr_over_b": "dynamics.lr",     # lr = ratio * B
    "time": "steps",                # steps = round(time / lr), so points compare at equal continuous time
}
"""Axis names that are not paths into the base job, and the field of the job each one sets."""

Spacing = Annotated[tuple[float, float, int], BeforeValidator(_json_array_as_tuple)]
"""[lo, hi, n] of linspace and geomspace, as JSON sends it."""


class SweepAxis(StrictModel):
    """One axis: a dotted path into the base job (or a derived axis) and its values."""

    path: str = Field(..., min_length=1, max_length=200,
                      description="dotted path into the base job (`dynamics.lr`, `observe.exit_times.radius`, "
                                  "`init.point.0`) or a derived axis: " + ", ".join(DERIVED_AXES))
    values: Optional[list[JsonValue]] = Field(None, description="the values, in order: numbers, strings, or "
                                                                "objects (e.g. a SCHEDULE for dynamics.lr)")
    linspace: Optional[Spacing] = Field(None, description="[lo, hi, n]: n evenly spaced values")
    geomspace: Optional[Spacing] = Field(None, description="[lo, hi, n]: n log-spaced values")

    @model_validator(mode="after")
    def _one_source(self) -> "SweepAxis":
        given = [k for k in ("values", "linspace", "geomspace") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'values', 'linspace' or 'geomspace'")
        return self


class SweepRequest(StrictModel):
    """A grid of jobs: the base job with each point's axis values set; `repeats` independent seeds per point."""

    kind: Literal["sweep"]
    base: JobRequest
    axes: list[SweepAxis] = Field(..., min_length=1, max_length=8)
    mode: Literal["product", "zip"] = Field("product", description="product: every combination; zip: the i-th "
                                                                   "values of every axis together")
    repeats: int = Field(1, ge=1, description="independent seeds per point (SeedSequence(base.seed).spawn)")
