"""Learning-rate schedules as pure functions of the step t (t counts from 0).

Formulas (lr_t at step t):
- constant:      lr
- step:          lr * gamma ** floor(t / step_size)
- exponential:   lr * gamma ** t
- cosine:        SGDR warm restarts: lr_min + (lr_max - lr_min) * (1 + cos(pi * t_cur / T_i)) / 2, with
                 T_0 = period, T_i = period * period_mult**i and t_cur the steps since the last restart
- cyclic:        triangular: lr_min + (lr_max - lr_min) * (1 - |2 x - 1|), x = (t mod period) / period
- inverse_log:   c / log(t + t0), t0 > 1 (default e, so lr_0 = c)
- warmup_cosine: lr_max * (t + 1) / warmup for t < warmup, then a half cosine from lr_max to lr_min over the
                 remaining total - warmup steps (total defaults to the job's steps), lr_min afterwards
"""

from __future__ import annotations

import math
from typing import Union

import numpy as np

from ...spec.schedule import ScheduleSpec

LearningRate = Union[float, ScheduleSpec]


def _cosine_restart_position(t: np.ndarray, period: float, mult: float) -> tuple[np.ndarray, np.ndarray]:
    """Steps since the last restart and the current period length, for SGDR."""
    if mult == 1:
        return np.mod(t, period), np.full_like(t, period)
    i = np.floor(np.log(t / period * (mult - 1) + 1) / math.log(mult))
    start = period * (mult ** i - 1) / (mult - 1)
    length = period * mult ** i
    # guard float rounding at the restart boundaries
    over = t - start >= length
    i = np.where(over, i + 1, i)
    start = period * (mult ** i - 1) / (mult - 1)
    return t - start, period * mult ** i


def lr_at(lr: LearningRate, t: Union[int, np.ndarray], total_steps: int | None = None) -> Union[float, np.ndarray]:
    """The learning rate at step(s) t for a constant `lr` or a SCHEDULE."""
    scalar = np.ndim(t) == 0
    tt = np.asarray(t, dtype=float)
    if not isinstance(lr, ScheduleSpec):
        out = np.full_like(tt, float(lr))
        return float(out) if scalar else out
    s = lr
    name = s.schedule
    if name == "constant":
        out = np.full_like(tt, s.lr)
    elif name == "step":
        out = s.lr * s.gamma ** np.floor(tt / s.step_size)
    elif name == "exponential":
        out = s.lr * s.gamma ** tt
    elif name == "cosine":
        lo = s.lr_min or 0.0
        cur, length = _cosine_restart_position(tt, float(s.period), float(s.period_mult or 1))
        out = lo + 0.5 * (s.lr_max - lo) * (1 + np.cos(np.pi * cur / length))
    elif name == "cyclic":
        x = np.mod(tt, s.period) / s.period
        out = s.lr_min + (s.lr_max - s.lr_min) * (1 - np.abs(2 * x - 1))
    elif name == "inverse_log":
        t0 = s.t0 if s.t0 is not None else math.e
        out = s.c / np.log(tt + t0)
    elif name == "warmup_cosine":
        lo = s.lr_min or 0.0
        total = s.total or total_steps or (s.warmup + 1)
        warm = s.warmup
        p = np.clip((tt - warm) / max(1, total - warm), 0.0, 1.0)
        cos_part = lo + 0.5 * (s.lr_max - lo) * (1 + np.cos(np.pi * p))
        out = np.where(tt < warm, s.lr_max * (tt + 1) / max(warm, 1), cos_part)
    else:  # pragma: no cover - the schema forbids it
        raise ValueError(f"unknown schedule {name}")
    return float(out) if scalar else out


def lr_series(lr: LearningRate, steps: int) -> np.ndarray:
    """lr_t for t = 0 .. steps-1 as an array (what the simulator steps with)."""
    return np.asarray(lr_at(lr, np.arange(max(steps, 0)), steps), dtype=float).reshape(-1)


def final_lr(lr: LearningRate, steps: int) -> float:
    """The learning rate at the last step taken (t = steps - 1), used for the reported temperature."""
    return float(lr_at(lr, max(steps - 1, 0), steps))
