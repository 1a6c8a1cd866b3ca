"""Landscape analysis: exact 1-D critical points, Müller–Brown minima/saddles/barriers, basin maps, pickling."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

from sgdlab.core.errors import SpecError
from sgdlab.core.landscapes.base import Landscape
from sgdlab.core.landscapes.catalog import build_builtin
from sgdlab.theory.landscape_analysis import analyze_landscape


class SeparableWells3D(Landscape):
    """L = (x^2 - 1)^2 + y^2 + 2 z^2: minima (±1, 0, 0), one saddle at the origin with barrier 1."""

    dim = 3
    default_range = [(-2.0, 2.0)] * 3

    def loss(self, w):
        return (w[:, 0] ** 2 - 1) ** 2 + w[:, 1] ** 2 + 2 * w[:, 2] ** 2

    def grad(self, w, out=None):
        out = np.empty_like(w) if out is None else out
        out[:, 0] = 4 * w[:, 0] * (w[:, 0] ** 2 - 1)
        out[:, 1] = 2 * w[:, 1]
        out[:, 2] = 4 * w[:, 2]
        return out

    def hessian(self, w):
        h = np.zeros((len(w), 3, 3))
        h[:, 0, 0] = 12 * w[:, 0] ** 2 - 4
        h[:, 1, 1] = 2.0
        h[:, 2, 2] = 4.0
        return h


@pytest.fixture(scope="module")
def tilted():
    params = {"height": 1.3, "width": 0.9, "tilt": 0.25}
    return params, build_builtin("double_well", params)


@pytest.fixture(scope="module")
def muller_brown():
    land = build_builtin("muller_brown", {"scale": 1.0})
    return land, analyze_landscape(land)


def test_tilted_double_well_critical_points_match_polynomial_roots(tilted):
    (p, land) = tilted
    h, a, tilt = p["height"], p["width"], p["tilt"]
    # L = h ((w/a)^2 - 1)^2 + tilt w  =>  L' = 4h/a^4 w^3 - 4h/a^2 w + tilt
    roots = np.sort(np.roots([4 * h / a ** 4, 0.0, -4 * h / a ** 2, tilt]).real)
    an = analyze_landscape(land)
    assert an.dim == 1
    assert len(an.minima) == 2 and len(an.saddles) == 1
    assert abs(an.minima[0].location[0] - roots[0]) < 1e-8
    assert abs(an.saddles[0].location[0] - roots[1]) < 1e-8
    assert abs(an.minima[1].location[0] - roots[2]) < 1e-8
    loss = lambda x: h * ((x / a) ** 2 - 1) ** 2 + tilt * x  # noqa: E731
    curv = lambda x: 12 * h / a ** 4 * x ** 2 - 4 * h / a ** 2  # noqa: E731
    for m, r in zip(an.minima, roots[[0, 2]]):
        assert abs(m.loss - loss(r)) < 1e-8
        assert m.hessian_eigenvalues[0] == pytest.approx(curv(r), rel=1e-8)
    assert an.saddles[0].hessian_eigenvalues[0] < 0
    assert an.saddles[0].connects == (0, 1)
    heights = {(b.from_, b.to): b.height for b in an.barriers}
    assert heights[(0, 1)] == pytest.approx(loss(roots[1]) - loss(roots[0]), abs=1e-8)
    assert heights[(1, 0)] == pytest.approx(loss(roots[1]) - loss(roots[2]), abs=1e-8)


def test_triple_well_minima_left_to_right_and_adjacent_barriers():
    an = analyze_landscape(build_builtin("triple_well", {"height": 1.0, "width": 1.0, "tilt": 0.0}))
    xs = [m.location[0] for m in an.minima]
    assert xs == sorted(xs)
    np.testing.assert_allclose(xs, [-1.0, 0.0, 1.0], atol=1e-9)
    assert [s.connects for s in an.saddles] == [(0, 1), (1, 2)]
    assert sorted((b.from_, b.to) for b in an.barriers) == [(0, 1), (1, 0), (1, 2), (2, 1)]
    np.testing.assert_allclose([b.height for b in an.barriers], 1.0, atol=1e-9)


def test_muller_brown_minima_and_saddles(muller_brown):
    _, an = muller_brown
    want_minima = sorted([(-0.558, 1.442), (0.623, 0.028), (-0.050, 0.467)])
    assert len(an.minima) == 3
    for m, w in zip(an.minima, want_minima):
        assert np.abs(m.location - w).max() < 1e-3
        assert (m.hessian_eigenvalues > 0).all()
    want_saddles = sorted([(-0.822, 0.624), (0.212, 0.293)])
    assert len(an.saddles) == 2
    for s, w in zip(an.saddles, want_saddles):
        assert np.abs(s.location - w).max() < 1e-3
        assert (s.hessian_eigenvalues < 0).sum() == 1
    # minima sorted: 0 = A(-0.558, 1.442), 1 = C(-0.050, 0.467), 2 = B(0.623, 0.028)
    assert [s.connects for s in an.saddles] == [(0, 1), (1, 2)]


def test_muller_brown_barriers_from_published_energies(muller_brown):
    _, an = muller_brown
    e_a, e_c, e_b = -146.70, -80.77, -108.17
    s_ac, s_cb = -40.66, -72.25
    want = {(0, 1): s_ac - e_a, (1, 0): s_ac - e_c, (1, 2): s_cb - e_c, (2, 1): s_cb - e_b}
    got = {(b.from_, b.to): b.height for b in an.barriers}
    assert got.keys() == want.keys()
    for k in want:
        assert abs(got[k] - want[k]) < 1e-2, k
    assert an.saddle_between(0, 2) is None
    assert an.bottleneck_saddle(0, 2).loss == pytest.approx(an.saddles[0].loss)


def test_to_dict_is_exactly_the_api_block_and_json_safe(muller_brown):
    _, an = muller_brown
    d = an.to_dict()
    assert set(d) == {"dim", "minima", "saddles", "barriers"}
    assert set(d["minima"][0]) == {"index", "location", "loss", "hessian_eigenvalues"}
    assert set(d["saddles"][0]) == {"location", "loss", "hessian_eigenvalues"}
    assert set(d["barriers"][0]) == {"from", "to", "height"}
    assert [m["index"] for m in d["minima"]] == [0, 1, 2]
    assert json.loads(json.dumps(d)) == d


def test_basin_of_1d_thresholds_at_the_maximum(tilted):
    _, land = tilted
    an = analyze_landscape(land)
    s = an.saddles[0].location[0]
    w = np.array([[-3.0], [s - 1e-9], [s + 1e-9], [3.0], [np.nan], [np.inf]])
    np.testing.assert_array_equal(an.basin_of(w), [0, 0, 1, 1, -1, -1])
    assert an.basin_of(np.zeros((0, 1))).shape == (0,)


def test_basin_of_2d_agrees_with_local_minimisation(muller_brown):
    land, an = muller_brown
    rng = np.random.default_rng(3)
    (x0, x1), (y0, y1) = an.range
    pts = np.column_stack([rng.uniform(x0, x1, 300), rng.uniform(y0, y1, 300)])
    labels = an.basin_of(pts)
    mins = np.array([m.location for m in an.minima])
    x = pts.copy()
    for _ in range(20000):  # the gradient flow itself, by small explicit steps (curvature <= ~4000)
        x -= 2e-4 * land.grad(x)
    dist = np.linalg.norm(x[:, None, :] - mins[None], axis=2)
    truth = np.where(dist.min(axis=1) < 1e-3, dist.argmin(axis=1), -1)
    agree = int((truth == labels).sum())
    # discrete steepest descent mislabels at most the cells along the separatrices
    assert agree >= 0.95 * len(pts)
    np.testing.assert_array_equal(an.basin_of(mins), [0, 1, 2])
    assert an.basin_of(np.array([[np.nan, 0.0]]))[0] == -1


def test_analysis_pickles_and_basin_map_survives(muller_brown):
    _, an = muller_brown
    clone = pickle.loads(pickle.dumps(an))
    pts = np.random.default_rng(0).uniform(-1, 1, (1000, 2))
    np.testing.assert_array_equal(clone.basin_of(pts), an.basin_of(pts))


def test_three_dimensional_multistart_and_string_method():
    land = SeparableWells3D()
    an = analyze_landscape(land, seed=1)
    assert len(an.minima) == 2
    np.testing.assert_allclose(an.minima[0].location, [-1, 0, 0], atol=1e-8)
    np.testing.assert_allclose(an.minima[1].location, [1, 0, 0], atol=1e-8)
    assert len(an.saddles) == 1
    np.testing.assert_allclose(an.saddles[0].location, 0.0, atol=1e-8)
    np.testing.assert_allclose([b.height for b in an.barriers], [1.0, 1.0], atol=1e-10)
    pts = np.array([[-0.3, 1.0, -1.0], [0.2, -1.5, 1.5], [np.nan, 0, 0]])
    np.testing.assert_array_equal(an.basin_of(pts), [0, 1, -1])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(an)).basin_of(pts), [0, 1, -1])


def test_styblinski_tang_3d_finds_the_cube_of_minima():
    an = analyze_landscape(build_builtin("styblinski_tang", {"dim": 3}), seed=0)
    assert len(an.minima) == 8
    # neighbouring minima differ in one coordinate: 12 cube edges, each an index-1 saddle
    assert len(an.saddles) == 12
    assert all((s.hessian_eigenvalues < 0).sum() == 1 for s in an.saddles)


def test_default_exit_radius_is_half_the_distance_to_the_saddle():
    an = analyze_landscape(build_builtin("double_well", {}))
    assert an.default_exit_radius(1, 0) == pytest.approx(0.5, abs=1e-9)
    assert an.default_exit_radius(0) == pytest.approx(0.5, abs=1e-9)


def test_deterministic_and_range_validated(muller_brown):
    land, an = muller_brown
    again = analyze_landscape(land)
    assert again.to_dict() == an.to_dict()
    with pytest.raises(SpecError) as err:
        analyze_landscape(land, range=[(1.0, 0.0), (0.0, 1.0)])
    assert err.value.field.startswith("range")
    with pytest.raises(SpecError):
        analyze_landscape(land, range=[(0.0, 1.0)])
