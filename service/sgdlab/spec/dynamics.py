"""The dynamics block: method, learning rate (number or schedule), batch size and noise model."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field, model_validator

from .base import StrictModel
from .schedule import ScheduleSpec


class DynamicsSpec(StrictModel):
    """How particles move: w <- w - lr grad L(w) + noise (see docs/API.md)."""

    method: Literal["langevin", "minibatch_sgd", "gradient_descent"] = "langevin"
    lr: Union[Annotated[float, Field(gt=0)], ScheduleSpec] = Field(0.01, description="a positive number or a SCHEDULE")
    batch_size: int = Field(1, ge=1, description="B: the noise scale is lr/sqrt(B)")
    noise: Literal["isotropic", "gradient_covariance"] = "isotropic"
    replacement: bool = Field(True, description="minibatch_sgd: sample with replacement, else epoch-wise shuffles")
    backend: Literal["auto", "numpy", "compiled"] = Field(
        "auto", description="stepping kernel: 'numpy' (vectorised), 'compiled' (fused numba loop), or 'auto' "
                            "(decided from the spec alone: compiled for large supported jobs when numba is present)")

    @model_validator(mode="after")
    def _check(self) -> "DynamicsSpec":
        if self.noise == "gradient_covariance" and self.method != "langevin":
            raise ValueError("noise 'gradient_covariance' applies to method 'langevin' only")
        return self
