"""Histogram vs Gibbs on a tilted double well at three temperatures.

T = lr / (2B). Cold: nearly all mass in the deeper (left) well; hot: the wells even out. The measured basin
fractions are compared with the Gibbs values exp(-beta L) integrated over each basin, which the service computes.
One sweep over the batch size; its `basins_vs_beta` analysis holds the fractions and their Gibbs values.
"""

from __future__ import annotations

from _common import binomial_stderr, connect, global_minimum, parse_args, report, wait_for_sweep

import sgdlab_client as sc
from sgdlab_client import initial, landscapes

LANDSCAPE = landscapes.double_well(height=0.1, width=1.25, tilt=0.04)
LR = 0.2
BATCH_SIZES = [4, 2, 1]  # T = 0.025, 0.05, 0.1


def main() -> None:
    args = parse_args(__doc__)
    particles, steps = (4000, 6000) if args.small else (40000, 30000)
    base = sc.simulation(LANDSCAPE, LR, init=initial.uniform([-2.5], [2.5]), particles=particles, steps=steps,
                         seed=1, histogram={"bins": 100, "range": [(-2.5, 2.5)]})
    with connect(args) as client:
        job = client.sweep(base, axes=[{"path": "dynamics.batch_size", "values": BATCH_SIZES}])
        sweep = wait_for_sweep(job, args.progress)
        deep = global_minimum(job.point_result(0))
    by_index = {r["index"]: r for r in sweep.analyses["basins_vs_beta"]["points"]}
    rows = []
    print(f"{'T':>8} {'beta':>7} {'deep basin':>11} {'Gibbs':>7} {'stderr':>7}  {'KL(hist||Gibbs)':>15}")
    for point in sweep.points:
        b, fit = point["params"]["dynamics.batch_size"], by_index[point["index"]]
        measured, theory = fit["fractions"][deep], fit["gibbs"][deep]
        se = binomial_stderr(measured, particles)
        kl = point["summary"]["kl_divergence"]
        rows.append({"temperature": LR / (2 * b), "batch_size": b, "deep_fraction": measured,
                     "deep_fraction_gibbs": theory, "stderr": se, "kl": kl})
        print(f"{LR / (2 * b):8.4f} {fit['beta']:7.1f} {measured:11.4f} {theory:7.4f} {se:7.4f}  {kl:15.4f}")
    report({"rows": rows})


if __name__ == "__main__":
    main()
