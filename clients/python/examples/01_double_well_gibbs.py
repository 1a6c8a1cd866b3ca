"""Histogram vs Gibbs on a tilted double well at three temperatures.

T = lr / (2B). Cold: nearly all mass in the deeper (left) well; hot: the wells even out. The measured basin
fractions are compared with the Gibbs values exp(-beta L) integrated over each basin, which the service computes.
"""

from __future__ import annotations

from _common import binomial_stderr, connect, global_minimum, parse_args, report, run_all

import sgdlab_client as sc
from sgdlab_client import initial, landscapes

LANDSCAPE = landscapes.double_well(height=0.1, width=1.25, tilt=0.04)
LR = 0.2
BATCH_SIZES = [4, 2, 1]  # T = 0.025, 0.05, 0.1


def main() -> None:
    args = parse_args(__doc__)
    particles, steps = (4000, 6000) if args.small else (40000, 30000)
    specs = [sc.simulation(LANDSCAPE, LR, b, init=initial.uniform([-2.5], [2.5]), particles=particles, steps=steps,
                           seed=1, histogram={"bins": 100, "range": [(-2.5, 2.5)]}) for b in BATCH_SIZES]
    with connect(args) as client:
        results = run_all(client, specs, args.progress)
    rows = []
    print(f"{'T':>8} {'beta':>7} {'deep basin':>11} {'Gibbs':>7} {'stderr':>7}  {'KL(hist||Gibbs)':>15}")
    for b, res in zip(BATCH_SIZES, results):
        deep = global_minimum(res)
        measured = res.basin_fractions()[deep]
        theory = res.gibbs.basin_fractions_theory[deep]
        se = binomial_stderr(measured, particles)
        rows.append({"temperature": LR / (2 * b), "batch_size": b, "deep_fraction": measured,
                     "deep_fraction_gibbs": theory, "stderr": se, "kl": res.gibbs.kl_divergence})
        print(f"{LR / (2 * b):8.4f} {res.beta:7.1f} {measured:11.4f} {theory:7.4f} {se:7.4f}  {res.gibbs.kl_divergence:15.4f}")
    report({"rows": rows})


if __name__ == "__main__":
    main()
