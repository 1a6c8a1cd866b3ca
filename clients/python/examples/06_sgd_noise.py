"""What SGD's own noise does, in the service's numbers.

Part 1, the noise picks the minimum: a symmetric double well L(w) = (w^2 - 1)^2 / 4 as a finite sum whose
per-sample gradients are noisier in the right well (rows a*(w + 0.4 w^2) + b*w, a = +-1, b = +-0.3, centred and
uncorrelated). Both minima have loss 0, so the Gibbs law exp(-beta L) splits the mass 50/50; minibatch SGD
(lr 0.05, B 1) instead gathers in the quieter well, as the zero-flux Fokker-Planck density (the stationary law of
state-dependent noise, `stationary.law` = fokker_planck) predicts.
Part 2, minibatch SGD's temperature: on L(w) = mean (w - c)^2 / 2 with centred c of variance Var the gradient noise
is constant, so the law is Gibbs at T = lr Var / (2B), not at the contract's lr / (2B): the fitted beta matches
2B / (lr Var) (`gibbs.beta_theory`), not `beta` = 2B / lr. The continuous-time value carries an O(lr) bias: the
chain's own stationary variance is lr Var / (B (2 - lr)) (`gibbs.discrete_time_correction`), 5% wider at lr 0.1,
which the full-size run resolves (beta_fit 30.6 +- 0.2 against 30.65 exact and 32.26 continuous).
"""

from __future__ import annotations

from _common import binomial_stderr, connect, parse_args, report

import sgdlab_client as sc
from sgdlab_client import initial, landscapes

WELL = landscapes.finite_sum("0.25*(w**2-1)**2 + a*(w + 0.4*w**2) + b*w",
                             {"a": [1, -1, 1, -1], "b": [0.3, 0.3, -0.3, -0.3]}, variables=["w"])
WELL_LR, WELL_B = 0.05, 1

N_ROWS, VARIANCE = 50, 3.1
_GRID = [(2 * i - (N_ROWS - 1)) / (N_ROWS - 1) for i in range(N_ROWS)]  # centred, symmetric
_SCALE = (VARIANCE * N_ROWS / sum(z * z for z in _GRID)) ** 0.5
QUADRATIC = landscapes.finite_sum("0.5*(w-c)**2", {"c": [_SCALE * z for z in _GRID]}, variables=["w"])
QUAD_LR, QUAD_B = 0.1, 5


def main() -> None:
    args = parse_args(__doc__)
    well_particles, well_steps = (2000, 80000) if args.small else (20000, 150000)
    quad_particles, quad_steps = (4000, 300) if args.small else (40000, 1000)
    well = sc.simulation(WELL, WELL_LR, WELL_B, method="minibatch_sgd", init=initial.uniform([-2], [2]),
                         particles=well_particles, steps=well_steps, seed=6,
                         histogram={"bins": 100, "range": [(-2.5, 2.5)]})
    quad = sc.simulation(QUADRATIC, QUAD_LR, QUAD_B, method="minibatch_sgd", replacement=True,
                         init=initial.uniform([-1], [1]), particles=quad_particles, steps=quad_steps, seed=7,
                         histogram={"bins": 100, "range": [(-1.5, 1.5)]})
    with connect(args) as client:
        jobs = [client.submit(well), client.submit(quad)]  # run side by side on the service
        for job in jobs:
            job.wait(timeout=600, progress=args.progress)
        well_res, quad_res = (job.result() for job in jobs)

    # Part 1: which well is quieter is the service's own noise analysis (temperature lr Sigma / (2B) at each minimum)
    noise_minima = well_res.noise["minima"]
    quiet = min(noise_minima, key=lambda m: m["temperature_scalar"])["index"]
    measured = well_res.basin_fractions()[quiet]
    stderr = binomial_stderr(measured, well_particles)
    stationary = well_res.stationary
    fokker_planck = stationary["basin_fractions_theory"][quiet]
    gibbs = well_res.gibbs.basin_fractions_theory[quiet]
    warnings = well_res.validity["warnings"]
    print(f"part 1: symmetric double well, lr {WELL_LR}, B {WELL_B}, {well_steps} steps, {well_particles} particles")
    for m in noise_minima:
        print(f"  minimum {m['index']} at w = {m['location'][0]:+.3f}: noise temperature {m['temperature_scalar']:.5f}")
    print(f"  fraction in the quieter well {quiet}: measured {measured:.4f} +- {stderr:.4f}, "
          f"stationary ({stationary['law']}) {fokker_planck:.4f}, Gibbs {gibbs:.4f}")
    print("  warnings: " + (", ".join(w["code"] for w in warnings) or "none"))
    mixed = not any(w["code"] == "not_mixed" for w in warnings)
    print("  mixed: " + ("yes (no not_mixed warning)" if mixed else "NO: run more steps; the fractions are transient"))

    # Part 2: the effective temperature of minibatch noise on a quadratic
    g = quad_res.gibbs
    data_beta = 2 * QUAD_B / (QUAD_LR * VARIANCE)
    discrete = g.discrete_time_correction[0]["variance_discrete"][0]
    print(f"part 2: quadratic, Var(c) = {VARIANCE}, lr {QUAD_LR}, B {QUAD_B} with replacement")
    print(f"  beta_fit {g.beta_fit:.2f} +- {g.beta_fit_stderr:.2f}; 2B/(lr Var) = {data_beta:.2f} "
          f"(gibbs.beta_theory {g.beta_theory:.2f}; the chain's own 1/variance {1 / discrete:.2f}); "
          f"contract 2B/lr = {quad_res.beta:.1f}")
    report({"well": {"quiet_minimum": quiet, "measured": measured, "stderr": stderr,
                     "stationary": fokker_planck, "stationary_law": stationary["law"], "gibbs": gibbs,
                     "particles": well_particles, "steps": well_steps, "mixed": mixed, "warnings": [w["code"] for w in warnings]},
            "temperature": {"beta_fit": g.beta_fit, "beta_fit_stderr": g.beta_fit_stderr,
                            "beta_theory": g.beta_theory, "beta_data_noise": data_beta,
                            "beta_discrete": 1 / discrete, "beta_contract": quad_res.beta}})


if __name__ == "__main__":
    main()
