"""Committor: the 1-D closed form, boundary values, symmetry and monotonicity of the 2-D grid solution."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.interpolate import RegularGridInterpolator

from sgdlab.core.errors import SpecError
from sgdlab.core.landscapes.base import Landscape
from sgdlab.core.landscapes.catalog import build_builtin
from sgdlab.theory.committor import committor
from sgdlab.theory.landscape_analysis import analyze_landscape


class CoupledWells2D(Landscape):
    """L = (x^2 - 1)^2 + (y - 0.3 x)^2 / 2 ... symmetric under (x, y) -> (-x, -y)."""

    dim = 2
    default_range = [(-2.0, 2.0), (-2.0, 2.0)]

    def loss(self, w):
        return (w[:, 0] ** 2 - 1) ** 2 + (w[:, 1] - 0.3 * w[:, 0]) ** 2 / 2

    def grad(self, w, out=None):
        out = np.empty_like(w) if out is None else out
        r = w[:, 1] - 0.3 * w[:, 0]
        out[:, 0] = 4 * w[:, 0] * (w[:, 0] ** 2 - 1) - 0.3 * r
        out[:, 1] = r
        return out

    def hessian(self, w):
        h = np.empty((len(w), 2, 2))
        h[:, 0, 0] = 12 * w[:, 0] ** 2 - 4 + 0.09
        h[:, 0, 1] = h[:, 1, 0] = -0.3
        h[:, 1, 1] = 1.0
        return h


@pytest.fixture(scope="module")
def tilted():
    land = build_builtin("double_well", {"height": 1.0, "width": 1.0, "tilt": 0.3})
    return land, analyze_landscape(land)


def test_1d_committor_equals_the_closed_form(tilted):
    land, an = tilted
    T = 0.3
    (grid,), q = committor(land, an, 0, 1, T)
    ma, mb = an.minima[0].location[0], an.minima[1].location[0]
    ra, rb = an.default_exit_radius(0, 1), an.default_exit_radius(1, 0)
    xa, xb = ma + ra, mb - rb
    f = lambda y: np.exp(land.loss(np.array([[y]]))[0] / T)  # noqa: E731
    total = quad(f, xa, xb, epsabs=0, epsrel=1e-12)[0]
    for x in np.linspace(xa, xb, 9)[1:-1]:
        want = quad(f, xa, x, epsabs=0, epsrel=1e-12)[0] / total
        assert np.interp(x, grid, q) == pytest.approx(want, abs=1e-5)


def test_1d_committor_is_zero_and_one_in_the_two_regions_and_monotone(tilted):
    land, an = tilted
    (grid,), q = committor(land, an, 0, 1, 0.2)
    ma, mb = an.minima[0].location[0], an.minima[1].location[0]
    assert np.all(q[grid <= ma] == 0.0) and np.all(q[grid >= mb] == 1.0)
    assert np.all(np.diff(q) >= 0)
    (grid_r,), q_r = committor(land, an, 1, 0, 0.2)
    np.testing.assert_allclose(q_r, 1 - q, atol=1e-12)


def test_1d_symmetric_well_commits_half_at_the_saddle():
    land = build_builtin("double_well", {})
    an = analyze_landscape(land)
    (grid,), q = committor(land, an, 0, 1, 0.25)
    assert np.interp(0.0, grid, q) == pytest.approx(0.5, abs=1e-9)


def test_2d_committor_boundary_values_symmetry_and_monotone_along_the_line():
    land = CoupledWells2D()
    an = analyze_landscape(land)
    assert len(an.minima) == 2 and len(an.saddles) == 1
    nodes, q = committor(land, an, 0, 1, 0.25, grid_points=161)
    interp = RegularGridInterpolator(nodes, q)
    a, b = an.minima[0].location, an.minima[1].location
    assert interp(a[None])[0] == 0.0 and interp(b[None])[0] == 1.0
    assert interp(np.zeros((1, 2)))[0] == pytest.approx(0.5, abs=1e-4)   # point symmetry (up to ball-edge nodes)
    line = interp(np.linspace(a, b, 101))
    assert np.all(np.diff(line) >= -1e-12) and line[50] == pytest.approx(0.5, abs=1e-4)
    # q(x) = 1 - q(-x) everywhere on the (symmetric) grid
    np.testing.assert_allclose(q, 1 - q[::-1, ::-1], atol=1e-3)  # ball edges are node-discretised


def test_2d_muller_brown_committor_is_monotone_between_the_deep_minima():
    land = build_builtin("muller_brown", {"scale": 1.0})
    an = analyze_landscape(land)
    nodes, q = committor(land, an, 0, 2, 15.0, grid_points=150)
    assert q.min() >= 0 and q.max() <= 1
    interp = RegularGridInterpolator(nodes, q)
    line = interp(np.linspace(an.minima[0].location, an.minima[2].location, 60))
    assert line[0] == 0.0 and line[-1] == 1.0
    assert np.all(np.diff(line) >= -1e-9)


def test_committor_rejects_bad_minima(tilted):
    land, an = tilted
    with pytest.raises(SpecError):
        committor(land, an, 0, 0, 0.1)
    with pytest.raises(SpecError):
        committor(land, an, 0, 5, 0.1)
