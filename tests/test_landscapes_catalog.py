"""The built-in catalog: analytic derivatives against finite differences, published values, validation, listing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sgdlab.core.errors import LimitExceeded, SpecError
from sgdlab.core.landscapes.catalog import CATALOG, build_builtin, catalog_listing
from sgdlab.limits import Limits

CASES = [(name, {}) for name in CATALOG] + [
    ("quadratic", {"curvature": [1.0, 2.5, 0.3], "center": [0.5, -1.0, 2.0]}),
    ("quadratic", {"curvature": -1.5, "dim": 2}),
    ("double_well", {"height": 2.0, "width": 0.7, "tilt": 0.3}),
    ("asymmetric_double_well", {"ratio": 0.2, "width": 1.5, "height": 3.0}),
    ("triple_well", {"tilt": -0.2, "width": 2.0}),
    ("rastrigin", {"dim": 1}), ("rastrigin", {"dim": 5, "A": 3.0}),
    ("styblinski_tang", {"dim": 4, "scale": 0.1}),
    ("gaussian_wells", {"wells": [{"centre": [1.0, 0.0, -1.0], "depth": 2.0, "width": 0.6},
                                  {"centre": [-1.0, 0.5, 0.0], "depth": -0.5, "width": 1.2}], "confinement": 0.3}),
    ("muller_brown", {"scale": 1.0}),
    ("himmelblau", {"scale": 0.01}),
]


def random_points(landscape, n: int = 40, seed: int = 0) -> np.ndarray:
    """Uniform points in the landscape's default range."""
    lo, hi = np.array(landscape.default_range).T
    return lo + (hi - lo) * np.random.default_rng(seed).random((n, landscape.dim))


def central_difference(f, w: np.ndarray, h: float) -> np.ndarray:
    """d f / d w_k by central differences, stacked on the last axis."""
    return np.stack([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in np.eye(w.shape[1])], axis=-1)


