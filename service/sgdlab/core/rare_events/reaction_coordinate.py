"""Reaction coordinates xi(w) for splitting: a tabulated committor, a distance ratio, or a user formula.

Each is a picklable callable (n, d) -> (n,) that grows from minimum `from` towards minimum `to`. The committor
table is computed by the theory layer and handed in as arrays, so the core needs no theory import.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ...limits import DEFAULT_LIMITS, Limits
from ..errors import SpecError


class GridCoordinate:
    """xi interpolated (linearly) on a regular 1-D or 2-D grid of nodes; points outside are clamped to the box."""

    name = "committor"

    def __init__(self, nodes: Sequence[np.ndarray], values: np.ndarray):
        self.nodes = [np.asarray(n, dtype=float) for n in nodes]
        if not all(np.allclose(np.diff(n), (n[-1] - n[0]) / (len(n) - 1)) for n in self.nodes):
            raise ValueError("the coordinate table needs evenly spaced nodes")
        self.values = np.asarray(values, dtype=float)
        self._interp = None

    def __getstate__(self):
        return {"nodes": self.nodes, "values": self.values, "_interp": None}

    def __call__(self, w: np.ndarray) -> np.ndarray:
        if len(self.nodes) == 1:
            x, v = self.nodes[0], self.values
            pos = w[:, 0] - x[0]                                # the nodes are evenly spaced
            pos *= (len(x) - 1) / (x[-1] - x[0])
            np.maximum(pos, 0.0, out=pos)
            np.minimum(pos, len(x) - 1 - 1e-9, out=pos)         # nan stays nan and maps to node 0 below
            i = pos.astype(np.intp)
            np.maximum(i, 0, out=i)
            pos -= i
            lo = v[i]
            return lo + pos * (v[i + 1] - lo)
        if self._interp is None:
            from scipy.interpolate import RegularGridInterpolator
            self._interp = RegularGridInterpolator(self.nodes, self.values)
        lo = np.array([n[0] for n in self.nodes])
        hi = np.array([n[-1] for n in self.nodes])
        return self._interp(np.clip(w, lo, hi))


class DistanceCoordinate:
    """xi(w) = |w - a| / (|w - a| + |w - b|): 0 at minimum a, 1 at minimum b."""

    name = "distance"

    def __init__(self, a: np.ndarray, b: np.ndarray):
        self.a = np.asarray(a, dtype=float)
        self.b = np.asarray(b, dtype=float)

    def __call__(self, w: np.ndarray) -> np.ndarray:
        da = np.sqrt(np.einsum("nd,nd->n", w - self.a, w - self.a))
        db = np.sqrt(np.einsum("nd,nd->n", w - self.b, w - self.b))
        return da / np.maximum(da + db, 1e-300)


def coordinate_variables(landscape, dim: int) -> list[str]:
    """The names a coordinate formula may use: a formula landscape's own variables, else w (1-D), x, y (2-D)
    or w1..wd."""
    names = getattr(landscape, "variables", None)
    if names:
        return list(names)
    if dim == 1:
        return ["w"]
    if dim == 2:
        return ["x", "y"]
    return [f"w{i + 1}" for i in range(dim)]


class FormulaCoordinate:
    """xi given by a formula in the landscape's variables, parsed by the landscapes' allowlist (never eval)."""

    name = "formula"

    def __init__(self, expression: str, variables: Sequence[str], limits: Limits = DEFAULT_LIMITS):
        from ..landscapes.formula import parse_formula
        self.expression = expression
        self.variables = list(variables)
        self.limits = limits
        self._fn = None
        expr = parse_formula(expression, self.variables, limits)    # raises SpecError naming the column
        free = {str(s) for s in expr.free_symbols}
        if not free:
            raise SpecError("the coordinate formula must depend on the variables " + ", ".join(self.variables))

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_fn"] = None
        return state

    def __call__(self, w: np.ndarray) -> np.ndarray:
        if self._fn is None:
            import sympy
            from ..landscapes.formula import make_symbols, parse_with_symbols
            symbols = make_symbols(self.variables)
            expr = parse_with_symbols(self.expression, symbols, self.limits)
            self._fn = sympy.lambdify(list(symbols.values()), expr, modules="numpy")
        with np.errstate(all="ignore"):
            value = self._fn(*[w[:, k] for k in range(w.shape[1])])
        return np.broadcast_to(np.asarray(value, dtype=float), (w.shape[0],)).copy()
