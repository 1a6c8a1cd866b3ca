"""SCHEDULE builders: a learning rate as a function of the step t (t counts from 0); formulas live in the service."""

from __future__ import annotations

from typing import Any, Optional

from .spec import Schedule


def _schedule(name: str, **params: Any) -> Schedule:
    return Schedule(schedule=name, **{k: v for k, v in params.items() if v is not None})


def constant(lr: float) -> Schedule:
    """lr_t = lr."""
    return _schedule("constant", lr=lr)


def step(lr: float, gamma: float, step_size: int) -> Schedule:
    """lr_t = lr * gamma ** (t // step_size)."""
    return _schedule("step", lr=lr, gamma=gamma, step_size=step_size)


def exponential(lr: float, gamma: float) -> Schedule:
    """lr_t = lr * gamma ** t."""
    return _schedule("exponential", lr=lr, gamma=gamma)


def cosine(lr_max: float, period: int, lr_min: Optional[float] = None, period_mult: Optional[int] = None) -> Schedule:
    """Cosine annealing from lr_max to lr_min over `period` steps, with warm restarts (period grows by period_mult)."""
    return _schedule("cosine", lr_max=lr_max, period=period, lr_min=lr_min, period_mult=period_mult)


def cyclic(lr_min: float, lr_max: float, period: int) -> Schedule:
    """Triangular cycles between lr_min and lr_max, one full cycle per `period` steps."""
    return _schedule("cyclic", lr_min=lr_min, lr_max=lr_max, period=period)


def inverse_log(c: float, t0: Optional[float] = None) -> Schedule:
    """lr_t = c / log(t + t0): the classical annealing schedule."""
    return _schedule("inverse_log", c=c, t0=t0)


def warmup_cosine(lr_max: float, warmup: int, total: Optional[int] = None, lr_min: Optional[float] = None) -> Schedule:
    """Linear warm-up to lr_max over `warmup` steps, then cosine decay to lr_min at `total` (default: the job's steps)."""
    return _schedule("warmup_cosine", lr_max=lr_max, warmup=warmup, total=total, lr_min=lr_min)