@pytest.mark.parametrize("name,params", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_gradient_and_hessian_match_finite_differences(name, params):
    landscape = build_builtin(name, params)
    w = random_points(landscape)
    h = 1e-6
    g = landscape.grad(w)
    assert g.shape == w.shape
    g_fd = central_difference(landscape.loss, w, h)
    scale = 1.0 + np.abs(g).max()
    np.testing.assert_allclose(g, g_fd, atol=1e-6 * scale * (1 + np.abs(landscape.loss(w)).max()))
    hess = landscape.hessian(w)
    assert hess.shape == (w.shape[0], w.shape[1], w.shape[1])
    hess_fd = central_difference(landscape.grad, w, h)  # [n, i, k] = d g_i / d w_k
    np.testing.assert_allclose(hess, hess_fd, atol=1e-5 * (1.0 + np.abs(hess).max()))
    np.testing.assert_allclose(hess, np.swapaxes(hess, 1, 2), atol=1e-12)


@pytest.mark.parametrize("name,params", CASES[:len(CATALOG)])
def test_grad_writes_into_out(name, params):
    landscape = build_builtin(name, params)
    w = random_points(landscape, n=7, seed=1)
    out = np.full_like(w, np.nan)
    returned = landscape.grad(w, out=out)
    assert returned is out
    np.testing.assert_array_equal(out, landscape.grad(w.copy()))
    assert landscape.loss(w).shape == (7,)


def newton_refine(landscape, w: np.ndarray, steps: int = 30) -> np.ndarray:
    """A critical point near w by Newton's method."""
    w = np.array(w, dtype=float)[None, :]
    for _ in range(steps):
        w = w - np.linalg.solve(landscape.hessian(w)[0], landscape.grad(w)[0])[None, :]
    return w


@pytest.mark.parametrize("point,value,kind", [
    ((-0.558, 1.442), -146.70, "min"), ((0.623, 0.028), -108.17, "min"), ((-0.050, 0.467), -80.77, "min"),
    ((-0.822, 0.624), -40.66, "saddle"), ((0.212, 0.293), -72.25, "saddle")])
def test_muller_brown_published_critical_points(point, value, kind):
    mb = build_builtin("muller_brown", {"scale": 1.0})
    exact = newton_refine(mb, point)
    assert np.abs(mb.grad(exact)).max() < 1e-8
    # the published coordinates are rounded to 3 decimals
    np.testing.assert_allclose(exact[0], point, atol=6e-4)
    assert mb.loss(np.array([point]))[0] == pytest.approx(value, abs=0.01)
    assert mb.loss(exact)[0] == pytest.approx(value, abs=0.01)
    eig = np.linalg.eigvalsh(mb.hessian(exact)[0])
    assert (eig > 0).all() if kind == "min" else (eig[0] < 0 < eig[1])


def test_muller_brown_default_scale_is_a_hundredth():
    w = random_points(build_builtin("muller_brown", {}), n=5)
    np.testing.assert_allclose(build_builtin("muller_brown", {}).loss(w),
                               0.01 * build_builtin("muller_brown", {"scale": 1}).loss(w))


@pytest.mark.parametrize("ratio,width,height", [(4.0, 1.0, 1.0), (0.25, 2.0, 0.5), (10.0, 0.5, 3.0)])
def test_asymmetric_double_well_has_equal_depths_and_the_asked_curvature_ratio(ratio, width, height):
    L = build_builtin("asymmetric_double_well", {"ratio": ratio, "width": width, "height": height})
    minima = np.array([[-width], [width]])
    depths = L.loss(minima)
    assert depths[0] == pytest.approx(depths[1], abs=1e-12 * height)
    assert np.abs(L.grad(minima)).max() < 1e-10 * height / width
    curv = L.hessian(minima)[:, 0, 0]
    assert curv[1] / curv[0] == pytest.approx(ratio, rel=1e-9)
    # they are the global minima and the barrier between them is `height`
    grid = np.linspace(-2 * width, 2 * width, 20001)[:, None]
    values = L.loss(grid)
    assert values.min() >= depths.min() - 1e-12
    between = values[np.abs(grid[:, 0]) < width]
    assert between.max() - depths[0] == pytest.approx(height, rel=1e-6)


def test_double_and_triple_well_minima_and_barriers():
    dw = build_builtin("double_well", {"height": 2.0, "width": 1.5})
    np.testing.assert_allclose(dw.loss(np.array([[-1.5], [0.0], [1.5]])), [0.0, 2.0, 0.0], atol=1e-12)
    tw = build_builtin("triple_well", {"height": 0.7, "width": 2.0})
    np.testing.assert_allclose(tw.grad(np.array([[-2.0], [0.0], [2.0]])), 0.0, atol=1e-12)
    u = 1 / np.sqrt(3)
    assert tw.loss(np.array([[2.0 * u]]))[0] == pytest.approx(0.7)


def test_other_known_minima():
    hb = build_builtin("himmelblau", {})
    np.testing.assert_allclose(hb.loss(np.array([[3.0, 2.0]])), 0.0, atol=1e-12)
    assert np.abs(hb.grad(np.array([[3.0, 2.0]]))).max() < 1e-12
    ra = build_builtin("rastrigin", {"dim": 3})
    assert ra.loss(np.zeros((1, 3)))[0] == 0.0
    st = build_builtin("styblinski_tang", {"dim": 2})
    exact = newton_refine(st, [-2.9, -2.9])
    assert st.loss(exact)[0] == pytest.approx(-39.16617 * 2, abs=1e-4)
    q = build_builtin("quadratic", {"curvature": [2.0, 4.0], "center": [1.0, -1.0]})
    assert q.loss(np.array([[2.0, 0.0]]))[0] == pytest.approx(0.5 * 2 + 0.5 * 4)


def test_gaussian_wells_scalar_centre_is_on_the_first_axis():
    L = build_builtin("gaussian_wells", {"wells": [{"centre": 1.0, "depth": 1.0, "width": 0.5}],
                                         "dim": 2, "confinement": 0.0})
    assert L.dim == 2
    assert L.loss(np.array([[1.0, 0.0]]))[0] == pytest.approx(-1.0)


def test_listing_is_json_with_every_entry():
    listing = catalog_listing()
    json.dumps(listing)
    names = [e["name"] for e in listing]
    assert names == list(CATALOG)
    assert {"quadratic", "double_well", "asymmetric_double_well", "triple_well", "muller_brown", "himmelblau",
            "rastrigin", "styblinski_tang", "gaussian_wells"} <= set(names)
    by_name = {e["name"]: e for e in listing}
    assert by_name["rastrigin"]["dim"] == "any" and by_name["muller_brown"]["dim"] == 2
    assert {"name": "A", "default": 10.0} .items() <= by_name["rastrigin"]["params"][0].items()
    for entry in listing:
        assert entry["formula"] and all(p["description"] for p in entry["params"])
        assert all(lo < hi for lo, hi in entry["default_range"])
        # the defaults listed are the defaults used
        build_builtin(entry["name"], {p["name"]: p["default"] for p in entry["params"]})


@pytest.mark.parametrize("name,params,field,needle", [
    ("nope", {}, "builtin", "double_well"),
    ("double_well", {"tilt": "a"}, "params.tilt", "number"),
    ("double_well", {"height": -1}, "params.height", "> 0"),
    ("double_well", {"height": True}, "params.height", "number"),
    ("double_well", {"bogus": 1}, "params.bogus", "height"),
    ("rastrigin", {"dim": 2.5}, "params.dim", "integer"),
    ("rastrigin", {"dim": 0}, "params.dim", ""),
    ("quadratic", {"curvature": [1, 2], "dim": 3}, "params.curvature", "3"),
    ("quadratic", {"curvature": [1, "x"]}, "params.curvature", "entry 1"),
    ("asymmetric_double_well", {"ratio": 0}, "params.ratio", ""),
    ("gaussian_wells", {"wells": []}, "params.wells", ""),
    ("gaussian_wells", {"wells": [{"centre": 0, "width": 0}]}, "params.wells", "width"),
    ("gaussian_wells", {"wells": [{"centre": 0, "colour": 1}]}, "params.wells", "colour"),
    ("gaussian_wells", {"wells": [{"centre": [0, 1]}, {"centre": [0, 1, 2]}]}, "params.wells", ""),
])
def test_bad_parameters_name_the_field(name, params, field, needle):
    with pytest.raises(SpecError) as err:
        build_builtin(name, params)
    assert err.value.field == field
    assert needle in err.value.message


def test_dimension_limit():
    with pytest.raises(LimitExceeded) as err:
        build_builtin("rastrigin", {"dim": 21})
    assert err.value.field == "params.dim" and err.value.limit == "max_dim"
    with pytest.raises(LimitExceeded):
        build_builtin("quadratic", {"curvature": [1.0] * 5}, Limits(max_dim=4))
