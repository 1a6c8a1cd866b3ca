"""Escape time grows like exp(beta * dL): measured mean exit steps vs Eyring-Kramers and the exact mean first
passage time, from beta * dL = 2 to 30.

All particles start in minimum 0 of a symmetric double well; the exit_times observer records when each first
reaches minimum 1 (censored at the last step; the service fits the censored exponential MLE). Direct
simulation cannot see escapes beyond beta * dL ~ 10, so the colder rows use adaptive multilevel splitting
(`"method": "splitting"`), which measures exit times of 1e13 steps with about 1e6 particle-steps. The slope of
log(mean steps) against beta * dL should be close to 1, and measured / Kramers should approach 1 as beta * dL
grows (the Kramers prefactor becomes exact). All rows are one sweep (`zip` over the batch size, the particles,
the steps and the exit-time observer), whose Arrhenius analysis fits the same slope.
"""

from __future__ import annotations

import math

from _common import connect, parse_args, report, wait_for_sweep

import sgdlab_client as sc
from sgdlab_client import initial, landscapes

LANDSCAPE = landscapes.double_well(height=0.1, width=1.25)
LR = 0.2
BATCH_SIZES = [2, 3, 4, 5]  # T = lr / 2B = 0.05, 0.033, 0.025, 0.02: direct simulation (beta * dL = B here)
SPLITTING_BATCH_SIZES = [10, 15, 20, 25, 30]  # beta * dL = 10 .. 30: splitting


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys on xs."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    args = parse_args(__doc__)
    particles, steps = (2000, 4000) if args.small else (20000, 40000)
    with connect(args) as client:
        barrier = next(b.height for b in client.analyze_landscape(LANDSCAPE).landscape.barriers
                       if b.from_ == 0 and b.to == 1)
        replicas, repetitions = (300, 8) if args.small else (1000, 16)
        direct, splitting = len(BATCH_SIZES), len(SPLITTING_BATCH_SIZES)
        base = sc.simulation(LANDSCAPE, LR, init=initial.minimum(0), seed=11, histogram=False, gibbs=False)
        job = client.sweep(base, mode="zip", axes=[
            {"path": "dynamics.batch_size", "values": BATCH_SIZES + SPLITTING_BATCH_SIZES},
            {"path": "particles", "values": [particles] * direct + [replicas] * splitting},
            {"path": "steps", "values": [steps] * direct + [100_000] * splitting},
            {"path": "observe.basins", "values": [True] * direct + [False] * splitting},
            {"path": "observe.exit_times", "values": [{"from": 0, "to": 1}] * direct + [
                {"from": 0, "to": 1, "method": "splitting", "repetitions": repetitions}] * splitting}])
        sweep = wait_for_sweep(job, args.progress)
        results = [job.point_result(p["index"]) for p in sweep.points]
    rows = []
    print(f"barrier dL = {barrier:.4f}")
    print(f"{'method':>9} {'beta*dL':>8} {'cost':>9} {'mean steps':>11} {'95% CI':>21} {'Kramers':>9} {'exact':>9} "
          f"{'/Kramers':>8}")
    for b, res in zip(BATCH_SIZES + SPLITTING_BATCH_SIZES, results):
        et = res.exit_times
        temperature = LR / (2 * b)
        method = et.method or "direct"
        cost = et.cost_particle_steps if method == "splitting" else res.performance.particle_steps
        rows.append({"method": method, "temperature": temperature, "beta_barrier": barrier / temperature,
                     "escaped": et.escaped, "particles": et.particles, "mean_steps": et.mean_steps, "ci95": et.ci95,
                     "kramers_steps": et.kramers_steps, "exact_steps": et.exact_steps, "cost_particle_steps": cost})
        ci = f"[{et.ci95[0]:.3g}, {et.ci95[1]:.3g}]"
        print(f"{method:>9} {barrier / temperature:8.2f} {cost:9.2g} {et.mean_steps:11.4g} {ci:>21} "
              f"{et.kramers_steps:9.3g} {et.exact_steps:9.3g} {et.mean_steps / et.kramers_steps:8.3f}")
    xs = [r["beta_barrier"] for r in rows]
    fitted = {"measured": slope(xs, [math.log(r["mean_steps"]) for r in rows]),
              "kramers": slope(xs, [math.log(r["kramers_steps"]) for r in rows]),
              "exact": slope(xs, [math.log(r["exact_steps"]) for r in rows])}
    print("slope of log(steps) vs beta*dL: " + ", ".join(f"{k} {v:.3f}" for k, v in fitted.items()))
    arrhenius = sweep.analyses["arrhenius"]
    print(f"the sweep's weighted fit: slope {arrhenius['slope']:.3f} (95% {arrhenius['slope_ci95'][0]:.3f} to "
          f"{arrhenius['slope_ci95'][1]:.3f}), prefactor {arrhenius['prefactor']:.1f} "
          f"(Kramers {arrhenius['kramers_prefactor']:.1f})")
    report({"barrier": barrier, "rows": rows, "slopes": fitted,
            "sweep_fit": {k: arrhenius[k] for k in ("slope", "slope_ci95", "prefactor", "kramers_prefactor")}})


if __name__ == "__main__":
    main()
