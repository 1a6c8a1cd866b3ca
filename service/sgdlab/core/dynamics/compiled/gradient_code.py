"""A landscape's gradient as Python source over scalars, for the compiled kernel.

The source computes `g0 .. g{d-1}` from the coordinates `x0 .. x{d-1}` of one particle, reading numeric
parameters from the float vector `p` (so one compiled kernel serves every parameter value of a catalog entry).
For a finite sum it is the gradient of one row's loss, whose data columns are `c0 .. c{m-1}`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...landscapes.base import Landscape


@dataclass(frozen=True)
class GradientCode:
    """Source lines for g = grad L at (x0, .., x{d-1}), the parameter vector p and, for finite sums, the data."""

    kind: str                      # names the code (catalog entry or 'formula' / 'finite_sum')
    dim: int
    lines: tuple[str, ...]         # statements at one indentation level (may open their own blocks)
    params: np.ndarray             # float64 vector `p` the lines read
    rows: np.ndarray | None = None  # finite sums: the data (rows x columns), C-contiguous; else None

    @property
    def per_sample(self) -> bool:
        """True when the lines are one data row's gradient (a finite sum)."""
        return self.rows is not None


def gradient_code(landscape: Landscape) -> GradientCode:
    """The gradient source of any landscape the service builds (catalog, formula or finite sum)."""
    from ...landscapes.finite_sum import FiniteSumFormulaLandscape
    from ...landscapes.formula import FormulaLandscape
    if isinstance(landscape, FiniteSumFormulaLandscape):
        from .formula_code import finite_sum_gradient_code
        return finite_sum_gradient_code(landscape)
    if isinstance(landscape, FormulaLandscape):
        from .formula_code import formula_gradient_code
        return formula_gradient_code(landscape)
    from .catalog_code import catalog_gradient_code
    return catalog_gradient_code(landscape)
