"""The linear scaling rule: (lr, B) and (2 lr, 2 B) share T = lr / (2B), so SGD settles to the same law;
(2 lr, B) doubles T and changes it.

One sweep of three zipped points on the tilted double well of example 1, started uniformly, all run for the same
continuous time lr x steps (the `time` axis). After the chains mix we compare the fraction in the deep well and
the variance of w, and read the service's own two-sample chi-square between the points' histograms. The pair
with equal T agrees within sampling error; the odd one out does not.
"""

from __future__ import annotations

import math

from _common import (binomial_stderr, connect, global_minimum, moments, parse_args, report, variance_stderr,
                     wait_for_sweep)

import sgdlab_client as sc
from sgdlab_client import initial, landscapes

LANDSCAPE = landscapes.double_well(height=0.1, width=1.25, tilt=0.04)
SETTINGS = {"lr, B": (0.1, 1), "2lr, 2B": (0.2, 2), "2lr, B": (0.2, 1)}


def main() -> None:
    args = parse_args(__doc__)
    particles, time = (4000, 1200.0) if args.small else (40000, 3000.0)
    base = sc.simulation(LANDSCAPE, init=initial.uniform([-2.5], [2.5]), particles=particles, seed=7,
                         histogram={"bins": 200, "range": [(-3, 3)]})
    lrs, batches = zip(*SETTINGS.values())
    with connect(args) as client:
        job = client.sweep(base, mode="zip", axes=[{"path": "dynamics.lr", "values": list(lrs)},
                                                   {"path": "dynamics.batch_size", "values": list(batches)},
                                                   {"path": "time", "values": [time] * len(SETTINGS)}])
        sweep = wait_for_sweep(job, args.progress)
        results = [job.point_result(p["index"]) for p in sweep.points]
    rows = {}
    print(f"{'setting':>8} {'lr':>5} {'B':>3} {'T':>7} {'steps':>6} {'deep basin':>11} {'Gibbs':>7} {'var(w)':>8}")
    for (name, (lr, b)), res in zip(SETTINGS.items(), results):
        deep = global_minimum(res)
        fraction = res.basin_fractions()[deep]
        _, var, m4 = moments(res)
        rows[name] = {"lr": lr, "batch_size": b, "temperature": lr / (2 * b), "steps": res.spec["steps"],
                      "deep_fraction": fraction, "deep_fraction_stderr": binomial_stderr(fraction, particles),
                      "variance": var, "variance_stderr": variance_stderr(var, m4, particles),
                      "deep_fraction_gibbs": res.gibbs.basin_fractions_theory[deep]}
        print(f"{name:>8} {lr:5.2f} {b:3d} {lr / (2 * b):7.3f} {res.spec['steps']:6d} {fraction:11.4f} "
              f"{rows[name]['deep_fraction_gibbs']:7.4f} {var:8.4f}")

    def z(a: str, b: str, key: str) -> float:
        ra, rb = rows[a], rows[b]
        return (ra[key] - rb[key]) / math.hypot(ra[key + "_stderr"], rb[key + "_stderr"])

    same = {"deep_fraction_z": z("lr, B", "2lr, 2B", "deep_fraction"), "variance_z": z("lr, B", "2lr, 2B", "variance")}
    changed = {"deep_fraction_z": z("lr, B", "2lr, B", "deep_fraction"), "variance_z": z("lr, B", "2lr, B", "variance")}
    print(f"(lr,B) vs (2lr,2B): z = {same['deep_fraction_z']:+.2f} (deep fraction), {same['variance_z']:+.2f} (variance)")
    print(f"(lr,B) vs (2lr,B):  z = {changed['deep_fraction_z']:+.2f} (deep fraction), {changed['variance_z']:+.2f} (variance)")
    chi2 = {f"{p['a']}-{p['b']}": p["pvalue"] for p in sweep.analyses["linear_scaling"]["pairs"]}
    print("two-sample chi-square p-values between the points' histograms (0: lr,B  1: 2lr,2B  2: 2lr,B):",
          ", ".join(f"{k} {v:.3g}" for k, v in chi2.items()))
    report({"settings": rows, "same_temperature": same, "double_temperature": changed, "chi2_pvalues": chi2})


if __name__ == "__main__":
    main()
