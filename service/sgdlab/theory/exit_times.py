"""Exit times: censored exponential estimates, Kaplan-Meier, Eyring-Kramers and exact mean first passage times.

All times are in steps of the chain (continuous time / lr), as docs/API.md requires.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from scipy.interpolate import RegularGridInterpolator
from scipy.stats import chi2

from sgdlab.core.landscapes.base import Landscape
from sgdlab.limits import DEFAULT_LIMITS
from sgdlab.theory.backward_equation import (log_cumulative_trapezoid, log_trapezoid_pieces,
                                             mean_exit_time_grid_2d, solve_dirichlet, sqra_generator)
from sgdlab.theory.grids import axis_nodes, loss_on_grid, mesh_points, resolve_range
from sgdlab.theory.landscape_analysis import LandscapeAnalysis

SURVIVAL_POINTS = 200


def _finite_or_none(v: float | None) -> float | None:
    return float(v) if v is not None and np.isfinite(v) else None


def exponential_mle(times: np.ndarray, escaped: np.ndarray) -> tuple[float | None, tuple[float | None, float | None]]:
    """Censored exponential MLE of the mean (exposure / events) with an exact 95% chi-square interval.

    `times` holds each particle's exit time, or its censoring time when not escaped. Without censoring the
    interval is the exact Gamma one [2E/chi2_{.975}(2k), 2E/chi2_{.025}(2k)]; with censoring the Poisson-exact
    (Garwood) one with 2k+2 degrees of freedom at the lower end. With no events: (None, (lower bound, None)).
    """
    t = np.asarray(times, dtype=float)
    esc = np.asarray(escaped, dtype=bool)
    if not len(t):           # no particle to observe: no bound either way
        return None, (None, None)
    exposure = float(t.sum())
    k = int(esc.sum())
    censored = k < len(t)
    lo = 2 * exposure / chi2.ppf(0.975, 2 * k + 2 if censored or k == 0 else 2 * k) if exposure > 0 else 0.0
    if k == 0:
        return None, (_finite_or_none(lo), None)
    hi = 2 * exposure / chi2.ppf(0.025, 2 * k)
    return exposure / k, (float(lo), float(hi))


def kaplan_meier(times: np.ndarray, escaped: np.ndarray) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Kaplan-Meier survival: (event steps with 0 prepended, S just after each, median step or None)."""
    t = np.asarray(times, dtype=float)
    esc = np.asarray(escaped, dtype=bool)
    order = np.sort(t)
    event_steps, deaths = np.unique(t[esc], return_counts=True)
    at_risk = len(t) - np.searchsorted(order, event_steps, side="left")
    surv = np.cumprod(1.0 - deaths / np.maximum(at_risk, 1))
    steps = np.concatenate([[0.0], event_steps])
    survival = np.concatenate([[1.0], surv])
    below = np.flatnonzero(survival <= 0.5)
    median = float(steps[below[0]]) if len(below) else None
    return steps, survival, median


def kramers_steps(analysis: LandscapeAnalysis, from_: int, to: int, temperature: float, lr: float) -> float | None:
    """Eyring-Kramers mean exit time in steps: 2π/|λ_s| sqrt(|det H_s| / det H_m) exp(ΔL/T) / lr.

    The saddle is the direct one between the minima, else the highest on the minimax path; None without one."""
    saddle = analysis.saddle_between(from_, to) or analysis.bottleneck_saddle(from_, to)
    if saddle is None or temperature <= 0:
        return None
    m = analysis.minima[from_]
    lam_s = float(saddle.hessian_eigenvalues.min())
    det_ratio = abs(float(np.prod(saddle.hessian_eigenvalues))) / float(np.prod(m.hessian_eigenvalues))
    exponent = (saddle.loss - m.loss) / temperature
    if exponent > 700:
        return None
    return float(2 * np.pi / abs(lam_s) * np.sqrt(det_ratio) * np.exp(exponent) / lr)


