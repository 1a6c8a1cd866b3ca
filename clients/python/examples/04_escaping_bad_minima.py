"""Escaping a bad minimum with the learning-rate schedule.

Part 1: every particle starts in the shallow (bad) minimum of a tilted double well. A constant small lr is too
cold to cross the barrier; a cyclic and a cosine-with-restarts schedule heat up periodically, cross, and cool down
into the deep well.
Part 2: particles start uniformly. A fast exponential decay freezes them wherever they started; the slow
inverse_log annealing lr_t = c / log(t + t0) keeps them warm long enough to find the global minimum more often.
Both parts are one sweep: the schedule (`dynamics.lr`) and the start (`init`) zipped, five points.
"""

from __future__ import annotations

import math

from _common import binomial_stderr, connect, global_minimum, parse_args, report, wait_for_sweep

import sgdlab_client as sc
from sgdlab_client import initial, landscapes, schedules

LANDSCAPE = landscapes.double_well(height=0.1, width=1.25, tilt=0.04)  # left well deeper


def main() -> None:
    args = parse_args(__doc__)
    particles, period = (2000, 1000) if args.small else (20000, 2000)
    steps = 4 * period
    escape_schedules = {
        "constant": schedules.constant(0.02),
        "cyclic": schedules.cyclic(lr_min=0.02, lr_max=0.4, period=period),
        "cosine_restarts": schedules.cosine(lr_max=0.4, period=period, lr_min=0.02),
    }
    anneal_schedules = {
        "exponential": schedules.exponential(lr=0.4, gamma=0.99),
        "inverse_log": schedules.inverse_log(c=0.4, t0=math.e),
    }
    with connect(args) as client:
        minima = client.analyze_landscape(LANDSCAPE).landscape.minima
        bad = max(minima, key=lambda m: m.loss).index
        names = list(escape_schedules) + list(anneal_schedules)
        starts = ([initial.minimum(bad)] * len(escape_schedules)
                  + [initial.uniform([-2.5], [2.5])] * len(anneal_schedules))
        base = sc.simulation(LANDSCAPE, 0.02, 1, particles=particles, steps=steps, seed=5,
                             histogram={"bins": 100, "range": [(-2.5, 2.5)]})
        schedule_values = [s.to_json() for s in list(escape_schedules.values()) + list(anneal_schedules.values())]
        job = client.sweep(base, mode="zip", axes=[{"path": "dynamics.lr", "values": schedule_values},
                                                   {"path": "init", "values": [s.to_json() for s in starts]}])
        sweep = wait_for_sweep(job, args.progress)
        good = global_minimum(job.point_result(0))

    fractions = {}
    for name, point in zip(names, sweep.points):
        p = (point["summary"]["basin_fractions"] or [])[good] if point["summary"]["basin_fractions"] else 0.0
        fractions[name] = {"global_fraction": p, "stderr": binomial_stderr(p, particles)}
    print(f"start in the bad minimum {bad}; fraction in the global minimum after {steps} steps:")
    for name in escape_schedules:
        print(f"  {name:>16}: {fractions[name]['global_fraction']:.4f} +- {fractions[name]['stderr']:.4f}")
    print("start uniform; fraction in the global minimum:")
    for name in anneal_schedules:
        print(f"  {name:>16}: {fractions[name]['global_fraction']:.4f} +- {fractions[name]['stderr']:.4f}")
    report({"bad_minimum": bad, "steps": steps, "fractions": fractions})


if __name__ == "__main__":
    main()
