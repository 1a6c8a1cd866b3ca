"""Goodness of fit of the exponential exit-time model: is the hazard constant over the run?

The exit-time block fits a single exponential (constant hazard). When particles start in different places (a
uniform start, say) or the run has not relaxed inside the basin, the hazard changes with time and the survival
curve is far from exponential; then the fitted mean and its tight interval describe nothing. The test here is the
likelihood ratio of the constant discrete hazard (geometric exit times, the exact law of a constant per-step exit
probability) against a hazard that is constant on each of K intervals cut at quantiles of the event times.
Under the null hypothesis the statistic is asymptotically chi-square with K - 1 degrees of freedom; censoring at
the end of the run enters through the exposure, as in the Kaplan-Meier curve.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import chi2

FIT_ALPHA = 0.01            # below this p-value the exponential fit is flagged as rejected
MIN_EVENTS = 20             # fewer escapes: no test (the chi-square approximation needs counts)
EVENTS_PER_INTERVAL = 25    # K = events // EVENTS_PER_INTERVAL intervals, between 2 and MAX_INTERVALS
MAX_INTERVALS = 8
TEST_NAME = "likelihood ratio vs a piecewise-constant hazard"


def _xlogy_ratio(k: np.ndarray, p_alt: np.ndarray, p_null: float) -> np.ndarray:
    """k * log(p_alt / p_null), 0 where k == 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(k > 0, k * np.log(np.where(p_alt > 0, p_alt, 1.0) / p_null), 0.0)


def piecewise_hazard_lr(times: np.ndarray, escaped: np.ndarray, cuts: np.ndarray) -> tuple[float, int]:
    """(LR statistic, degrees of freedom) of one constant per-step hazard against one per interval between `cuts`.

    `times[i]` is the step particle i escaped at (escaped[i]) or was censored at; a particle is at risk at steps
    1..times[i] (an escape counts as one trial at least). Per interval (a, b]: trials n_j and events k_j; the
    binomial likelihood ratio is 2 sum_j [k_j log(p_j/p) + (n_j - k_j) log((1 - p_j)/(1 - p))]."""
    t = np.asarray(times, dtype=float)
    esc = np.asarray(escaped, dtype=bool)
    t = np.where(esc, np.maximum(t, 1.0), np.maximum(t, 0.0))
    bounds = np.concatenate([[0.0], np.asarray(cuts, dtype=float), [np.inf]])
    lo, hi = bounds[:-1], bounds[1:]
    trials = np.clip(t[:, None], lo, hi) - lo                          # steps spent at risk in each interval
    n = trials.sum(axis=0)
    k = np.array([np.sum(esc & (t > a) & (t <= b)) for a, b in zip(lo, hi)], dtype=float)
    keep = n > 0
    n, k = n[keep], k[keep]
    p = k.sum() / n.sum()
    p_j = k / n
    stat = 2.0 * float(np.sum(_xlogy_ratio(k, p_j, p) + _xlogy_ratio(n - k, 1.0 - p_j, 1.0 - p)))
    return max(stat, 0.0), int(keep.sum()) - 1


def exponential_fit_test(times: np.ndarray, escaped: np.ndarray) -> dict[str, Any]:
    """The exit-time block's goodness-of-fit fields: `exponential_fit_pvalue` (None when untested, with the reason
    in `exponential_fit_test`), `exponential_fit_rejected`, and a `not_exponential` warning when rejected."""
    t = np.asarray(times, dtype=float)
    esc = np.asarray(escaped, dtype=bool) & np.isfinite(t)
    events = int(esc.sum())
    out: dict[str, Any] = {"exponential_fit_pvalue": None, "exponential_fit_rejected": None}
    if events < MIN_EVENTS:
        out["exponential_fit_test"] = f"not tested: {events} escapes (at least {MIN_EVENTS} are needed)"
        return out
    intervals = int(np.clip(events // EVENTS_PER_INTERVAL, 2, MAX_INTERVALS))
    cuts = np.unique(np.quantile(t[esc], np.arange(1, intervals) / intervals, method="lower"))
    cuts = cuts[(cuts > 0) & (cuts < t[esc].max())]
    if cuts.size == 0:
        out["exponential_fit_test"] = "not tested: every escape happened at the same step"
        return out
    stat, dof = piecewise_hazard_lr(t, esc, cuts)
    pvalue = float(chi2.sf(stat, dof)) if dof > 0 else None
    rejected = pvalue is not None and pvalue < FIT_ALPHA
    out.update({"exponential_fit_pvalue": pvalue, "exponential_fit_rejected": rejected,
                "exponential_fit_test": f"{TEST_NAME} on {dof + 1} intervals (chi-square, {dof} dof)"})
    if rejected:
        out["warnings"] = [{
            "code": "not_exponential",
            "message": (f"the exit times are not exponential (goodness-of-fit p = {pvalue:.2g}): the exit hazard "
                        "changes over the run (particles started at different distances from the barrier, or had "
                        "not relaxed in the basin), so mean_steps and ci95 summarise a mixture, not one rate"),
            "value": pvalue, "threshold": FIT_ALPHA}]
    return out
