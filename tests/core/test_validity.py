"""Validity: diverged particles are counted and excluded everywhere; warnings carry the numbers they are about."""

import numpy as np
import pytest

from sgdlab.core.observers.first_passage import DIVERGED, NOT_TRACKED
from sgdlab.core.simulation.run import simulate

WELL = {"builtin": "double_well", "params": {"tilt": 0.1}}
OBSERVE = {"histogram": {"bins": 40}, "basins": True, "exit_times": {"from": 1, "to": 0}}


def _codes(result):
    return {w["code"]: w for w in result["validity"]["warnings"]}


def test_lr_03_batch_1_every_particle_diverges_and_nothing_counts_them_as_escapes():
    r = simulate({"landscape": WELL, "dynamics": {"lr": 0.3, "batch_size": 1}, "particles": 2000, "steps": 2000,
                  "observe": OBSERVE})
    v = r["validity"]
    assert v["diverged"] == {"count": 2000, "fraction": 1.0}
    codes = _codes(r)
    assert codes["diverged"]["value"] == 1.0
    lam = max(m["hessian_eigenvalues"][0] for m in r["landscape"]["minima"])
    assert codes["unstable_lr"]["value"] == pytest.approx(0.3 * lam) and codes["unstable_lr"]["threshold"] == 2.0
    e = r["exit_times"]
    # before the fix, diverged particles swept through the target and counted as escapes (691 of 969 here)
    assert e["escaped"] == 0 and e["particles"] == 0 and e["diverged"] + e["not_tracked"] == 2000
    assert r["basins"]["particles"] == 0 and r["basins"]["diverged"] == 2000
    # nothing survived: no fraction (was 0 +- 0), no exit-time interval (was [0, null])
    assert all(b["fraction"] is None and b["stderr"] is None for b in r["basins"]["final"])
    assert r["basins"]["unassigned_fraction"] is None
    assert e["mean_steps"] is None and e["ci95"] == [None, None]
    assert sum(r["histograms"]["final"]["counts"]) == 0
    assert all(law["particles"] == 0 for law in r["local_laws"])


def test_partial_divergence_is_excluded_from_basins_exit_times_and_histograms():
    r = simulate({"landscape": WELL, "dynamics": {"lr": 0.22, "batch_size": 1}, "particles": 2000, "steps": 2000,
                  "observe": OBSERVE})
    n_div = r["validity"]["diverged"]["count"]
    assert 0 < n_div < 2000 and n_div == r["diverged"]["particles"]
    finite = 2000 - n_div
    b = r["basins"]
    assert b["particles"] == finite and b["diverged"] == n_div
    assert sum(x["fraction"] for x in b["final"]) + b["unassigned_fraction"] == pytest.approx(1.0)
    e = r["exit_times"]
    assert e["particles"] + e["diverged"] + e["not_tracked"] == 2000 and e["diverged"] > 0
    assert sum(r["histograms"]["final"]["counts"]) <= finite
    codes = _codes(r)
    assert "large_lr" in codes and codes["large_lr"]["value"] >= 0.2
    assert codes["diverged"]["value"] == pytest.approx(n_div / 2000)


def test_first_passage_marks_diverged_particles_at_the_end_of_a_block():
    from sgdlab.core.observers.first_passage import FirstPassageObserver
    obs = FirstPassageObserver(np.array([0.0]), 0.5, basin_of=lambda w: np.where(w[:, 0] > 2, 1, 0), from_basin=0)
    w = np.array([[1.0], [1.0], [3.0]])
    obs.begin_block(w, 0)
    obs.after_step(1, np.array([[0.1], [0.2], [3.0]]))          # both tracked particles hit the target
    obs.end_block(np.array([[0.1], [np.inf], [3.0]]))            # ... and the second then diverged
    assert obs.state()["times"].tolist() == [1, DIVERGED, NOT_TRACKED]


def test_a_landscape_without_minimum_does_not_silently_succeed():
    r = simulate({"landscape": {"expression": "-w**2"}, "dynamics": {"lr": 0.01}, "particles": 200, "steps": 50,
                  "observe": {"histogram": {"bins": 20}, "basins": True}})
    codes = _codes(r)
    assert "no_minimum" in codes
    assert r["local_laws"] == [] and r["basins"]["final"] == []


def test_schedule_and_low_barrier_and_not_mixed_warnings_carry_their_numbers():
    spec = {"landscape": WELL, "particles": 200, "steps": 100, "observe": {"histogram": {"bins": 20}},
            "dynamics": {"lr": {"schedule": "exponential", "lr": 0.05, "gamma": 0.99}, "batch_size": 1}}
    r = simulate(spec)
    codes = _codes(r)
    last = 0.05 * 0.99 ** 99
    assert codes["schedule"]["value"] == pytest.approx(last)
    assert r["temperature"] == pytest.approx(last / 2)
    # barrier 1->0 is ~0.90 high; T = lr/2: 0.90/T < 2 needs lr > 0.9
    assert "low_barrier" not in codes
    assert codes["not_mixed"]["value"] > 100 and codes["not_mixed"]["threshold"] == 100
    hot = simulate({**spec, "dynamics": {"lr": 0.02, "batch_size": 1},
                    "landscape": {"expression": "0.01*(w**2-1)**2", "variables": ["w"]}})
    low = _codes(hot)["low_barrier"]
    assert low["value"] == pytest.approx(0.01 / 0.01, rel=1e-6) and low["threshold"] == 2.0   # dL / T


