"""Escaping a bad minimum with the learning-rate schedule.

Part 1: every particle starts in the shallow (bad) minimum of a tilted double well. A constant small lr is too
cold to cross the barrier; a cyclic and a cosine-with-restarts schedule heat up periodically, cross, and cool down
into the deep well.
Part 2: particles start uniformly. A fast exponential decay freezes them wherever they started; the slow
inverse_log annealing lr_t = c / log(t + t0) keeps them warm long enough to find the global minimum more often.
"""

from __future__ import annotations

import math

from _common import binomial_stderr, connect, global_minimum, parse_args, report, run_all

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
        specs = [sc.simulation(LANDSCAPE, lr, 1, init=initial.minimum(bad), particles=particles, steps=steps,
                               seed=5, histogram={"bins": 100, "range": [(-2.5, 2.5)]})
                 for lr in escape_schedules.values()]
        specs += [sc.simulation(LANDSCAPE, lr, 1, init=initial.uniform([-2.5], [2.5]), particles=particles,
                                steps=steps, seed=6, histogram={"bins": 100, "range": [(-2.5, 2.5)]})
                  for lr in anneal_schedules.values()]
        results = run_all(client, specs, args.progress)

    fractions = {}
    for name, res in zip(list(escape_schedules) + list(anneal_schedules), results):
        good = global_minimum(res)
        p = res.basin_fractions().get(good, 0.0)
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
