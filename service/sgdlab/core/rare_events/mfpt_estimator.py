"""Mean first passage time from splitting repetitions: the renewal (cycle) estimator and its interval.

Derivation. Follow one trajectory from minimum a until it enters B. Cut it at its Sigma-crossings: first the
time T0 from a to the first exit through Sigma; then excursions, each from a Sigma-crossing point until A or
B. An excursion that ends in A (failure, duration F) is followed by the return from A to Sigma (duration R);
the one that ends in B (success, duration S) ends the passage. So, pathwise,

    tau = T0 + sum_{i=1}^{N} (F_i + R_i) + S,

N the number of failed excursions. If excursion starts are drawn from one law (the renewal approximation: A
is small, so the chain forgets where it came from before it next leaves Sigma), each excursion succeeds
independently with p = P(B before A | start on Sigma), N is geometric with E[N] = (1 - p) / p, and by Wald

    E[tau] = E[T0] + (1/p - 1) E[F + R | failure] + E[S | success].

E[T0] and E[F + R] come from direct simulation (these are short), p and E[S 1_B] from AMS, and
E[S | success] = E[S 1_B] / p. Every term is pooled over the repetitions before the ratio is taken (the AMS p
is unbiased, 1/p is not). The 95% interval is a jackknife over repetitions on log tau, with Student's t.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy.stats import t as student_t

TIE_WARNING = 1.1   # killed replicas beyond this multiple of level_fraction * replicas: ties dominate


def _tau(reps: Sequence[dict]) -> float:
    """The pooled cycle estimate of the mean first passage time (steps) from a list of repetition records."""
    t0 = sum(r["first_exit_sum"] for r in reps) / max(sum(r["first_exit_count"] for r in reps), 1)
    loop = sum(r["loop_sum"] for r in reps) / max(sum(r["loop_count"] for r in reps), 1)
    p = float(np.mean([r["probability"] for r in reps]))
    if not p > 0:
        return math.inf
    s = float(np.mean([r["reactive_steps_weighted"] for r in reps])) / p
    return t0 + (1.0 / p - 1.0) * loop + s


def mfpt_interval(reps: Sequence[dict]) -> tuple[float | None, float | None]:
    """95% interval of the pooled estimate from the spread of the repetitions (jackknife on log tau)."""
    m = len(reps)
    if m < 2:
        return None, None
    loo = np.array([_tau([r for j, r in enumerate(reps) if j != i]) for i in range(m)])
    full = _tau(reps)
    if not (np.all(np.isfinite(loo)) and math.isfinite(full)):
        return None, None
    logs = np.log(loo)
    se = math.sqrt((m - 1) / m * float(((logs - logs.mean()) ** 2).sum()))
    q = float(student_t.ppf(0.975, m - 1))
    return float(full * math.exp(-q * se)), float(full * math.exp(q * se))


def combine(reps: Sequence[dict]) -> dict:
    """The pooled estimate: mean steps, interval, p and the cycle terms, from the repetition records."""
    p = float(np.mean([r["probability"] for r in reps]))
    tau = _tau(reps)
    lo, hi = mfpt_interval(reps)
    t0 = sum(r["first_exit_sum"] for r in reps) / max(sum(r["first_exit_count"] for r in reps), 1)
    loop = sum(r["loop_sum"] for r in reps) / max(sum(r["loop_count"] for r in reps), 1)
    s = float(np.mean([r["reactive_steps_weighted"] for r in reps])) / p if p > 0 else None
    p_se = float(np.std([r["probability"] for r in reps], ddof=1) / math.sqrt(len(reps))) if len(reps) > 1 \
        else None
    return {"mean_steps": tau if math.isfinite(tau) else None, "ci95": [lo, hi],
            "transition_probability": p, "transition_probability_stderr": p_se,
            "first_exit_steps": t0, "loop_steps": loop, "reactive_steps": s}


def splitting_exit_times(direct: dict, splitting: dict) -> dict:
    """The result's exit_times block for a splitting run: the direct block (its particles, survival and
    theory keys) with the splitting estimate in place of mean_steps/ci95 and the direct ones under `direct`."""
    reps = splitting["records"]
    est = combine(reps)
    direct_only = ("mean_steps", "ci95", "particles", "escaped", "exponential_fit_pvalue", "exponential_fit_test",
                   "exponential_fit_rejected", "warnings")
    out = {k: v for k, v in direct.items() if k not in direct_only[4:]}
    out["direct"] = {k: direct.get(k) for k in direct_only}     # what the direct particles measured
    out.update(est)
    out.update({
        "method": "splitting", "coordinate": splitting["coordinate"], "regions": splitting["regions"],
        "replicas": int(reps[0]["replicas"]), "repetitions": len(reps),
        "iterations": int(sum(r["iterations"] for r in reps)),
        "truncated": int(sum(r["truncated"] for r in reps)),
        "cost_particle_steps": int(sum(r["cost_particle_steps"] for r in reps)),
        "levels": [float(z) for z in reps[0]["levels"]],
        "reactive_paths": [p for r in reps[:2] for p in r["reactive_paths"]][:4],
    })
    notes = []
    if not est["transition_probability"] > 0:
        notes.append("no replica reached the target: the coordinate may not lead there, or `steps` is too small")
    if out["truncated"]:
        notes.append(f"{out['truncated']} replica excursions reached the `steps` bound and count as failures: "
                     "the estimate is biased up; use more steps")
    killed = sum(sum(r["killed"]) for r in reps)
    slots = sum(r["iterations"] * r["replicas"] * r["level_fraction"] for r in reps)
    if slots and killed > TIE_WARNING * slots:
        notes.append(f"replicas tie at the levels ({killed / slots:.2f} times the killed fraction asked): "
                     "typical when lr * curvature is near 1 (branches fall straight back); the estimate stays "
                     "unbiased but is heavy-tailed and the interval may be too narrow; use more replicas")
    if notes:
        out["note"] = "; ".join(notes)
    return out