def test_mark_diverged_uses_the_stated_radius_and_the_blow_up_rule():
    from sgdlab.core.observers.divergence import DIVERGENCE_RADIUS_FACTOR, divergence_ball, mark_diverged
    box = [[-2.0, 2.0], [0.0, 3.0]]
    centre, radius = divergence_ball(box)
    assert centre.tolist() == [0.0, 1.5] and radius == pytest.approx(DIVERGENCE_RADIUS_FACTOR * 5.0)
    w = np.array([[0.0, 1.5 + 4999.0], [0.0, 1.5 + 5001.0], [np.inf, 0.0], [1.0, 1.0]])
    mark_diverged(w, box)
    assert np.isnan(w[1]).all() and np.isfinite(w[[0, 3]]).all()
    # double well w^4/4 - w^2/2 at lr 0.2: from 12.8 the step goes to -404 (blowing up); from 3.0 to -1.8 (back)
    grad = lambda x: x ** 3 - x                                      # noqa: E731
    w = np.array([[12.8], [3.0], [1.5], [-4.0]])
    mark_diverged(w, [[-2.0, 2.0]], 0.2, grad)
    assert np.isnan(w[[0, 3], 0]).all() and w[1, 0] == 3.0 and w[2, 0] == 1.5


def test_the_tilted_well_at_lr_02_local_law_is_not_masked_by_blown_up_particles():
    """Reviewer's job (fewer particles): particles overshooting to |w| ~ 10..1e6 at the last step made the local
    covariance 1.45e9 with max_abs_z 1.0 (theory 0.056); they are now diverged, the covariances are O(theory)."""
    r = simulate({"landscape": WELL, "dynamics": {"lr": 0.2, "batch_size": 1, "backend": "numpy"},
                  "init": {"minimum": 1}, "particles": 20000, "steps": 2000, "observe": {"basins": True}})
    assert 0 < r["validity"]["diverged"]["count"] < 400
    for law in r["local_laws"]:
        assert law["covariance_measured"][0][0] < 2 * law["covariance_theory"][0][0]


@pytest.mark.parametrize("backend", ["numpy", "compiled"])
def test_particles_blown_up_but_finite_at_the_end_count_as_diverged(backend):
    """Multiplicative noise, E[(1 - lr h_b)^2] = 3.56: after 300 steps |w| ~ e^(0.41 x 300) ~ 1e53, finite;
    before the divergence radius these counted as particles in the basin (covariance ~1e100, max_abs_z ~1)."""
    if backend == "compiled":
        pytest.importorskip("numba")
    r = simulate({"landscape": {"finite_sum": {"per_sample": "0.5*(x*w)**2", "data": {"x": [0.316227766, 1.974841766]}}},
                  "dynamics": {"method": "minibatch_sgd", "lr": 0.9, "batch_size": 1, "backend": backend},
                  "init": {"point": [0.5]}, "particles": 500, "steps": 300, "seed": 3,
                  "observe": {"basins": True, "histogram": {"bins": 20}}})
    assert r["performance"]["backend"] == backend
    assert r["validity"]["diverged"]["count"] == 500 and r["basins"]["diverged"] == 500
    assert r["local_laws"][0]["particles"] == 0 and r["local_laws"][0]["covariance_measured"] is None
    # a stable run keeps every particle
    calm = simulate({"landscape": WELL, "dynamics": {"lr": 0.05, "batch_size": 1, "backend": backend},
                     "particles": 500, "steps": 300, "observe": {"basins": True}})
    assert calm["validity"]["diverged"]["count"] == 0


def test_large_lr_points_exit_times_to_splitting_and_not_mixed_says_it_inherits_the_bias():
    """lr 0.2 on the tilted well (lr lambda 1.66): Kramers 46,797 steps vs 139 measured; say so."""
    from sgdlab.theory.validity import not_mixed_warning
    r = simulate({"landscape": WELL, "dynamics": {"lr": 0.2, "batch_size": 1}, "init": {"minimum": 1},
                  "particles": 200, "steps": 100, "observe": {"basins": True}})
    codes = _codes(r)
    msg = codes["large_lr"]["message"]
    assert "orders of magnitude" in msg and "splitting" in msg and codes["large_lr"]["value"] > 1.6
    assert "large_lr" in codes["not_mixed"]["message"] and "may be far off" in codes["not_mixed"]["message"]
    plain = not_mixed_warning(1e5, 100)[0]["message"]
    assert "far off" not in plain and not_mixed_warning(50.0, 100) == []
