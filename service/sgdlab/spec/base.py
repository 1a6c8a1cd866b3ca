"""Shared pydantic configuration for request models: strict about unknown fields and non-finite numbers."""

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Base of every request model: unknown fields are refused, NaN and infinities are refused."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
