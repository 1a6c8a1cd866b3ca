"""Finite-sum losses L(w) = mean_i l(w; row_i) with a user per-sample formula over data columns."""

from __future__ import annotations

import keyword
from typing import Any, Mapping, Sequence

import numpy as np

from ...limits import DEFAULT_LIMITS, Limits
from ..errors import LimitExceeded, SpecError
from .base import FiniteSumLandscape
from .formula import (FUNCTIONS, check_range, checked_variables, compile_derivatives,
                      make_symbols, parse_with_symbols)

#: Elements (particles x rows) evaluated at once by the full-data loss, gradient and Hessian.
CHUNK_ELEMENTS = 1 << 20


def check_data(data: Mapping[str, Any], variables: Sequence[str], limits: Limits = DEFAULT_LIMITS
               ) -> dict[str, np.ndarray]:
    """Validate inline columns: identifiers, no clash, equal lengths, finite numbers, within limits.

    Errors name `data` or `data.<column>`.
    """
    if not isinstance(data, Mapping) or not data:
        raise SpecError("give the data as columns {name: [numbers], ...}", "data")
    if len(data) > limits.max_data_columns:
        raise LimitExceeded("data", "max_data_columns", limits.max_data_columns, len(data))
    columns: dict[str, np.ndarray] = {}
    length = None
    for name, values in data.items():
        field = f"data.{name}"
        if not isinstance(name, str) or not name.isascii() or not name.isidentifier() or name.startswith("__"):
            raise SpecError(f"column name {name!r} is not a plain identifier", field)
        if keyword.iskeyword(name) or name in ("True", "False", "None"):
            raise SpecError(f"column name {name!r} is a Python keyword", field)
        if name in FUNCTIONS:
            raise SpecError(f"column name {name!r} is the name of a function", field)
        if name in variables:
            raise SpecError(f"column name {name!r} is also a variable", field)
        if not isinstance(values, (list, tuple, np.ndarray)):
            raise SpecError("must be a list of numbers", field)
        if len(values) > limits.max_data_rows:
            raise LimitExceeded(field, "max_data_rows", limits.max_data_rows, len(values))
        if isinstance(values, np.ndarray):
            col = np.asarray(values, dtype=float)
        else:
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                raise SpecError("must be a list of numbers", field)
            try:
                col = np.asarray(values, dtype=float)
            except OverflowError:
                raise SpecError("must be finite numbers", field) from None
        if col.ndim != 1 or col.size == 0:
            raise SpecError("must be a non-empty list of numbers", field)
        if not np.all(np.isfinite(col)):
            raise SpecError(f"must be finite numbers (entry {int(np.argmin(np.isfinite(col)))} is not)", field)
        if length is not None and col.size != length:
            raise SpecError(f"has {col.size} rows but the first column has {length}", field)
        length = col.size
        columns[name] = col
    return columns


