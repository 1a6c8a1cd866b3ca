"""LANDSCAPE: exactly one of a catalog entry, a formula, or a finite-sum loss over data."""

from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import Field, model_validator

from .base import Pair, StrictModel

Number = float
Range = list[Pair]


class DataGeneratorSpec(StrictModel):
    """A seeded synthetic data set: `linear_regression`, `logistic_regression` or `gaussian_mixture`."""

    generator: Literal["linear_regression", "logistic_regression", "gaussian_mixture"]
    n: int = Field(200, ge=1, description="number of data rows")
    dim: int = Field(1, ge=1, description="dimension of the inputs (and of w for regression)")
    noise: float = Field(0.1, ge=0, description="label noise (linear_regression) or cluster std (gaussian_mixture)")
    components: int = Field(2, ge=1, description="gaussian_mixture: number of clusters (at most n)")
    separation: float = Field(2.0, ge=0, description="gaussian_mixture: distance of cluster centres from 0")
    seed: int = Field(0, ge=0, description="seed of the generator")


class FiniteSumSpec(StrictModel):
    """L(w) = mean over data rows of `per_sample`, a formula in `variables` and the data columns."""

    per_sample: str = Field(..., description="per-sample loss, e.g. 0.5*(x*w - y)**2")
    variables: list[str] = Field(default_factory=lambda: ["w"], min_length=1)
    data: dict[str, Any] = Field(..., description="columns {name: [numbers]} or {generator: NAME, ...}",
                                 json_schema_extra={"anyOf": [  # documents both forms (validated in datasets.py)
                                     {"additionalProperties": {"type": "array", "items": {"type": "number"}}},
                                     DataGeneratorSpec.model_json_schema()]})
    range: Optional[Range] = Field(None, description="plotting/histogram range per variable")


class LandscapeSpec(StrictModel):
    """Exactly one of `builtin`, `expression` or `finite_sum`."""

    model_config = {"json_schema_extra": {"oneOf": [{"required": ["builtin"]}, {"required": ["expression"]},
                                                    {"required": ["finite_sum"]}]}}

    builtin: Optional[str] = Field(None, description="catalog name, see GET /v1/landscapes")
    params: dict[str, Any] = Field(default_factory=dict, description="catalog parameters (builtin only)")
    expression: Optional[str] = Field(None, description="a formula in `variables`")
    variables: Optional[list[str]] = Field(None, min_length=1, description="formula variables, default ['w']")
    range: Optional[Range] = Field(None, description="plotting/histogram range per variable (expression)")
    finite_sum: Optional[FiniteSumSpec] = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "LandscapeSpec":
        given = [k for k in ("builtin", "expression", "finite_sum") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'builtin', 'expression' or 'finite_sum'"
                             + (f" (got {', '.join(given)})" if given else ""))
        if self.params and self.builtin is None:
            raise ValueError("'params' goes with 'builtin'")
        if self.variables is not None and self.expression is None:
            raise ValueError("'variables' goes with 'expression' (finite_sum has its own)")
        return self
