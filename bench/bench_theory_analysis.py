"""Bench of the theory layer: 1-D landscape analysis, basin_of on 10^6 points, 2-D exact MFPT on 200x200.

Prints each figure with its target and the ratio (figure / target); no assertion.
Run: .venv/bin/python bench/bench_theory_analysis.py
"""

from __future__ import annotations


import numpy as np
from timing import best_of

from sgdlab.core.landscapes.catalog import build_builtin
from sgdlab.theory.committor import committor
from sgdlab.theory.exit_times import exact_mfpt_steps, kramers_steps
from sgdlab.theory.gibbs import gibbs_basin_fractions_estimate, gibbs_bin_probabilities
from sgdlab.theory.landscape_analysis import analyze_landscape
from sgdlab.theory.landscape_theory import landscape_theory


def report(label: str, seconds: float, target: float) -> None:
    print(f"{label:<52} {seconds * 1e3:9.2f} ms   target {target * 1e3:7.0f} ms   ratio {seconds / target:5.2f}")


def main() -> None:
    dw = build_builtin("double_well", {"height": 1.0, "width": 1.0, "tilt": 0.2})
    report("analyze_landscape, 1-D tilted double well", best_of(lambda: analyze_landscape(dw), 20), 0.050)
    an = analyze_landscape(dw)
    pts = np.random.default_rng(0).normal(size=(1_000_000, 1))
    report("basin_of, 1-D, 10^6 points", best_of(lambda: an.basin_of(pts), 10), 0.050)
    report("1-D analysis with theory (adaptive Gibbs quadrature, exits)",
           best_of(lambda: landscape_theory(dw, 0.1, 0.01), 10), 0.050)
    report("  of which Gibbs basin fractions (adaptive quadrature)",
           best_of(lambda: gibbs_basin_fractions_estimate(dw, an, 10.0), 20), 0.050)
    edges = np.linspace(-2, 2, 201)
    report("  Gibbs bin masses, 200 bins (adaptive quadrature)",
           best_of(lambda: gibbs_bin_probabilities(dw, edges, 10.0), 20), 0.050)

    mb = build_builtin("muller_brown", {"scale": 0.01})
    report("analyze_landscape, 2-D Mueller-Brown", best_of(lambda: analyze_landscape(mb), 3), 1.0)
    amb = analyze_landscape(mb)
    pts2 = np.random.default_rng(0).uniform(-1.5, 1.2, (1_000_000, 2))
    report("basin_of, 2-D label grid, 10^6 points", best_of(lambda: amb.basin_of(pts2), 5), 0.100)
    T, lr = 0.1, 0.01
    t = best_of(lambda: exact_mfpt_steps(mb, amb, 1, 2, T, lr, grid_points=200), 3)
    report("exact MFPT, 2-D Mueller-Brown, 200x200 grid", t, 2.0)
    print(f"    exact {exact_mfpt_steps(mb, amb, 1, 2, T, lr, grid_points=200):.4g} steps, "
          f"Kramers {kramers_steps(amb, 1, 2, T, lr):.4g} steps (T={T}, lr={lr})")
    report("committor, 2-D Mueller-Brown, 200x200 grid", best_of(lambda: committor(mb, amb, 0, 2, T, 200), 3), 2.0)
    cold = max(b.height for b in amb.barriers) / 60.0  # beta x (highest barrier) = 60: block GTH elimination
    t = best_of(lambda: exact_mfpt_steps(mb, amb, 1, 2, cold, lr, grid_points=200), 1)
    report("exact MFPT, 2-D Mueller-Brown, 200x200, beta*dL_max = 60", t, 2.0)
    print(f"    exact {exact_mfpt_steps(mb, amb, 1, 2, cold, lr, grid_points=200):.4g} steps, "
          f"Kramers {kramers_steps(amb, 1, 2, cold, lr):.4g} steps (T={cold:.3g})")
    report("exact MFPT, 1-D (20000-point quadrature)",
           best_of(lambda: exact_mfpt_steps(dw, an, 0, 1, 0.1, lr), 10), 0.050)

    st = build_builtin("styblinski_tang", {"dim": 3})
    report("analyze_landscape, 3-D Styblinski-Tang", best_of(lambda: analyze_landscape(st), 1), 2.0)
    ast = analyze_landscape(st)
    pts3 = np.random.default_rng(0).uniform(-5, 5, (100_000, 3))
    report("basin_of, 3-D descent, 10^5 points", best_of(lambda: ast.basin_of(pts3), 1), 1.0)


if __name__ == "__main__":
    main()
