"""Gradient source for formula and finite-sum landscapes, printed from their checked SymPy gradient trees.

The user's text is never used: the symbols of the already-parsed, already-differentiated tree are renamed to
`x0 ..` (variables) and `c0 ..` (data columns), common subexpressions are shared, and SymPy's Python printer
writes the statements (functions as `math.*`, floats as their exact `repr`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import sympy
from sympy.printing.pycode import PythonCodePrinter

from ...landscapes.finite_sum import FiniteSumFormulaLandscape
from ...landscapes.formula import FormulaLandscape, make_symbols
from .gradient_code import GradientCode


class _KernelPrinter(PythonCodePrinter):
    """Python source for numba: `math.` functions, and floats printed exactly (repr), not to 15 digits."""

    def _print_Float(self, expr: sympy.Float) -> str:
        return repr(float(expr))


def _lines(grads: Sequence[sympy.Expr], rename: dict[sympy.Symbol, sympy.Symbol]) -> tuple[str, ...]:
    """`sK = ...` shared subexpressions, then `gk = ...` for each gradient component."""
    renamed = [sympy.sympify(g).xreplace(rename) for g in grads]
    shared, reduced = sympy.cse(renamed, symbols=sympy.numbered_symbols("s"))
    printer = _KernelPrinter({"fully_qualified_modules": True})
    out = [f"{name} = {printer.doprint(value)}" for name, value in shared]
    out += [f"g{k} = float({printer.doprint(g)})" for k, g in enumerate(reduced)]
    return tuple(out)


def _symbol_map(names: Sequence[str], prefix: str) -> dict[sympy.Symbol, sympy.Symbol]:
    """The tree's symbols (as the parser made them) -> `prefix0`, `prefix1`, .. in order."""
    return {s: sympy.Symbol(f"{prefix}{k}", real=True) for k, s in enumerate(make_symbols(names).values())}


def formula_gradient_code(land: FormulaLandscape) -> GradientCode:
    """The gradient of a formula landscape (constants inlined; no parameter vector)."""
    lines = _lines(land._compiled.grad_exprs, _symbol_map(land.variables, "x"))
    return GradientCode("formula", land.dim, lines, np.zeros(0))


def finite_sum_gradient_code(land: FiniteSumFormulaLandscape) -> GradientCode:
    """One data row's gradient of a finite sum; the rows travel as a (rows x columns) array."""
    rename = {**_symbol_map(land.variables, "x"), **_symbol_map(list(land.columns), "c")}
    lines = _lines(land._compiled.grad_exprs, rename)
    rows = np.ascontiguousarray(np.column_stack(list(land.columns.values())), dtype=float)
    return GradientCode("finite_sum", land.dim, lines, np.zeros(0), rows)
