"""Each schedule matches its formula at chosen steps (values computed by hand)."""

import math

import numpy as np
import pytest

from sgdlab.core.dynamics.schedules import final_lr, lr_at, lr_series
from sgdlab.spec import ScheduleSpec


def S(**kw):
    return ScheduleSpec(**kw)


@pytest.mark.parametrize("spec, t, expected", [
    (0.05, 123, 0.05),
    (S(schedule="constant", lr=0.3), 10, 0.3),
    (S(schedule="step", lr=0.1, gamma=0.5, step_size=100), 99, 0.1),
    (S(schedule="step", lr=0.1, gamma=0.5, step_size=100), 100, 0.05),
    (S(schedule="step", lr=0.1, gamma=0.5, step_size=100), 250, 0.025),
    (S(schedule="exponential", lr=0.2, gamma=0.99), 0, 0.2),
    (S(schedule="exponential", lr=0.2, gamma=0.99), 10, 0.2 * 0.99 ** 10),
    # SGDR, period 100, no multiplier: cosine from lr_max to lr_min, restart at 100
    (S(schedule="cosine", lr_max=1.0, lr_min=0.0, period=100), 0, 1.0),
    (S(schedule="cosine", lr_max=1.0, lr_min=0.0, period=100), 50, 0.5),
    (S(schedule="cosine", lr_max=1.0, lr_min=0.2, period=100), 25, 0.2 + 0.8 * (1 + math.cos(math.pi / 4)) / 2),
    (S(schedule="cosine", lr_max=1.0, lr_min=0.0, period=100), 100, 1.0),
    # period_mult 2: restarts at 100, 300, 700; at t=200 we are half-way through the 200-step second period
    (S(schedule="cosine", lr_max=1.0, period=100, period_mult=2), 200, 0.5),
    (S(schedule="cosine", lr_max=1.0, period=100, period_mult=2), 300, 1.0),
    (S(schedule="cosine", lr_max=1.0, period=100, period_mult=2), 299, 0.5 * (1 + math.cos(math.pi * 199 / 200))),
    # triangular cycle of 100 steps between 0.1 and 0.5
    (S(schedule="cyclic", lr_min=0.1, lr_max=0.5, period=100), 0, 0.1),
    (S(schedule="cyclic", lr_min=0.1, lr_max=0.5, period=100), 25, 0.3),
    (S(schedule="cyclic", lr_min=0.1, lr_max=0.5, period=100), 50, 0.5),
    (S(schedule="cyclic", lr_min=0.1, lr_max=0.5, period=100), 75, 0.3),
    (S(schedule="cyclic", lr_min=0.1, lr_max=0.5, period=100), 100, 0.1),
    (S(schedule="inverse_log", c=0.5), 0, 0.5),                      # t0 defaults to e
    (S(schedule="inverse_log", c=0.5, t0=2.0), 98, 0.5 / math.log(100)),
    (S(schedule="warmup_cosine", lr_max=1.0, warmup=10, total=110), 0, 0.1),
    (S(schedule="warmup_cosine", lr_max=1.0, warmup=10, total=110), 9, 1.0),
    (S(schedule="warmup_cosine", lr_max=1.0, warmup=10, total=110), 60, 0.5),
    (S(schedule="warmup_cosine", lr_max=1.0, lr_min=0.1, warmup=10, total=110), 110, 0.1),
])
def test_schedule_matches_formula(spec, t, expected):
    assert lr_at(spec, t, 1000) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_series_equals_pointwise_and_final_is_last_step():
    s = S(schedule="cosine", lr_max=0.4, lr_min=0.01, period=37, period_mult=3)
    series = lr_series(s, 500)
    assert series.shape == (500,)
    assert np.allclose(series, [lr_at(s, t, 500) for t in range(500)], rtol=1e-12)
    assert final_lr(s, 500) == pytest.approx(series[-1])


def test_warmup_cosine_total_defaults_to_job_steps():
    s = S(schedule="warmup_cosine", lr_max=1.0, warmup=0)
    assert lr_at(s, 50, 100) == pytest.approx(0.5)


def test_schedule_missing_parameters_are_refused():
    with pytest.raises(ValueError, match="needs"):
        S(schedule="step", lr=0.1)
    with pytest.raises(ValueError):
        S(schedule="cyclic", lr_min=0.5, lr_max=0.1, period=10)
