"""Bench: exact density evolution on a 1-D grid and finite Markov chain analysis. Prints figures, asserts nothing.

Targets: 1000 steps of density evolution on 2000 grid points < 1 s; a 1000-state dense chain analysis with its
whole mean-first-passage matrix < 1 s.
Run: .venv/bin/python bench/bench_theory_chains.py
"""

from __future__ import annotations


import numpy as np
from timing import best_of

from sgdlab.core.landscapes.catalog import build_builtin
from sgdlab.theory.density_evolution import evolve_density, invariant_law, make_grid, transition_matrix
from sgdlab.theory.markov_chains import (analyze_markov_chain, gth_stationary, mean_first_passage_times,
                                         one_blas_thread, second_largest_modulus)


def bench_density_evolution() -> None:
    """1000 steps on a 1-D grid of 2000 cells (double well, lr 0.01, B 1), and the parts of the cost."""
    L = build_builtin("double_well", {})
    grid = make_grid(L.default_range, 2000)
    total = best_of(lambda: evolve_density(L, 0.01, 1, 2000, None, None, steps=1000, snapshots=[100, 500]))
    build = best_of(lambda: transition_matrix(L, grid, 0.01, 1))
    P = transition_matrix(L, grid, 0.01, 1)
    inv = best_of(lambda: invariant_law(P))
    PT = P.T.tocsr()
    rho = np.full(grid.size, 1.0 / grid.size)

    def steps() -> None:
        r = rho
        for _ in range(1000):
            r = PT @ r

    mv = best_of(steps)
    print(f"density evolution 1-D, 2000 cells, 1000 steps: {total:.3f} s total (target < 1 s)"
          f"  [kernel build {build * 1e3:.1f} ms, nnz {P.nnz}, invariant law {inv * 1e3:.1f} ms,"
          f" 1000 mat-vecs {mv * 1e3:.1f} ms]")
    L2 = build_builtin("muller_brown", {})
    t2 = best_of(lambda: evolve_density(L2, 0.002, 1, 100, None, None, steps=1000), repeat=1)
    print(f"density evolution 2-D Mueller-Brown, 100x100 cells, lr 0.002, 1000 steps: {t2:.3f} s")
    wide = best_of(lambda: evolve_density(L, 0.2, 1, 2000, None, None, steps=1000), repeat=1)
    print(f"density evolution 1-D, 2000 cells, lr 0.2 (kernel ~1200 cells wide), 1000 steps: {wide:.3f} s")


def bench_markov() -> None:
    """A dense random 1000-state chain with its whole MFPT matrix, a 3000-state sparse chain, a ring walk.

    The baseline in the same run is one 1000 x 1000 matrix product (the machine's BLAS speed right now)."""
    rng = np.random.default_rng(0)
    n = 1000
    P = rng.random((n, n))
    P /= P.sum(axis=1, keepdims=True)
    rows = P.tolist()
    gemm = best_of(lambda: P @ P)
    t = best_of(lambda: analyze_markov_chain(rows, steps=50))
    with one_blas_thread():  # as the analysis runs them
        pi = gth_stationary(P)
        mfpt = best_of(lambda: mean_first_passage_times(P, pi))
        parts = (f"GTH {best_of(lambda: gth_stationary(P)) * 1e3:.0f} ms,"
                 f" |lambda_2| {best_of(lambda: second_largest_modulus(P)) * 1e3:.0f} ms")
    print(f"Markov analysis, dense random {n} states, 50 steps, whole MFPT matrix (lists in): {t:.3f} s"
          f" (target < 1 s)  [{parts}, MFPT {mfpt * 1e3:.0f} ms = {mfpt / gemm:.1f} x one {n}^2 matrix"
          f" product ({gemm * 1e3:.1f} ms, all BLAS threads)]")
    n = 3000
    cols = np.concatenate([(np.arange(n) + 1) % n, rng.integers(0, n, (3, n)).ravel()])
    rows_idx = np.concatenate([np.arange(n), np.tile(np.arange(n), 3)])
    S = np.zeros((n, n))
    np.add.at(S, (rows_idx, cols), 1.0)
    S /= S.sum(axis=1, keepdims=True)
    r, c = np.nonzero(S)
    sparse = {"sparse": {"n": n, "rows": r.tolist(), "cols": c.tolist(), "values": S[r, c].tolist()}}
    t = best_of(lambda: analyze_markov_chain(sparse, steps=50, mean_first_passage=[0]), repeat=1)
    print(f"Markov analysis, sparse random {n} states ({len(r)} entries), 50 steps, one MFPT column: {t:.3f} s")
    n = 1000
    i = np.arange(n)
    ring = np.zeros((n, n))
    ring[i, i] = 0.5
    ring[i, (i + 1) % n] += 0.3
    ring[i, (i - 1) % n] += 0.2
    t = best_of(lambda: analyze_markov_chain(ring, steps=50))
    print(f"Markov analysis, lazy biased ring walk, {n} states, 50 steps, whole MFPT matrix: {t:.3f} s")


if __name__ == "__main__":
    bench_density_evolution()
    bench_markov()