def _mfpt_1d(landscape: Landscape, start: float, target: float, radius: float, temperature: float,
             box: tuple[float, float], points: int) -> float:
    """τ(start) = (1/T) ∫_start^b e^{L/T} ∫_far^y e^{-L/T}, b the near edge of the target, far side reflecting."""
    if abs(start - target) <= radius:
        return 0.0
    if start < target:
        far, edge = box[0], target - radius
    else:
        far, edge = box[1], target + radius
    y = np.linspace(far, edge, points)
    step = abs(y[1] - y[0])
    scaled = np.asarray(landscape.loss(y[:, None]), dtype=float) / temperature
    scaled -= scaled.min()
    log_inner = log_cumulative_trapezoid(-scaled, step)
    log_outer_f = scaled + log_inner
    pieces = log_trapezoid_pieces(log_outer_f, step)
    log_tail = np.concatenate([np.logaddexp.accumulate(pieces[::-1])[::-1], [-np.inf]])
    pos = abs(start - far) / step
    k = min(int(pos), points - 2)
    frac = pos - k
    log_tau = (1 - frac) * log_tail[k] + frac * log_tail[k + 1] if np.isfinite(log_tail[k + 1]) else \
        log_tail[k] + np.log(max(1 - frac, 1e-300))
    return float(np.exp(log_tau) / temperature) if log_tau < 700 else np.inf


FAST_SOLVE_MAX_BETA_BARRIER = 20.0
"""Up to this beta x (highest barrier) the 2-D backward equation is solved by a sparse LU (fast; its relative
error grows like eps e^(beta dL), 1e-7 here); above, by block GTH elimination, which never subtracts."""


def _mfpt_2d(landscape: Landscape, start: np.ndarray, target: np.ndarray, radius: float, temperature: float,
             ranges: list[tuple[float, float]], points: int, beta_barrier: float = np.inf) -> float:
    """Solve T Δτ - ∇L·∇τ = -1 (SqRA grid, reflecting box) with τ = 0 within `radius` of the target."""
    nodes = axis_nodes(ranges, points)
    values = loss_on_grid(landscape, nodes)
    dist = np.linalg.norm(mesh_points(nodes) - target, axis=1)
    inside = dist <= max(radius, float(dist.min()))  # a radius below the grid spacing keeps the nearest node
    steps = [n[1] - n[0] for n in nodes]
    tau = None
    if beta_barrier <= FAST_SOLVE_MAX_BETA_BARRIER:
        try:
            with np.errstate(all="ignore"):
                gen = sqra_generator(values, steps, temperature)
                flat = solve_dirichlet(gen, inside, np.zeros(values.size), 1.0)
        except (RuntimeError, ValueError, ArithmeticError):   # rates e^(dL/T) overflow: SuperLU cannot factorise
            flat = None
        if flat is not None:
            # accept the sparse LU only when positive and solving its equations to a small relative residual
            free = ~inside.reshape(-1)
            residual = np.abs(gen @ flat + 1.0)[free]
            scale = (abs(gen) @ np.abs(flat))[free] + 1.0
            if np.all(np.isfinite(flat)) and flat[free].min(initial=1.0) > 0 and \
                    np.max(residual / scale, initial=0) <= 1e-9:
                tau = flat.reshape(values.shape)
    if tau is None:
        tau = mean_exit_time_grid_2d(values, steps, temperature, inside.reshape(values.shape))
    if not np.isfinite(tau).all():
        return float("inf")
    # interpolate log(1 + tau): smooth across the many orders of magnitude a low temperature spreads it over
    log_tau = RegularGridInterpolator(nodes, np.log1p(tau))(start[None, :])[0]
    return float(np.expm1(log_tau))


