"""The Landscape interface: loss, gradient and Hessian for a batch of points (particles x d)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


class Landscape:
    """A loss L: R^d -> R evaluated on batches. Subclasses implement `loss`, `grad` and `hessian`.

    Conventions (every implementation follows them):
    - `w` is a float64 array of shape (n, d); results are (n,), (n, d) and (n, d, d).
    - `grad(w, out=...)` may write into a preallocated (n, d) array and return it (the hot path).
    - `default_range` is a list of (lo, hi) per dimension for plots, histograms and grids.
    """

    dim: int
    name: str = "landscape"
    formula: str = ""
    default_range: list[tuple[float, float]]
    rebuild_key: tuple[str, str] | None = None   # (spec JSON, limits JSON) when built by landscape_from_json

    def __reduce_ex__(self, protocol):
        """Pickle by spec when built from one (rebuilt once per process), else by constructor arguments if the
        subclass gives them (`_pickle_args`: compiled formulas cannot be pickled), else as usual."""
        if self.rebuild_key is not None:
            from .build import landscape_from_json
            return (landscape_from_json, self.rebuild_key)
        args = self._pickle_args()
        if args is not None:
            return (type(self), args)
        return super().__reduce_ex__(protocol)

    def _pickle_args(self) -> tuple | None:
        """Constructor arguments that rebuild this landscape, or None to pickle its attributes."""
        return None

    def loss(self, w: np.ndarray) -> np.ndarray:
        """L(w) for each row of w: (n, d) -> (n,)."""
        raise NotImplementedError

    def grad(self, w: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """grad L(w) for each row: (n, d) -> (n, d), written into `out` when given."""
        raise NotImplementedError

    def hessian(self, w: np.ndarray) -> np.ndarray:
        """Hessian of L at each row: (n, d) -> (n, d, d)."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """A JSON-able description: name, dimension, formula and default range."""
        return {"name": self.name, "dim": self.dim, "formula": self.formula,
                "default_range": [list(map(float, r)) for r in self.default_range]}


class FiniteSumLandscape(Landscape):
    """L(w) = mean_i l(w; x_i): adds per-sample gradients for minibatch SGD and gradient-noise models."""

    n_samples: int

    def sample_grad(self, w: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Per-sample gradients: w (n, d), idx (n, b) ints -> (n, b, d)."""
        raise NotImplementedError

    def sample_hessians(self, w: np.ndarray, rows: slice = slice(None)) -> np.ndarray:
        """Per-sample Hessians at one point w (d,) for the data rows `rows`: (rows, d, d)."""
        raise NotImplementedError

    def batch_grad(self, w: np.ndarray, idx: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Mean gradient over each particle's batch: w (n, d), idx (n, b) -> (n, d)."""
        g = self.sample_grad(w, idx).mean(axis=1)
        if out is not None:
            out[...] = g
            return out
        return g


@dataclass(frozen=True)
class ParamInfo:
    """One parameter of a catalog landscape: its name, default and a short description."""

    name: str
    default: Any
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
