"""The linear scaling rule: (lr, B) and (2 lr, 2 B) share T = lr / (2B), so SGD settles to the same law;
(2 lr, B) doubles T and changes it.

Same tilted double well as example 1, started uniformly; after the chains mix we compare the fraction in the deep
well and the variance of w. The pair with equal T agrees within sampling error; the odd one out does not.
"""

from __future__ import annotations

import math

from _common import binomial_stderr, connect, global_minimum, moments, parse_args, report, run_all, variance_stderr

import sgdlab_client as sc
from sgdlab_client import initial, landscapes

LANDSCAPE = landscapes.double_well(height=0.1, width=1.25, tilt=0.04)
SETTINGS = {"lr, B": (0.1, 1), "2lr, 2B": (0.2, 2), "2lr, B": (0.2, 1)}


def main() -> None:
    args = parse_args(__doc__)
    particles, steps = (4000, 6000) if args.small else (40000, 30000)
    specs = [sc.simulation(LANDSCAPE, lr, b, init=initial.uniform([-2.5], [2.5]), particles=particles, steps=steps,
                           seed=7 + k, histogram={"bins": 200, "range": [(-3, 3)]})
             for k, (lr, b) in enumerate(SETTINGS.values())]
    with connect(args) as client:
        results = run_all(client, specs, args.progress)
    rows = {}
    print(f"{'setting':>8} {'lr':>5} {'B':>3} {'T':>7} {'deep basin':>11} {'Gibbs':>7} {'var(w)':>8}")
    for (name, (lr, b)), res in zip(SETTINGS.items(), results):
        deep = global_minimum(res)
        fraction = res.basin_fractions()[deep]
        _, var, m4 = moments(res)
        rows[name] = {"lr": lr, "batch_size": b, "temperature": lr / (2 * b), "deep_fraction": fraction,
                      "deep_fraction_stderr": binomial_stderr(fraction, particles), "variance": var,
                      "variance_stderr": variance_stderr(var, m4, particles),
                      "deep_fraction_gibbs": res.gibbs.basin_fractions_theory[deep]}
        print(f"{name:>8} {lr:5.2f} {b:3d} {lr / (2 * b):7.3f} {fraction:11.4f} "
              f"{rows[name]['deep_fraction_gibbs']:7.4f} {var:8.4f}")

    def z(a: str, b: str, key: str) -> float:
        ra, rb = rows[a], rows[b]
        return (ra[key] - rb[key]) / math.hypot(ra[key + "_stderr"], rb[key + "_stderr"])

    same = {"deep_fraction_z": z("lr, B", "2lr, 2B", "deep_fraction"), "variance_z": z("lr, B", "2lr, 2B", "variance")}
    changed = {"deep_fraction_z": z("lr, B", "2lr, B", "deep_fraction"), "variance_z": z("lr, B", "2lr, B", "variance")}
    print(f"(lr,B) vs (2lr,2B): z = {same['deep_fraction_z']:+.2f} (deep fraction), {same['variance_z']:+.2f} (variance)")
    print(f"(lr,B) vs (2lr,B):  z = {changed['deep_fraction_z']:+.2f} (deep fraction), {changed['variance_z']:+.2f} (variance)")
    report({"settings": rows, "same_temperature": same, "double_temperature": changed})


if __name__ == "__main__":
    main()
