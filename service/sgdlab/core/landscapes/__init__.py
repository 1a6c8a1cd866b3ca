"""Loss landscapes: the Landscape interface, the built-in catalog, user formulas and finite sums over data."""

from .base import FiniteSumLandscape, Landscape, ParamInfo
from .build import build_landscape
from .catalog import CATALOG, CatalogEntry, build_builtin, catalog_listing
from .finite_sum import FiniteSumFormulaLandscape
from .formula import FormulaLandscape, parse_formula

__all__ = ["Landscape", "FiniteSumLandscape", "ParamInfo", "build_landscape", "CATALOG", "CatalogEntry",
           "build_builtin", "catalog_listing", "FormulaLandscape", "FiniteSumFormulaLandscape", "parse_formula"]
