"""Bench: the gradient-noise theory. Prints figures (and ratios against a baseline in the same run), asserts nothing.

Targets (issue 9): Sigma at the critical points for n = 10^4 data rows < 50 ms (1-D); density evolution with Sigma(w),
1-D, 2000 points, 1000 steps < 1.5 s; a 2-D 200x200 kernel < 10 s; gradient_covariance Langevin ns per
particle-sample against minibatch_sgd's.
Run: PYTHONPATH=service .venv/bin/python bench/bench_noise.py
"""

from __future__ import annotations

import time

import numpy as np
from timing import best_of

from sgdlab.core.landscapes.finite_sum import FiniteSumFormulaLandscape
from sgdlab.core.simulation.run import simulate
from sgdlab.spec.dynamics import DynamicsSpec
from sgdlab.theory.density_evolution import evolve_density, make_grid, transition_matrix
from sgdlab.theory.landscape_analysis import analyze_landscape
from sgdlab.theory.noise import noise_block, noise_model

RNG = np.random.default_rng(0)


def bench_sigma_at_critical_points() -> None:
    """The noise block (Sigma at every minimum and saddle) for a 1-D finite sum of 10^4 rows."""
    a = RNG.normal(0, 0.3, 10_000)
    land = FiniteSumFormulaLandscape("0.25*(w**2-1)**2 + 0.05*w + a*(w + 0.4*w**2)", ["w"], {"a": a.tolist()},
                                     range=[(-2, 2)])
    analysis = analyze_landscape(land)
    model = noise_model(DynamicsSpec(method="minibatch_sgd", lr=0.05, batch_size=1), land, 0.05)
    t = best_of(lambda: noise_block(model, land, analysis), repeat=5)
    base = best_of(lambda: land.grad(np.array([[m.location[0]] for m in analysis.minima])), repeat=5)
    print(f"Sigma at {len(analysis.minima)} minima + {len(analysis.saddles)} saddles, n = 10^4 rows: "
          f"{t * 1e3:.2f} ms (target < 50 ms); {t / base:.1f}x one full gradient at the minima")


def bench_density_evolution_with_sigma() -> None:
    """1-D, 2000 points, 1000 steps: Sigma of order 1 (kernels as wide as the isotropic one), then a loud case."""
    for label, sa2, sb2 in (("Sigma ~ 0.5..2", 0.3, 0.5), ("loud right well, Sigma ~ 4..30", 8.34, 3.66)):
        a = np.sqrt(sa2) * np.array([1.0, -1.0, 1.0, -1.0])
        b = np.sqrt(sb2) * np.array([1.0, 1.0, -1.0, -1.0])
        land = FiniteSumFormulaLandscape("0.1*(w**2-1)**2 + a*(w + 0.4*w**2) + b*w", ["w"],
                                         {"a": a.tolist(), "b": b.tolist()}, range=[(-3, 3)])
        model = noise_model(DynamicsSpec(method="langevin", noise="gradient_covariance", lr=0.025), land, 0.025)
        cov = lambda p: model.covariance(land, p)  # noqa: E731
        t = best_of(lambda: evolve_density(land, 0.025, 1, 2000, None, None, steps=1000, noise_cov=cov), repeat=2)
        nnz = transition_matrix(land, make_grid(land.default_range, 2000), 0.025, 1, noise_cov=cov).nnz
        iso = best_of(lambda: evolve_density(land, 0.025, 1, 2000, None, None, steps=1000), repeat=2)
        print(f"density evolution with Sigma(w) ({label}), 1-D, 2000 points, 1000 steps: {t:.3f} s (target "
              f"< 1.5 s), nnz {nnz}; isotropic kernel on the same grid {iso:.3f} s ({t / iso:.2f}x)")
    a2, b2 = [1.0, -1.0, 1.0, -1.0], [1.0, 1.0, -1.0, -1.0]
    land2 = FiniteSumFormulaLandscape("0.5*(u**2 + v**2) + 0.1*u**4 + a*(u + 0.3*u**2) + b*(v + 0.3*u*v)",
                                      ["u", "v"], {"a": a2, "b": b2}, range=[(-1.5, 1.5), (-1.5, 1.5)])
    model2 = noise_model(DynamicsSpec(method="langevin", noise="gradient_covariance", lr=0.01), land2, 0.01)
    grid = make_grid(land2.default_range, 200)
    t0 = time.perf_counter()
    P = transition_matrix(land2, grid, 0.01, 1, noise_cov=lambda p: model2.covariance(land2, p))
    t2 = time.perf_counter() - t0
    t0 = time.perf_counter()
    P_iso = transition_matrix(land2, grid, 0.01, 1)
    t2i = time.perf_counter() - t0
    print(f"2-D anisotropic kernel, 200x200 cells, lr 0.01: {t2:.2f} s (target < 10 s), nnz {P.nnz}; isotropic "
          f"kernel {t2i:.2f} s, nnz {P_iso.nnz} ({t2 / t2i:.1f}x)")


def bench_gradient_covariance_langevin() -> None:
    """ns per particle-sample (particle x step x data row) of gradient_covariance Langevin vs minibatch_sgd."""
    c = RNG.normal(0, 1, 64).tolist()
    land = {"finite_sum": {"per_sample": "0.25*(w**2-1)**2 + c*w", "data": {"c": c}}}
    base = {"landscape": land, "particles": 4000, "steps": 200, "observe": {"histogram": {"bins": 20},
                                                                             "gibbs": False}}
    rows = 64
    for name, dyn, per_step in (("gradient_covariance", {"method": "langevin", "noise": "gradient_covariance",
                                                          "lr": 0.01}, rows),
                                ("minibatch_sgd B=1", {"method": "minibatch_sgd", "lr": 0.01, "batch_size": 1}, 1),
                                ("minibatch_sgd B=64", {"method": "minibatch_sgd", "lr": 0.01, "batch_size": 64},
                                 64)):
        t = best_of(lambda: simulate({**base, "dynamics": dyn}), repeat=2)
        samples = 4000 * 200 * per_step
        print(f"{name}: {t:.3f} s, {t / samples * 1e9:.1f} ns per particle-sample "
              f"({t / (4000 * 200) * 1e9:.0f} ns per particle-step)")


if __name__ == "__main__":
    bench_sigma_at_critical_points()
    bench_density_evolution_with_sigma()
    bench_gradient_covariance_langevin()