class FiniteSumFormulaLandscape(FiniteSumLandscape):
    """L(w) = mean over data rows of a per-sample formula in `variables` and the data column names."""

    def __init__(self, per_sample: str, variables: Sequence[str], data: Mapping[str, Any],
                 range: Sequence[Sequence[float]] | None = None, limits: Limits = DEFAULT_LIMITS):
        names = checked_variables(variables, limits)
        self.columns = check_data(data, names, limits)
        self.default_range = check_range(range, len(names))
        var_symbols = make_symbols(names)
        all_symbols = {**var_symbols, **make_symbols(list(self.columns))}
        try:
            self.expr = parse_with_symbols(per_sample, all_symbols, limits)
            self._compiled = compile_derivatives(self.expr, list(var_symbols.values()), list(all_symbols.values()),
                                                 limits)
        except SpecError as exc:
            raise exc.at("per_sample") from None
        self.variables = names
        self.dim = len(names)
        self.n_samples = next(iter(self.columns.values())).size
        self.name = "finite_sum"
        self.formula = f"mean over {self.n_samples} rows of {per_sample.strip()}"
        self._data = list(self.columns.values())
        self._args = (per_sample, list(names), self.columns, list(self.default_range), limits)

    def _pickle_args(self) -> tuple:
        return self._args

    # ------------------------------------------------------------------ full-data evaluations, chunked

    def _chunks(self, n: int):
        """Particle slices such that one slice x all rows stays within CHUNK_ELEMENTS."""
        step = max(1, CHUNK_ELEMENTS // self.n_samples)
        for start in range(0, n, step):
            yield slice(start, min(n, start + step))

    def _full_args(self, w: np.ndarray) -> list[np.ndarray]:
        """Variables as (c, 1) columns and data as (1, N) rows."""
        return [w[:, k, None] for k in range(self.dim)] + [col[None, :] for col in self._data]

    def _mean_rows(self, value: Any, c: int) -> np.ndarray:
        """Mean over rows of a value broadcastable to (c, N)."""
        return np.broadcast_to(np.asarray(value, dtype=float), (c, self.n_samples)).mean(axis=1)

    def loss(self, w: np.ndarray) -> np.ndarray:
        """L(w) = mean_i l(w; row_i): (n, d) -> (n,)."""
        out = np.empty(w.shape[0])
        with np.errstate(all="ignore"):
            for s in self._chunks(w.shape[0]):
                out[s] = self._mean_rows(self._compiled.loss(*self._full_args(w[s])), s.stop - s.start)
        return out

    def grad(self, w: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Full-data gradient: (n, d) -> (n, d), into `out` when given."""
        if out is None:
            out = np.empty(w.shape, dtype=float)
        with np.errstate(all="ignore"):
            for s in self._chunks(w.shape[0]):
                for k, part in enumerate(self._compiled.grad(*self._full_args(w[s]))):
                    out[s, k] = self._mean_rows(part, s.stop - s.start)
        return out

    def hessian(self, w: np.ndarray) -> np.ndarray:
        """Full-data Hessian: (n, d) -> (n, d, d)."""
        n, d = w.shape
        out = np.empty((n, d, d))
        with np.errstate(all="ignore"):
            for s in self._chunks(n):
                for k, part in enumerate(self._compiled.hessian(*self._full_args(w[s]))):
                    out[s, k // d, k % d] = self._mean_rows(part, s.stop - s.start)
        return out

    def sample_hessians(self, w: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
        """Per-sample Hessians at one point w (d,) for the data rows `rows`: (rows, d, d)."""
        d = self.dim
        x = np.asarray(w, dtype=float).reshape(1, d)
        data = [col[None, rows] for col in self._data]
        n = data[0].shape[1]
        out = np.empty((n, d, d))
        with np.errstate(all="ignore"):
            for k, part in enumerate(self._compiled.hessian(*[x[:, j, None] for j in range(d)], *data)):
                out[:, k // d, k % d] = np.broadcast_to(np.asarray(part, dtype=float), (1, n))[0]
        return out

    # ------------------------------------------------------------------ minibatches

    def _batch_parts(self, w: np.ndarray, idx: np.ndarray) -> list[Any]:
        """Gradient components at each particle's rows: each broadcastable to (n, b)."""
        args = [w[:, k, None] for k in range(self.dim)] + [col[idx] for col in self._data]
        with np.errstate(all="ignore"):
            return list(self._compiled.grad(*args))

    def sample_grad(self, w: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Per-sample gradients: w (n, d), idx (n, b) row indices -> (n, b, d)."""
        out = np.empty(idx.shape + (self.dim,))
        for k, part in enumerate(self._batch_parts(w, idx)):
            out[:, :, k] = part
        return out

    def batch_grad(self, w: np.ndarray, idx: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Mean gradient over each particle's batch: (n, d), without materialising (n, b, d)."""
        if out is None:
            out = np.empty(w.shape, dtype=float)
        for k, part in enumerate(self._batch_parts(w, idx)):
            out[:, k] = np.broadcast_to(np.asarray(part, dtype=float), idx.shape).mean(axis=1)
        return out
