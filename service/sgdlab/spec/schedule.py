"""SCHEDULE: a learning rate as a pure function of the step t (t counts from 0)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from .base import StrictModel

MAX_SCHEDULE_STEPS = 10**9  # sanity bound on step counts inside a schedule (jobs are bounded by max_steps)

ScheduleName = Literal["constant", "step", "exponential", "cosine", "cyclic", "inverse_log", "warmup_cosine"]


class ScheduleSpec(StrictModel):
    """A schedule and its parameters. See `sgdlab.core.dynamics.schedules` for each formula."""

    schedule: ScheduleName
    lr: Optional[float] = Field(None, gt=0, description="constant/step/exponential: initial lr")
    gamma: Optional[float] = Field(None, gt=0, le=1, description="step/exponential: decay factor")
    step_size: Optional[int] = Field(None, ge=1, le=MAX_SCHEDULE_STEPS, description="step: decay every step_size steps")
    lr_max: Optional[float] = Field(None, gt=0, description="cosine/cyclic/warmup_cosine: peak lr")
    lr_min: Optional[float] = Field(None, ge=0, description="cosine/cyclic/warmup_cosine: floor lr")
    period: Optional[int] = Field(None, ge=1, le=MAX_SCHEDULE_STEPS, description="cosine: first restart period; cyclic: full cycle length")
    period_mult: Optional[int] = Field(None, ge=1, le=1000, description="cosine: period multiplier after each restart")
    warmup: Optional[int] = Field(None, ge=0, le=MAX_SCHEDULE_STEPS, description="warmup_cosine: linear warm-up steps")
    total: Optional[int] = Field(None, ge=1, le=MAX_SCHEDULE_STEPS, description="warmup_cosine: total steps (default: the job's steps)")
    c: Optional[float] = Field(None, gt=0, description="inverse_log: lr_t = c / log(t + t0)")
    t0: Optional[float] = Field(None, gt=1, description="inverse_log: offset, > 1")

    @model_validator(mode="after")
    def _required(self) -> "ScheduleSpec":
        need = {"constant": ["lr"], "step": ["lr", "gamma", "step_size"], "exponential": ["lr", "gamma"],
                "cosine": ["lr_max", "period"], "cyclic": ["lr_min", "lr_max", "period"],
                "inverse_log": ["c"], "warmup_cosine": ["lr_max", "warmup"]}[self.schedule]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"schedule '{self.schedule}' needs {', '.join(missing)}")
        if self.lr_min is not None and self.lr_max is not None and self.lr_min > self.lr_max:
            raise ValueError("lr_min must not exceed lr_max")
        return self