def exact_mfpt_with_reason(landscape: Landscape, analysis: LandscapeAnalysis, from_: int, to: int,
                           temperature: float, lr: float, radius: float | None = None,
                           range: Sequence[Sequence[float]] | None = None,
                           grid_points: int | None = None) -> tuple[float | None, str | None]:
    """`exact_mfpt_steps` and, when it is None, the reason why (else None)."""
    if landscape.dim > 2:
        return None, (f"the exact passage time is computed in 1-D and 2-D only (a grid solve); this landscape has "
                      f"dimension {landscape.dim}")
    if not temperature > 0:
        return None, "the temperature is 0: no noise, no passage"
    ranges = resolve_range(landscape, range)
    r = analysis.default_exit_radius(to, from_) if radius is None else float(radius)
    start, target = analysis.minima[from_].location, analysis.minima[to].location
    if landscape.dim == 1:
        tau = _mfpt_1d(landscape, float(start[0]), float(target[0]), r, temperature, ranges[0],
                       grid_points or 4 * DEFAULT_LIMITS.max_grid_points_1d)
    else:
        heights = [b.height for b in analysis.barriers] or [0.0]
        tau = _mfpt_2d(landscape, start, target, r, temperature, ranges, grid_points or 200,
                       max(heights) / temperature)
    steps = tau / lr
    if not np.isfinite(steps):
        return None, (f"the mean passage time exceeds double precision (beta x barrier is about "
                      f"{max([b.height for b in analysis.barriers] or [0.0]) / temperature:.3g})")
    return float(steps), None


def exact_mfpt_steps(landscape: Landscape, analysis: LandscapeAnalysis, from_: int, to: int, temperature: float,
                     lr: float, radius: float | None = None, range: Sequence[Sequence[float]] | None = None,
                     grid_points: int | None = None) -> float | None:
    """Mean first passage time (steps) of the continuous model from minimum `from_` into the ball of `radius`
    around minimum `to`: quadrature in 1-D, a backward-equation solve on a grid in 2-D (accurate at any
    barrier: block GTH elimination at low temperature), None above 2-D (see `exact_mfpt_with_reason`)."""
    return exact_mfpt_with_reason(landscape, analysis, from_, to, temperature, lr, radius, range, grid_points)[0]


def _thin(steps: np.ndarray, prob: np.ndarray, points: int = SURVIVAL_POINTS) -> tuple[list[float], list[float]]:
    if len(steps) > points:
        keep = np.unique(np.round(np.linspace(0, len(steps) - 1, points)).astype(int))
        steps, prob = steps[keep], prob[keep]
    return [float(s) for s in steps], [float(p) for p in prob]


def exit_time_summary(times: np.ndarray, escaped: np.ndarray, horizon: float, from_: int, to: int,
                      kramers: float | None = None, exact: float | None = None,
                      exact_reason: str | None = None) -> dict[str, Any]:
    """docs/API.md's result.exit_times block from first-passage records (censored: nan or -1, exposure = horizon)."""
    t = np.asarray(times, dtype=float)
    esc = np.asarray(escaped, dtype=bool) & np.isfinite(t) & (t >= 0)
    exposure = np.where(esc, t, float(horizon))
    mean, (lo, hi) = exponential_mle(exposure, esc)
    steps, surv, median = kaplan_meier(exposure, esc)
    if esc.sum() < len(t) and float(horizon) > steps[-1]:
        # the curve is known up to the censoring time: extend it flat to the end of the run
        steps, surv = np.append(steps, float(horizon)), np.append(surv, surv[-1])
    s_steps, s_prob = _thin(steps, surv)
    return {"from": int(from_), "to": int(to), "particles": int(len(t)), "escaped": int(esc.sum()),
            "censored": int(len(t) - esc.sum()), "mean_steps": _finite_or_none(mean), "ci95": [lo, hi],
            "median_steps": median, "survival": {"steps": s_steps, "probability": s_prob},
            "kramers_steps": _finite_or_none(kramers), "exact_steps": _finite_or_none(exact),
            "exact_reason": None if _finite_or_none(exact) is not None else
            (exact_reason or "not computed")}
