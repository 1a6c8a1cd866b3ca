"""The built-in catalog: named landscapes with documented parameters, formulas and default ranges.

`CATALOG` maps a name to its `CatalogEntry`; `catalog_listing()` is the JSON of GET /v1/landscapes;
`build_builtin(name, params)` validates the parameters and returns the `Landscape`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ...limits import DEFAULT_LIMITS, Limits
from ..errors import LimitExceeded, SpecError
from . import analytic
from .base import Landscape, ParamInfo
from .params import Validator, integer, optional, real, real_or_vector

#: Most wells one gaussian_wells landscape may have (each well costs one pass over the particles per gradient).
MAX_WELLS = DEFAULT_LIMITS.max_wells

Range = list[tuple[float, float]]


@dataclass(frozen=True)
class CatalogParam:
    """A documented parameter and the validator of its value."""

    info: ParamInfo
    check: Validator


@dataclass(frozen=True)
class CatalogEntry:
    """A catalog landscape: name, formula, parameters, dimension (None: any, from `dim`), range, builder."""

    name: str
    formula: str
    params: tuple[CatalogParam, ...]
    dim: int | None
    default_range: Range
    make: Callable[[dict[str, Any]], Landscape]
    description: str = ""

    def listing(self) -> dict[str, Any]:
        """The JSON description of this entry for GET /v1/landscapes."""
        return {"name": self.name, "dim": self.dim if self.dim is not None else "any",
                "description": self.description,
                "params": [{"name": p.info.name, "default": p.info.default, "description": p.info.description}
                           for p in self.params],
                "formula": self.formula, "default_range": [list(r) for r in self.default_range]}


def _param(name: str, default: Any, description: str, check: Validator) -> CatalogParam:
    return CatalogParam(ParamInfo(name, default, description), check)


# ---------------------------------------------------------------------------------------------- builders


def _dim_from(params: dict[str, Any], *vectors: Any) -> int:
    """The dimension: the `dim` parameter, else the length of the first list-valued parameter, else 1."""
    lengths = {np.size(v) for v in vectors if isinstance(v, np.ndarray)}
    dim = params.get("dim")
    if dim is None:
        if len(lengths) > 1:
            raise SpecError("list-valued parameters have different lengths", "params")
        dim = lengths.pop() if lengths else 1
    return dim


def _per_axis(name: str, value: Any, dim: int) -> np.ndarray:
    """Broadcast a number or a length-dim list to a (dim,) array; a wrong length names the parameter."""
    if isinstance(value, np.ndarray) and value.size != dim:
        raise SpecError(f"has {value.size} entries but the dimension is {dim}", f"params.{name}")
    return np.broadcast_to(np.asarray(value, dtype=float), (dim,)).copy()


def _make_quadratic(p: dict[str, Any]) -> Landscape:
    dim = _dim_from(p, p["curvature"], p["center"])
    c = _per_axis("curvature", p["curvature"], dim)
    m = _per_axis("center", p["center"], dim)
    half = 3.0 / np.sqrt(np.maximum(np.abs(c), 1e-12)) if np.all(c > 0) else np.full(dim, 3.0)
    half = np.minimum(half, 1e6)
    rng = [(float(mi - h), float(mi + h)) for mi, h in zip(m, half)]
    return analytic.Quadratic(c, m, CATALOG["quadratic"].formula, rng)


def _make_double_well(p: dict[str, Any]) -> Landscape:
    a = p["width"]
    return analytic.Polynomial1D("double_well", [1.0, 0.0, -2.0, 0.0, 1.0], p["height"], a, p["tilt"],
                                 CATALOG["double_well"].formula, [(-2.0 * a, 2.0 * a)])


def asymmetric_double_well_coefficients(ratio: float) -> np.ndarray:
    """Coefficients (lowest first) of p(u) = (u^2-1)^2 (u^2 + s u + 1), s = 2(ratio-1)/(ratio+1), max 1 on [-1, 1].

    p >= 0 with p(-1) = p(1) = 0 exactly (equal depths); p''(1)/p''(-1) = (2+s)/(2-s) = ratio.
    The normalisation divides by the barrier between the wells, so `height` is the barrier height.
    """
    s = 2.0 * (ratio - 1.0) / (ratio + 1.0)
    poly = np.polynomial.Polynomial([1.0, 0.0, -2.0, 0.0, 1.0]) * np.polynomial.Polynomial([1.0, s, 1.0])
    crit = poly.deriv().roots()
    inside = crit[(np.abs(crit.imag) < 1e-9) & (np.abs(crit.real) < 1.0)].real
    return poly.coef / float(np.max(poly(inside)))


def _make_asymmetric_double_well(p: dict[str, Any]) -> Landscape:
    a = p["width"]
    return analytic.Polynomial1D("asymmetric_double_well", asymmetric_double_well_coefficients(p["ratio"]),
                                 p["height"], a, 0.0, CATALOG["asymmetric_double_well"].formula,
                                 [(-2.0 * a, 2.0 * a)])


def _make_triple_well(p: dict[str, Any]) -> Landscape:
    a = p["width"]
    coefs = np.array([0.0, 0.0, 1.0, 0.0, -2.0, 0.0, 1.0]) * 27.0 / 4.0
    return analytic.Polynomial1D("triple_well", coefs, p["height"], a, p["tilt"],
                                 CATALOG["triple_well"].formula, [(-1.6 * a, 1.6 * a)])


def _make_muller_brown(p: dict[str, Any]) -> Landscape:
    return analytic.MullerBrown(p["scale"], CATALOG["muller_brown"].formula, CATALOG["muller_brown"].default_range)


def _make_himmelblau(p: dict[str, Any]) -> Landscape:
    return analytic.Himmelblau(p["scale"], CATALOG["himmelblau"].formula, CATALOG["himmelblau"].default_range)


def _make_rastrigin(p: dict[str, Any]) -> Landscape:
    return analytic.Rastrigin(p["dim"], p["A"], CATALOG["rastrigin"].formula, [(-5.12, 5.12)] * p["dim"])


def _make_styblinski_tang(p: dict[str, Any]) -> Landscape:
    return analytic.StyblinskiTang(p["dim"], p["scale"], CATALOG["styblinski_tang"].formula,
                                   [(-5.0, 5.0)] * p["dim"])


def _check_wells(value: Any) -> list[dict[str, Any]]:
    """A non-empty list of {centre: number | list, depth: number, width: number > 0}."""
    if not isinstance(value, list) or not value:
        raise SpecError("must be a non-empty list of {centre, depth, width}")
    if len(value) > MAX_WELLS:
        raise SpecError(f"at most {MAX_WELLS} wells, got {len(value)}")
    checks = {"centre": real_or_vector(real()), "depth": real(), "width": real(0.0, lo_open=True)}
    wells = []
    for i, well in enumerate(value):
        if not isinstance(well, dict):
            raise SpecError(f"well {i} must be an object {{centre, depth, width}}")
        well = {("centre" if k == "center" else k): v for k, v in well.items()}
        unknown = sorted(set(well) - set(checks))
        if unknown or "centre" not in well:
            raise SpecError(f"well {i} needs 'centre' and takes only centre, depth, width"
                            + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
        clean = {"depth": 1.0, "width": 0.5}
        for key, check in checks.items():
            if key in well:
                try:
                    clean[key] = check(well[key])
                except SpecError as exc:
                    raise SpecError(f"well {i} {key} {exc.message}") from None
        wells.append(clean)
    return wells


def _make_gaussian_wells(p: dict[str, Any]) -> Landscape:
    wells = p["wells"]
    vectors = [w["centre"] for w in wells if isinstance(w["centre"], np.ndarray)]
    if p["dim"] is None and len({v.size for v in vectors}) > 1:
        raise SpecError("well centres have different lengths", "params.wells")
    dim = p["dim"] if p["dim"] is not None else (vectors[0].size if vectors else 1)
    centres = np.zeros((len(wells), dim))
    for i, well in enumerate(wells):
        c = well["centre"]
        if isinstance(c, np.ndarray):
            if c.size != dim:
                raise SpecError(f"well {i} centre has {c.size} entries but the dimension is {dim}", "params.wells")
            centres[i] = c
        else:
            centres[i, 0] = c  # a number places the well on the first axis
    depths = np.array([w["depth"] for w in wells])
    widths = np.array([w["width"] for w in wells])
    reach = np.abs(centres).max(axis=0) + 3.0 * widths.max()
    rng = [(-float(r), float(r)) for r in reach]
    return analytic.GaussianWells(centres, depths, widths, p["confinement"], CATALOG["gaussian_wells"].formula, rng)


# ---------------------------------------------------------------------------------------------- the catalog

_POSITIVE = real(0.0, lo_open=True)
_DIM_ANY = "dimension d (default: the length of a list-valued parameter, else 1)"

_DEFAULT_WELLS = [{"centre": -1.5, "depth": 1.0, "width": 0.5}, {"centre": 1.5, "depth": 1.5, "width": 0.7}]

CATALOG: dict[str, CatalogEntry] = {e.name: e for e in [
    CatalogEntry(
        "quadratic", "L(w) = 1/2 * sum_k curvature_k * (w_k - center_k)^2",
        (_param("curvature", 1.0, "curvature per axis: a number or a list of d numbers", real_or_vector(real())),
         _param("dim", None, _DIM_ANY, optional(integer(1))),
         _param("center", 0.0, "position of the minimum: a number or a list of d numbers", real_or_vector(real()))),
        None, [(-3.0, 3.0)], _make_quadratic, "a (possibly anisotropic) quadratic bowl; Ornstein-Uhlenbeck reference"),
    CatalogEntry(
        "double_well", "L(w) = height * ((w/width)^2 - 1)^2 + tilt * w",
        (_param("height", 1.0, "barrier height at w=0 (for tilt=0)", _POSITIVE),
         _param("width", 1.0, "minima near w = -width and w = +width", _POSITIVE),
         _param("tilt", 0.0, "linear tilt; > 0 deepens the left well", real())),
        1, [(-2.0, 2.0)], _make_double_well, "the symmetric (or tilted) quartic double well"),
    CatalogEntry(
        "asymmetric_double_well",
        "L(w) = k * height * (u^2 - 1)^2 * (u^2 + s*u + 1), u = w/width, s = 2*(ratio-1)/(ratio+1), "
        "k = 1/max_{|u|<1} of the polynomial; minima at w = -width and w = +width with L = 0 exactly",
        (_param("height", 1.0, "barrier height between the wells", _POSITIVE),
         _param("width", 1.0, "minima at w = -width (flat) and w = +width (sharp)", _POSITIVE),
         _param("ratio", 4.0, "curvature at +width over curvature at -width (1 = symmetric)", real(0.01, 100.0))),
        1, [(-2.0, 2.0)], _make_asymmetric_double_well,
        "two minima of exactly equal depth but different curvature: a flat and a sharp basin"),
    CatalogEntry(
        "triple_well", "L(w) = 27/4 * height * u^2 * (u^2 - 1)^2 + tilt * w, u = w/width",
        (_param("height", 1.0, "barrier height between neighbouring wells (for tilt=0)", _POSITIVE),
         _param("width", 1.0, "minima at w = -width, 0, +width (for tilt=0)", _POSITIVE),
         _param("tilt", 0.0, "linear tilt", real())),
        1, [(-1.6, 1.6)], _make_triple_well, "three equal minima at -width, 0, +width"),
    CatalogEntry(
        "muller_brown",
        "L(x, y) = scale * sum_{k=1..4} A_k exp(a_k (x-x0_k)^2 + b_k (x-x0_k)(y-y0_k) + c_k (y-y0_k)^2), "
        "A=(-200,-100,-170,15), a=(-1,-1,-6.5,0.7), b=(0,0,11,0.6), c=(-10,-10,-6.5,0.7), "
        "x0=(1,0,-0.5,-1), y0=(0,0.5,1.5,1)",
        (_param("scale", 0.01, "multiplies the published potential (scale=1); the default 0.01 makes the "
                               "barriers O(1): about 0.09, 0.36 and 1.06", _POSITIVE),),
        2, [(-1.5, 1.2), (-0.5, 2.0)], _make_muller_brown, "the Mueller-Brown potential: three minima, two saddles"),
    CatalogEntry(
        "himmelblau", "L(x, y) = scale * ((x^2 + y - 11)^2 + (x + y^2 - 7)^2)",
        (_param("scale", 1.0, "multiplies the function (the local maximum at (-0.27, -0.92) is 181.6)", _POSITIVE),),
        2, [(-5.0, 5.0), (-5.0, 5.0)], _make_himmelblau, "four equal minima (L=0)"),
    CatalogEntry(
        "rastrigin", "L(w) = A*d + sum_k (w_k^2 - A*cos(2*pi*w_k))",
        (_param("A", 10.0, "amplitude of the cosine ripples", real(0.0)),
         _param("dim", 2, "dimension d", integer(1))),
        None, [(-5.12, 5.12)] * 2, _make_rastrigin, "a highly multimodal bowl; global minimum 0 at the origin"),
    CatalogEntry(
        "styblinski_tang", "L(w) = scale/2 * sum_k (w_k^4 - 16*w_k^2 + 5*w_k)",
        (_param("dim", 2, "dimension d", integer(1)),
         _param("scale", 1.0, "multiplies the function", _POSITIVE)),
        None, [(-5.0, 5.0)] * 2, _make_styblinski_tang, "2^d minima; global minimum near w_k = -2.9035"),
    CatalogEntry(
        "gaussian_wells",
        "L(w) = confinement/2 * |w|^2 - sum_j depth_j * exp(-|w - centre_j|^2 / (2 * width_j^2))",
        (_param("wells", _DEFAULT_WELLS, "list of {centre: number or list of d numbers (a number is on the first "
                                         "axis), depth, width > 0}", _check_wells),
         _param("dim", None, "dimension d (default: the length of a list centre, else 1)", optional(integer(1))),
         _param("confinement", 0.1, "curvature of the confining quadratic", real(0.0))),
        None, [(-3.5, 3.5)], _make_gaussian_wells, "Gaussian wells inside a confining quadratic"),
]}


def catalog_listing() -> list[dict[str, Any]]:
    """The catalog as JSON for GET /v1/landscapes: name, dim (int or "any"), params, formula, default_range."""
    return [entry.listing() for entry in CATALOG.values()]


def validate_params(entry: CatalogEntry, params: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """Defaults filled in and every value checked; errors name `params.<name>`."""
    if not isinstance(params, dict):
        raise SpecError("must be an object {name: value}", "params")
    known = {p.info.name: p for p in entry.params}
    for name in params:
        if name not in known:
            raise SpecError(f"unknown parameter {name!r} of {entry.name} (known: {', '.join(known) or 'none'})",
                            f"params.{name}")
    clean: dict[str, Any] = {}
    for name, param in known.items():
        raw = params.get(name, param.info.default)
        try:
            clean[name] = param.check(raw)
        except SpecError as exc:
            raise SpecError(exc.message, f"params.{name}") from None
    if clean.get("dim") is not None and clean["dim"] > limits.max_dim:
        raise LimitExceeded("params.dim", "max_dim", limits.max_dim, clean["dim"])
    return clean


def build_builtin(name: str, params: dict[str, Any] | None = None, limits: Limits = DEFAULT_LIMITS) -> Landscape:
    """The catalog landscape `name` with `params` (SpecError naming `builtin` or `params.<name>`)."""
    entry = CATALOG.get(name) if isinstance(name, str) else None
    if entry is None:
        raise SpecError(f"unknown landscape {name!r}; known: {', '.join(CATALOG)}", "builtin")
    landscape = entry.make(validate_params(entry, params or {}, limits))
    if landscape.dim > limits.max_dim:
        raise LimitExceeded("params", "max_dim", limits.max_dim, landscape.dim)
    return landscape
