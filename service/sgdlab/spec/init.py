"""The init block: where particles start."""

from __future__ import annotations

from typing import Optional

from pydantic import Field, model_validator

from .base import StrictModel


class UniformInit(StrictModel):
    low: list[float]
    high: list[float]


class NormalInit(StrictModel):
    mean: list[float]
    std: float = Field(..., ge=0)


class InitSpec(StrictModel):
    """Exactly one of a uniform box, a point, a normal, or minimum k (index into result.landscape.minima)."""

    model_config = {"json_schema_extra": {"oneOf": [{"required": [k]} for k in ("uniform", "point", "normal",
                                                                               "minimum")]}}

    uniform: Optional[UniformInit] = None
    point: Optional[list[float]] = None
    normal: Optional[NormalInit] = None
    minimum: Optional[int] = Field(None, ge=0)

    @model_validator(mode="after")
    def _one(self) -> "InitSpec":
        given = [k for k in ("uniform", "point", "normal", "minimum") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'uniform', 'point', 'normal' or 'minimum'")
        if self.uniform is not None:
            if len(self.uniform.low) != len(self.uniform.high):
                raise ValueError("uniform.low and uniform.high differ in length")
            if any(lo > hi for lo, hi in zip(self.uniform.low, self.uniform.high)):
                raise ValueError("uniform.low must not exceed uniform.high")
        return self
