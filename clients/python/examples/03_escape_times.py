"""Escape time grows like exp(beta * dL): measured mean exit steps vs Eyring-Kramers and the exact mean first
passage time, at four temperatures.

One sweep over the batch size (T = lr / 2B). All particles start in minimum 0 of a symmetric double well; the
exit_times observer records when each first reaches minimum 1 (censored at the last step; the service fits the
censored exponential MLE). The sweep's Arrhenius analysis fits log(tau) against beta * dL: its slope should be
close to 1, its prefactor close to Kramers'.
"""

from __future__ import annotations

import math

from _common import connect, parse_args, report

import sgdlab_client as sc
from sgdlab_client import initial, landscapes

LANDSCAPE = landscapes.double_well(height=0.1, width=1.25)
LR = 0.2
BATCH_SIZES = [2, 3, 4, 5]  # T = lr / 2B = 0.05, 0.033, 0.025, 0.02


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys on xs."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main() -> None:
    args = parse_args(__doc__)
    particles, steps = (2000, 4000) if args.small else (20000, 40000)
    base = sc.simulation(LANDSCAPE, LR, init=initial.minimum(0), particles=particles, steps=steps, seed=11,
                         histogram=False, gibbs=False, exit_times=(0, 1))
    with connect(args) as client:
        job = client.sweep(base, axes=[{"path": "dynamics.batch_size", "values": BATCH_SIZES}])
        job.wait(timeout=600, progress=args.progress)
        sweep = job.result()
    arrhenius = sweep.analyses["arrhenius"]
    barrier = arrhenius["points"][0]["beta_dl"] / arrhenius["points"][0]["beta"]
    rows = []
    print(f"barrier dL = {barrier:.4f}")
    print(f"{'T':>7} {'beta*dL':>8} {'escaped':>8} {'mean steps':>11} {'95% CI':>19} {'Kramers':>9} {'exact':>9}")
    for point, fit in zip(sweep.points, arrhenius["points"]):
        s, temperature = point["summary"], LR / (2 * point["params"]["dynamics.batch_size"])
        rows.append({"temperature": temperature, "beta_barrier": fit["beta_dl"], "escaped": fit["escaped"],
                     "particles": fit["escaped"] + fit["censored"], "mean_steps": s["exit_mean_steps"],
                     "ci95": s["exit_ci95"], "kramers_steps": s["kramers_steps"], "exact_steps": s["exact_steps"]})
        ci = f"[{s['exit_ci95'][0]:.0f}, {s['exit_ci95'][1]:.0f}]"
        print(f"{temperature:7.4f} {fit['beta_dl']:8.2f} {fit['escaped']:8d} {s['exit_mean_steps']:11.0f} {ci:>19} "
              f"{s['kramers_steps']:9.0f} {s['exact_steps']:9.0f}")
    xs = [r["beta_barrier"] for r in rows]
    fitted = {"measured": slope(xs, [math.log(r["mean_steps"]) for r in rows]),
              "kramers": slope(xs, [math.log(r["kramers_steps"]) for r in rows]),
              "exact": slope(xs, [math.log(r["exact_steps"]) for r in rows])}
    print("slope of log(steps) vs beta*dL: " + ", ".join(f"{k} {v:.3f}" for k, v in fitted.items()))
    print(f"the service's weighted fit: slope {arrhenius['slope']:.3f} (95% {arrhenius['slope_ci95'][0]:.3f} to "
          f"{arrhenius['slope_ci95'][1]:.3f}), prefactor {arrhenius['prefactor']:.1f} "
          f"(Kramers {arrhenius['kramers_prefactor']:.1f})")
    report({"barrier": barrier, "rows": rows, "slopes": fitted,
            "sweep_fit": {k: arrhenius[k] for k in ("slope", "slope_ci95", "prefactor", "kramers_prefactor")}})


if __name__ == "__main__":
    main()
