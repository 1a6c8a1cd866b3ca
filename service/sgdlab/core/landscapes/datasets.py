"""Seeded synthetic data sets for finite-sum losses.

Every generator returns a dict of float64 columns of length n. Inputs are named `x` when dim == 1 and
`x1`, ..., `x<dim>` otherwise; the label column is `y`. The same seed always gives the same data
(`numpy.random.default_rng(seed)`).

- linear_regression: x ~ N(0, I), y = sum_k x_k + noise * N(0, 1)   (true weights all 1).
- logistic_regression: x ~ N(0, I), y in {-1, +1} with P(y = +1) = sigmoid(2 * sum_k x_k)   (true weights all 2),
  so the per-sample loss is naturally written log(1 + exp(-y * (w * x))).
- gaussian_mixture: `components` clusters of std `noise` whose centres lie at distance `separation` from 0
  (on a circle in the first two axes when dim >= 2, evenly spaced on [-separation, separation] when dim == 1);
  y is the cluster index 0..components-1 (as a float).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from pydantic import ValidationError

from ...limits import DEFAULT_LIMITS, Limits
from ...spec.landscape import DataGeneratorSpec
from ..errors import LimitExceeded, SpecError

Columns = dict[str, np.ndarray]


def input_names(dim: int) -> list[str]:
    """Names of the input columns: ['x'] for dim 1, else ['x1', ..., 'x<dim>']."""
    return ["x"] if dim == 1 else [f"x{k + 1}" for k in range(dim)]


def _as_columns(x: np.ndarray, y: np.ndarray) -> Columns:
    cols = {name: np.ascontiguousarray(x[:, k]) for k, name in enumerate(input_names(x.shape[1]))}
    cols["y"] = np.asarray(y, dtype=float)
    return cols


def linear_regression(n: int, dim: int = 1, noise: float = 0.1, seed: int = 0) -> Columns:
    """y = sum_k x_k + noise * eps with x, eps standard normal."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    y = x.sum(axis=1) + noise * rng.standard_normal(n)
    return _as_columns(x, y)


def logistic_regression(n: int, dim: int = 1, seed: int = 0) -> Columns:
    """Labels y in {-1, +1} with P(y = +1 | x) = sigmoid(2 * sum_k x_k), x standard normal."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    p = 1.0 / (1.0 + np.exp(-2.0 * x.sum(axis=1)))
    y = np.where(rng.random(n) < p, 1.0, -1.0)
    return _as_columns(x, y)


def mixture_centres(dim: int, components: int, separation: float) -> np.ndarray:
    """Cluster centres (components, dim) at distance `separation` from the origin."""
    centres = np.zeros((components, dim))
    if dim == 1:
        centres[:, 0] = np.linspace(-separation, separation, components) if components > 1 else separation
    else:
        angle = 2 * np.pi * np.arange(components) / components
        centres[:, 0] = separation * np.cos(angle)
        centres[:, 1] = separation * np.sin(angle)
    return centres


def gaussian_mixture(n: int, dim: int = 1, components: int = 2, separation: float = 2.0, noise: float = 0.1,
                     seed: int = 0) -> Columns:
    """Points from `components` Gaussian clusters of std `noise`; y is the cluster index."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, components, size=n)
    x = mixture_centres(dim, components, separation)[labels] + noise * rng.standard_normal((n, dim))
    return _as_columns(x, labels.astype(float))


GENERATORS: dict[str, Callable[[DataGeneratorSpec], Columns]] = {
    "linear_regression": lambda s: linear_regression(s.n, s.dim, s.noise, s.seed),
    "logistic_regression": lambda s: logistic_regression(s.n, s.dim, s.seed),
    "gaussian_mixture": lambda s: gaussian_mixture(s.n, s.dim, s.components, s.separation, s.noise, s.seed),
}


def generate(data: dict[str, Any], limits: Limits = DEFAULT_LIMITS) -> Columns:
    """Columns from a `{generator: NAME, ...}` block; errors name `data.<field>`."""
    try:
        spec = DataGeneratorSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "generator"
        raise SpecError(first["msg"], f"data.{where}") from None
    if spec.n > limits.max_data_rows:
        raise LimitExceeded("data.n", "max_data_rows", limits.max_data_rows, spec.n)
    if spec.dim + 1 > limits.max_data_columns:
        raise LimitExceeded("data.dim", "max_data_columns", limits.max_data_columns, spec.dim + 1)
    if spec.generator == "gaussian_mixture" and spec.components > spec.n:
        raise SpecError(f"at most one component per data row (n={spec.n})", "data.components")
    return GENERATORS[spec.generator](spec)
