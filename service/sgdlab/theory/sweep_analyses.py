"""Fits across a sweep's points: Arrhenius (log tau against beta dL, against Kramers), the linear-scaling check
(two-sample chi-square between points of equal lr/B at equal continuous time lr*steps), basin fractions against
beta (against Gibbs), and the stability edge (diverged fraction against lr * lambda_max)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

MIN_BIN_COUNT = 10  # adjacent bins are pooled until both histograms together hold this many particles
REL_TOL = 1e-9      # lr/B and lr*steps count as equal within this relative tolerance
MAX_PAIRS = 2000    # linear-scaling pairs tested at most (pairs of equal lr/B first), so a big grid stays cheap
GD_STABILITY_EDGE = 2.0  # gradient descent on a quadratic is stable iff lr * lambda_max < 2


@dataclass
class SweepEntry:
    """One finished point: its index, the lr, B and steps it ran with, and its result document."""

    index: int
    lr: float | None
    batch_size: int
    steps: int
    result: dict


def two_sample_chi2(a, b, min_count: int = MIN_BIN_COUNT) -> dict[str, float | int | None]:
    """Two-sample chi-square test that two histograms (same bins) come from one law (unequal sample sizes;
    adjacent bins pooled until each pooled bin holds `min_count` of both together)."""
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    na, nb = a.sum(), b.sum()
    if na <= 0 or nb <= 0:
        return {"chi2": None, "dof": None, "pvalue": None}
    pa, pb, ca, cb = [], [], 0.0, 0.0
    for x, y in zip(a, b):
        ca, cb = ca + x, cb + y
        if ca + cb >= min_count:
            pa.append(ca)
            pb.append(cb)
            ca = cb = 0.0
    if (ca + cb) > 0:
        if pa:
            pa[-1] += ca
            pb[-1] += cb
        else:
            pa, pb = [ca], [cb]
    pa, pb = np.array(pa), np.array(pb)
    if len(pa) < 2:
        return {"chi2": 0.0, "dof": 0, "pvalue": 1.0}
    ka, kb = math.sqrt(nb / na), math.sqrt(na / nb)
    chi2 = float((((ka * pa - kb * pb) ** 2) / (pa + pb)).sum())
    dof = len(pa) - 1
    return {"chi2": chi2, "dof": dof, "pvalue": float(stats.chi2.sf(chi2, dof))}


def _beta(e: SweepEntry) -> float | None:
    beta = e.result.get("beta")
    return float(beta) if isinstance(beta, (int, float)) and math.isfinite(beta) and beta > 0 else None


def _barrier(result: dict, i: int, j: int) -> float | None:
    """The barrier height from minimum i to minimum j in result.landscape, or None."""
    for b in (result.get("landscape") or {}).get("barriers") or []:
        if b.get("from") == i and b.get("to") == j:
            return float(b["height"])
    return None


def _weighted_line(x: np.ndarray, y: np.ndarray, sigma: np.ndarray) -> dict[str, Any]:
    """Weighted least squares y = a + s x: slope, intercept, their standard errors and 95% intervals."""
    w = 1.0 / sigma ** 2
    X = np.column_stack([np.ones_like(x), x])
    cov = np.linalg.inv(X.T @ (X * w[:, None]))
    a, s = cov @ (X.T @ (w * y))
    resid = y - (a + s * x)
    dof = len(x) - 2
    chi2 = float((w * resid ** 2).sum())
    scale = max(1.0, chi2 / dof) if dof > 0 else 1.0   # inflate by the excess scatter when the model misfits
    se_a, se_s = (math.sqrt(cov[0, 0] * scale), math.sqrt(cov[1, 1] * scale))
    t = float(stats.t.ppf(0.975, dof)) if dof > 0 else float("nan")
    return {"slope": float(s), "slope_stderr": se_s, "slope_ci95": [float(s - t * se_s), float(s + t * se_s)],
            "intercept": float(a), "intercept_stderr": se_a,
            "intercept_ci95": [float(a - t * se_a), float(a + t * se_a)],
            "chi2": chi2, "dof": dof}


def arrhenius(entries: list[SweepEntry]) -> dict[str, Any] | None:
    """log tau (continuous time lr * mean exit steps) against beta dL: slope (1 for Kramers) and prefactor
    exp(intercept), with intervals, beside the Kramers prefactor of the same points."""
    rows = []
    for e in entries:
        ex = e.result.get("exit_times") or {}
        beta, mean, ci = _beta(e), ex.get("mean_steps"), ex.get("ci95") or [None, None]
        height = _barrier(e.result, ex.get("from", 0), ex.get("to", 1)) if ex else None
        if None in (beta, mean, height, e.lr) or not mean or mean <= 0 or ci[0] is None or ci[1] is None:
            continue
        sigma = max((math.log(ci[1]) - math.log(max(ci[0], 1e-300))) / (2 * 1.959964), 1e-6)
        kr = ex.get("kramers_steps")
        rows.append({"index": e.index, "beta": beta, "beta_dl": beta * height, "tau": mean * e.lr,
                     "tau_ci95": [ci[0] * e.lr, ci[1] * e.lr], "log_tau_stderr": sigma,
                     "kramers_tau": kr * e.lr if kr else None, "escaped": ex.get("escaped"),
                     "censored": ex.get("censored")})
    if len({round(r["beta_dl"], 9) for r in rows}) < 3:
        return None
    x = np.array([r["beta_dl"] for r in rows])
    fit = _weighted_line(x, np.log([r["tau"] for r in rows]), np.array([r["log_tau_stderr"] for r in rows]))
    kr = [(r["beta_dl"], math.log(r["kramers_tau"])) for r in rows if r["kramers_tau"]]
    kramers_prefactor = float(np.exp(np.mean([lk - xk for xk, lk in kr]))) if kr else None
    return {"points": rows, **fit, "prefactor": math.exp(fit["intercept"]),
            "prefactor_ci95": [math.exp(v) for v in fit["intercept_ci95"]],
            "kramers_slope": 1.0, "kramers_prefactor": kramers_prefactor,
            "note": "tau in continuous time (lr x mean exit steps); Kramers: tau = prefactor exp(beta dL), "
                    "valid for beta dL >> 1 and small lr"}


def _close(x: float, y: float) -> bool:
    return abs(x - y) <= REL_TOL * max(abs(x), abs(y), 1e-300)


def linear_scaling(entries: list[SweepEntry]) -> dict[str, Any] | None:
    """Pairs of points at equal continuous time lr*steps with final histograms on the same bins: their two-sample
    chi-square, flagged by whether lr/B is equal (the linear scaling rule says those agree)."""
    finals = [(e, (e.result.get("histograms") or {}).get("final") or {}) for e in entries if e.lr is not None]
    hs = [(e, h["counts"], h.get("edges")) for e, h in finals if h.get("counts")]
    candidates = [(i, j) for i in range(len(hs)) for j in range(i + 1, len(hs))
                  if hs[i][2] == hs[j][2] and _close(hs[i][0].lr * hs[i][0].steps, hs[j][0].lr * hs[j][0].steps)]
    if not candidates:
        return None
    same = {(i, j): _close(hs[i][0].lr / hs[i][0].batch_size, hs[j][0].lr / hs[j][0].batch_size)
            for i, j in candidates}
    chosen = sorted(sorted(candidates, key=lambda ij: not same[ij])[:MAX_PAIRS])
    pairs = []
    for i, j in chosen:
        (a, ca, _), (b, cb, _) = hs[i], hs[j]
        pairs.append({"a": a.index, "b": b.index, "time": a.lr * a.steps,
                      "lr_over_b": [a.lr / a.batch_size, b.lr / b.batch_size], "same_ratio": same[(i, j)],
                      **two_sample_chi2(ca, cb)})
    agree = [p["pvalue"] for p in pairs if p["same_ratio"] and p["pvalue"] is not None]
    diff = [p["pvalue"] for p in pairs if not p["same_ratio"] and p["pvalue"] is not None]
    return {"pairs": pairs, "pairs_left_out": len(candidates) - len(chosen),
            "min_pvalue_same_ratio": min(agree) if agree else None,
            "max_pvalue_different_ratio": max(diff) if diff else None,
            "test": "two-sample chi-square on the final histograms, adjacent bins pooled to >= "
                    f"{MIN_BIN_COUNT} particles"}


def basins_vs_beta(entries: list[SweepEntry]) -> dict[str, Any] | None:
    """Final basin fractions (with binomial standard errors) against beta, beside the Gibbs fractions and their
    total variation distance."""
    rows = []
    for e in entries:
        final = (e.result.get("basins") or {}).get("final")
        beta = _beta(e)
        if not final or beta is None:
            continue
        fractions = [b.get("fraction") for b in final]
        gibbs = (e.result.get("gibbs") or {}).get("basin_fractions_theory")
        tv = (0.5 * sum(abs(f - g) for f, g in zip(fractions, gibbs))
              if gibbs and len(gibbs) == len(fractions) and None not in fractions else None)
        rows.append({"index": e.index, "beta": beta, "fractions": fractions,
                     "stderr": [b.get("stderr") for b in final], "gibbs": gibbs, "total_variation": tv})
    if len({round(r["beta"], 9) for r in rows}) < 2:
        return None
    rows.sort(key=lambda r: r["beta"])
    return {"points": rows}


def _half_diverged(rows: list[dict]) -> float | None:
    """The lr * lambda_max where the diverged fraction first reaches 1/2, interpolated linearly between the two
    points around it (rows sorted by lr * lambda_max); None when no point reaches 1/2 or the first one already
    does (the edge lies outside the sweep)."""
    for lo, hi in zip(rows, rows[1:]):
        if lo["diverged_fraction"] >= 0.5:
            return None
        if hi["diverged_fraction"] >= 0.5:
            f0, f1 = lo["diverged_fraction"], hi["diverged_fraction"]
            x0, x1 = lo["lr_lambda_max"], hi["lr_lambda_max"]
            return x0 + (0.5 - f0) / (f1 - f0) * (x1 - x0)
    return None


def stability_edge(entries: list[SweepEntry]) -> dict[str, Any] | None:
    """The diverged fraction against lr * lambda_max (the largest Hessian eigenvalue over the minima); gradient
    descent on a quadratic diverges beyond lr * lambda_max = 2."""
    rows = []
    for e in entries:
        frac = ((e.result.get("validity") or {}).get("diverged") or e.result.get("diverged") or {}).get("fraction")
        eig = [v for m in (e.result.get("landscape") or {}).get("minima") or [] for v in m.get("hessian_eigenvalues")
               or []]
        if frac is None or not eig or e.lr is None:
            continue
        rows.append({"index": e.index, "lr": e.lr, "lambda_max": max(eig), "lr_lambda_max": e.lr * max(eig),
                     "diverged_fraction": frac})
    if len({round(r["lr_lambda_max"], 9) for r in rows}) < 2:
        return None
    rows.sort(key=lambda r: r["lr_lambda_max"])
    return {"points": rows, "edge_theory": GD_STABILITY_EDGE, "edge_observed": _half_diverged(rows),
            "note": "lr * lambda_max < 2 is the stability bound of gradient descent at a quadratic minimum; noise "
                    "and the landscape away from the minima move the observed edge"}


ANALYSES = {"arrhenius": arrhenius, "linear_scaling": linear_scaling, "basins_vs_beta": basins_vs_beta,
            "stability": stability_edge}


def sweep_analyses(entries: list[SweepEntry]) -> dict[str, Any]:
    """Every analysis the sweep's points support (the others are absent)."""
    out = {}
    for name, fn in ANALYSES.items():
        found = fn(entries)
        if found is not None:
            out[name] = found
    return out
