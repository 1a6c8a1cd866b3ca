"""Exact density evolution of SGD's chain on a grid: invariants, exact variances, Gibbs gap scaling, schedules."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sgdlab.core.errors import Cancelled, LimitExceeded, SpecError
from sgdlab.core.landscapes.catalog import build_builtin
from sgdlab.limits import Limits
from sgdlab.theory.density_evolution import (
    DensityGrid,
    evolve_density,
    initial_normal,
    initial_point,
    initial_uniform,
    invariant_law,
    make_grid,
    transition_matrix,
)

KL_ROUNDOFF_FLOOR = 1e-28
"""Once rho_t equals rho_inf to double precision, KL(rho_t || rho_inf) ~ n * (1e-16)^2 jitters at this level."""


def assert_non_increasing(series: np.ndarray, rel: float = 1e-12) -> None:
    """Data processing: a divergence to the invariant law never increases (1e-12 relative, roundoff floor)."""
    s = np.asarray(series, dtype=float)
    assert np.isfinite(s).all()
    assert np.all(np.diff(s) <= rel * s[:-1] + KL_ROUNDOFF_FLOOR), np.diff(s).max()


def quantised_quadratic_variance(lr: float, batch: int, curvature: float, h: float) -> float:
    """Exact invariant variance of x' = (1 - lr c) x + (lr/sqrt(B)) xi, plus the grid's snapping noise h^2/12
    per step (each step lands in a cell and restarts from its centre)."""
    return (lr * lr / batch + h * h / 12) / (lr * curvature * (2 - lr * curvature))


class SqrtWall:
    """L(w) = sqrt(w): its gradient is nan for w < 0, so a grid reaching there is refused."""

    dim = 1
    name = "sqrt"
    default_range = [(-1.0, 1.0)]

    def grad(self, w, out=None):
        with np.errstate(invalid="ignore", divide="ignore"):
            return 0.5 / np.sqrt(w)


class Cubic3D:
    """A 3-D landscape (density evolution refuses it)."""

    dim = 3
    name = "bowl3"
    default_range = [(-1.0, 1.0)] * 3


def test_kernel_rows_are_probabilities_with_the_right_mean_and_variance():
    L = build_builtin("quadratic", {"curvature": 1.0, "dim": 1})
    grid = make_grid([(-3.0, 3.0)], 600)
    lr, B = 0.2, 4
    P = transition_matrix(L, grid, lr, B)
    np.testing.assert_allclose(np.asarray(P.sum(axis=1)).ravel(), 1.0, rtol=0, atol=1e-13)
    x = grid.centres[0]
    interior = np.abs(x) < 1.5  # kernel far from the walls: no renormalisation
    mean = P @ x
    var = P @ (x * x) - mean**2
    np.testing.assert_allclose(mean[interior], (x - lr * x)[interior], atol=1e-9)
    h = grid.spacing[0]
    np.testing.assert_allclose(var[interior], lr * lr / B + h * h / 12, rtol=2e-3)


def test_quadratic_invariant_variance_matches_the_discrete_time_value():
    lr, B, c, centre = 0.1, 2, 2.0, 0.3
    L = build_builtin("quadratic", {"curvature": c, "center": centre, "dim": 1})
    res = evolve_density(L, lr, B, 800, [(centre - 0.8, centre + 0.8)], None, steps=0)
    x = res.grid.centres[0]
    pi = res.stationary
    mean = pi @ x
    var = pi @ (x - mean) ** 2
    exact = lr / (B * c * (2 - lr * c))
    h = res.grid.spacing[0]
    grid_error = (h * h / 12) / (lr * lr / B)  # relative: snapping noise over kernel noise, ~7e-5 here
    assert mean == pytest.approx(centre, abs=1e-9)
    assert var == pytest.approx(exact, rel=3 * grid_error + 1e-5)
    assert var == pytest.approx(quantised_quadratic_variance(lr, B, c, h), rel=2e-5)
    # and not the continuous-time (Gibbs) value lr / (2 B c): the discretisation bias is resolved
    assert abs(var / (lr / (2 * B * c)) - 1) > 0.05


def test_two_dimensional_anisotropic_quadratic_variances_and_flattening():
    lr, B = 0.3, 1
    curv = [1.0, 2.0]
    L = build_builtin("quadratic", {"curvature": curv})
    res = evolve_density(L, lr, B, 40, [(-2.0, 2.0), (-2.0, 2.0)], {"point": [0.5, -0.5]}, steps=30,
                         snapshots=[0, 30])
    nx, ny = res.grid.shape
    pi = res.stationary.reshape(nx, ny)  # row-major: x slowest
    x, y = res.grid.centres
    px, py = pi.sum(axis=1), pi.sum(axis=0)
    h = res.grid.spacing
    for marg, coord, c, hk in ((px, x, curv[0], h[0]), (py, y, curv[1], h[1])):
        var = marg @ coord**2 - (marg @ coord) ** 2
        assert var == pytest.approx(quantised_quadratic_variance(lr, B, c, hk), rel=0.01)
    assert np.sum(pi * np.outer(x, y)) == pytest.approx(0.0, abs=1e-12)  # independent axes
    assert_non_increasing(res.kl_to_stationary)
    doc = res.to_dict()
    step0 = doc["histograms"]["snapshots"][0]
    assert step0["step"] == 0
    dens = np.array(step0["density"])
    assert dens.size == nx * ny
    i, j = np.unravel_index(np.argmax(dens), (nx, ny))
    assert x[i] == pytest.approx(0.5, abs=h[0]) and y[j] == pytest.approx(-0.5, abs=h[1])
    cell = float(np.prod(h))
    for d in (dens, np.array(doc["histograms"]["final"]["density"]), np.array(doc["stationary"]["density"])):
        assert d.sum() * cell == pytest.approx(1.0, abs=1e-12)
    json.dumps(doc, allow_nan=False)


def test_double_well_kl_and_tv_series_never_increase():
    L = build_builtin("double_well", {"height": 0.15, "tilt": 0.05})
    res = evolve_density(L, 0.1, 1, 300, [(-1.7, 1.7)], {"point": [0.9]}, steps=1500)
    kl = res.kl_to_stationary
    assert kl[0] > 1.0 and kl[-1] < 1e-2 * kl[0]  # it does move towards the invariant law
    assert_non_increasing(kl)
    assert_non_increasing(res.total_variation_to_stationary)
    # the tilt favours the left well also in the chain's invariant law
    x = res.grid.centres[0]
    assert res.stationary[x < 0].sum() > 0.6
    assert res.final.sum() == pytest.approx(1.0, abs=1e-12)


def test_invariant_law_is_invariant_and_the_evolution_converges_to_it():
    L = build_builtin("double_well", {"height": 0.5})
    grid = make_grid([(-1.8, 1.8)], 200)
    P = transition_matrix(L, grid, 0.1, 1)
    pi = invariant_law(P)
    np.testing.assert_allclose(P.T @ pi, pi, rtol=0, atol=1e-15)
    res = evolve_density(L, 0.1, 1, 200, [(-1.8, 1.8)], None, steps=3000, series_every=100)
    np.testing.assert_allclose(res.final, res.stationary, atol=1e-9)
    assert res.series_steps[-1] == 3000 and len(res.kl_to_stationary) == 31


def test_metastable_symmetric_double_well_gets_a_symmetric_invariant_law():
    # beta = 2B/lr = 200, barrier 1: the wells exchange mass ~ e^-200 per step. GTH keeps it exact.
    L = build_builtin("double_well", {})
    res = evolve_density(L, 0.01, 1, 1000, None, None, steps=0)
    pi = res.stationary
    np.testing.assert_allclose(pi, pi[::-1], rtol=1e-9, atol=1e-300)
    assert res.total_variation_stationary_vs_gibbs < 0.05


def test_gibbs_gap_vanishes_linearly_in_lr():
    L = build_builtin("quadratic", {"curvature": 1.0, "dim": 1})
    lrs = np.array([0.1, 0.05, 0.025])
    tv, kl = [], []
    for lr in lrs:
        res = evolve_density(L, float(lr), 1, 960, [(-1.2, 1.2)], None, steps=0)
        tv.append(res.total_variation_stationary_vs_gibbs)
        kl.append(res.kl_stationary_vs_gibbs)
    tv_slope = np.polyfit(np.log(lrs), np.log(tv), 1)[0]
    kl_slope = np.polyfit(np.log(lrs), np.log(kl), 1)[0]
    # the invariant law of the discrete chain differs from Gibbs by O(lr): TV ~ lr, KL ~ lr^2
    assert tv_slope == pytest.approx(1.0, abs=0.15)
    assert kl_slope == pytest.approx(2.0, abs=0.3)
    assert tv[-1] < 0.01
    assert res.gibbs_gap == {"kl": kl[-1], "total_variation": tv[-1]}


def test_schedule_matches_composed_kernels_and_counts_rebuilds():
    L = build_builtin("double_well", {"height": 0.4})
    rng_ = [(-1.8, 1.8)]
    grid = make_grid(rng_, 150)
    lr_fn = lambda t: 0.1 if t < 20 else 0.05  # noqa: E731
    res = evolve_density(L, lr_fn, 2, 150, rng_, {"normal": {"mean": [1.0], "std": 0.2}}, steps=50)
    rho = initial_normal(grid, [1.0], 0.2)
    P1, P2 = transition_matrix(L, grid, 0.1, 2), transition_matrix(L, grid, 0.05, 2)
    for t in range(50):
        rho = (P1 if t < 20 else P2).T @ rho
    np.testing.assert_allclose(res.final, rho, atol=1e-14)
    assert res.kernel_builds == 2 and res.lr_final == 0.05
    assert res.beta == pytest.approx(2 * 2 / 0.05)
    np.testing.assert_allclose(res.stationary, invariant_law(P2), atol=1e-14)


def test_smooth_schedule_rebuilds_are_bounded_by_lr_rtol():
    L = build_builtin("quadratic", {"curvature": 1.0, "dim": 1})
    decay = lambda t: 0.1 * 0.999**t  # noqa: E731
    exact = evolve_density(L, decay, 1, 100, [(-1.5, 1.5)], None, steps=200, lr_rtol=0.0)
    coarse = evolve_density(L, decay, 1, 100, [(-1.5, 1.5)], None, steps=200, lr_rtol=0.01)
    # one kernel per step, plus the final-lr kernel built first for the invariant law (evicted from the
    # small LRU cache by step 199, so built twice)
    assert exact.kernel_builds == 201
    # lr falls by 18% over 200 steps: at most log(1.22)/log(1.01) + 2 rebuilds with 1% tolerance
    assert coarse.kernel_builds <= math.log(1 / 0.999**200) / math.log(1.01) + 3
    assert np.abs(exact.final - coarse.final).sum() < 0.02


def test_progress_and_cancel():
    L = build_builtin("quadratic", {"curvature": 1.0, "dim": 1})
    seen = []
    evolve_density(L, 0.1, 1, 50, None, None, steps=450, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 3
    with pytest.raises(Cancelled):
        evolve_density(L, 0.1, 1, 50, None, None, steps=1000, should_cancel=lambda: True)


def test_initial_density_helpers():
    grid = make_grid([(0.0, 1.0)], 10)
    u = initial_uniform(grid, [0.15], [0.35])
    np.testing.assert_allclose(u, [0, 0.25, 0.5, 0.25, 0, 0, 0, 0, 0, 0], atol=1e-15)
    p = initial_point(grid, [0.42])
    assert p[4] == 1.0 and p.sum() == 1.0
    assert initial_point(grid, [1.0])[-1] == 1.0  # the upper edge belongs to the last cell
    n = initial_normal(make_grid([(-5.0, 5.0)], 1000), [0.5], 0.7)
    x = make_grid([(-5.0, 5.0)], 1000).centres[0]
    assert n @ x == pytest.approx(0.5, abs=1e-9)
    assert n @ (x - 0.5) ** 2 == pytest.approx(0.49 + 0.01**2 / 12, rel=1e-6)
    g2 = make_grid([(0.0, 1.0), (0.0, 2.0)], [10, 4])
    box = initial_uniform(g2, [0.0, 0.0], [0.1, 1.0]).reshape(10, 4)
    np.testing.assert_allclose(box[0], [0.5, 0.5, 0, 0])
    with pytest.raises(SpecError) as exc:
        initial_point(grid, [1.5])
    assert exc.value.field == "init.point"


@pytest.mark.parametrize("kwargs, field, exc_type", [
    ({"grid_points": 6000}, "grid.points", LimitExceeded),
    ({"grid_points": 1}, "grid.points", SpecError),
    ({"snapshots": [11]}, "observe.histogram.snapshots", SpecError),
    ({"lr_fn": lambda t: 0.0 if t > 3 else 0.1}, "dynamics.lr", SpecError),
    ({"lr_fn": -0.1}, "dynamics.lr", SpecError),
    ({"batch_size": 0}, "dynamics.batch_size", SpecError),
    ({"range": [(1.0, -1.0)]}, "grid.range.0", SpecError),
    ({"initial_density": {"point": [9.0]}}, "init.point", SpecError),
    ({"initial_density": {"minimum": 0}}, "init.minimum", SpecError),
    ({"steps": -1}, "steps", SpecError),
])
def test_validation_names_the_field(kwargs, field, exc_type):
    L = build_builtin("quadratic", {"curvature": 1.0, "dim": 1})
    args = {"landscape": L, "lr_fn": 0.1, "batch_size": 1, "grid_points": 50, "range": None,
            "initial_density": None, "steps": 10, "snapshots": []}
    args.update(kwargs)
    with pytest.raises(exc_type) as exc:
        evolve_density(**args)
    assert exc.value.field == field


def test_undefined_gradient_on_the_grid_names_the_range():
    with pytest.raises(SpecError) as exc:
        evolve_density(SqrtWall(), 0.1, 1, 20, None, None, steps=1)
    assert exc.value.field == "grid.range" and "-0.95" in exc.value.message


def test_three_dimensions_and_snapshot_limits_are_refused():
    with pytest.raises(SpecError) as exc:
        evolve_density(Cubic3D(), 0.1, 1, 10, None, None, steps=1)
    assert exc.value.field == "landscape"
    L = build_builtin("quadratic", {"curvature": 1.0, "dim": 1})
    with pytest.raises(LimitExceeded) as exc:
        evolve_density(L, 0.1, 1, 50, None, None, steps=10, snapshots=[1, 2, 3], limits=Limits(max_snapshots=2))
    assert exc.value.limit == "max_snapshots"


def test_grid_geometry():
    g = DensityGrid((np.linspace(0, 1, 11), np.linspace(-1, 1, 5)))
    assert g.shape == (10, 4) and g.size == 40 and g.cell_volume == pytest.approx(0.05)
    pts = g.points()
    assert pts.shape == (40, 2) and tuple(pts[1]) == pytest.approx((0.05, -0.25))


def test_sparse_lu_path_agrees_with_banded_gth(monkeypatch):
    import sgdlab.theory.density_evolution as de

    L = build_builtin("double_well", {"height": 0.5, "tilt": 0.2})
    grid = make_grid([(-1.8, 1.8)], 300)
    P = transition_matrix(L, grid, 0.1, 1)
    by_gth = invariant_law(P)
    monkeypatch.setattr(de, "GTH_BANDED_MAX_WORK", 0)
    by_lu = invariant_law(P)
    np.testing.assert_allclose(by_lu, by_gth, rtol=1e-8, atol=1e-300)
    assert by_gth[grid.centres[0] < 0].sum() > 0.5
