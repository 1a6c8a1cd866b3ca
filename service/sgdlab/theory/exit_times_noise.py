"""Exit-time theory with the job's own noise: which formula applies, and its numbers in steps.

- isotropic noise: Eyring-Kramers and the exact MFPT of theory.exit_times at T = lr/(2B);
- state-dependent noise in 1-D: the exact MFPT and the Kramers asymptotics of theory.state_dependent;
- state-dependent noise in 2-D: the mean hitting time of the lecture's grid chain with the anisotropic kernel
  (the discrete chain itself, in steps), when a grid fine enough for the kernel fits the budgets; Eyring-Kramers at
  the temperature along the saddle's unstable direction (an approximation: the diffusion is anisotropic and varies
  along the path);
- above 2-D: that Kramers approximation only.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..core.landscapes.base import Landscape
from ..limits import DEFAULT_LIMITS
from . import exit_times as et
from .grids import resolve_range
from .landscape_analysis import LandscapeAnalysis
from .noise import NoiseModel, correlated_note
from .state_dependent import VanishingNoise, kramers_1d, mfpt_1d, noise_profile_1d


def _finite(v: float | None) -> float | None:
    return float(v) if v is not None and np.isfinite(v) else None


def _saddle(analysis: LandscapeAnalysis, from_: int, to: int):
    return analysis.saddle_between(from_, to) or analysis.bottleneck_saddle(from_, to)


def saddle_temperature(landscape: Landscape, model: NoiseModel, saddle) -> float:
    """u^T D(s) u: the diffusion along the unstable Hessian direction u at the saddle s."""
    x = np.asarray(saddle.location, dtype=float)[None, :]
    vals, vecs = np.linalg.eigh(landscape.hessian(x)[0])
    u = vecs[:, 0]
    return float(u @ model.diffusion(landscape, x)[0] @ u)


def exit_theory(landscape: Landscape, analysis: LandscapeAnalysis, model: NoiseModel, from_: int, to: int,
                radius: float | None = None, range: Sequence[Sequence[float]] | None = None,
                exact: bool = True) -> dict[str, Any]:
    """{"kramers_steps", "exact_steps", "kramers_formula", "exact_method"} for an exit from minimum `from_`
    into the ball of `radius` around minimum `to`, with the noise of `model` (times in steps of lr); the
    formula names say which assumption they make that the dynamics do not satisfy."""
    out = _exit_theory(landscape, analysis, model, from_, to, radius, range, exact)
    notes = [n for n in (GAUSSIAN_NOTE if model.kind == "minibatch" else None, correlated_note(model)) if n]
    for key in ("kramers_formula", "exact_method"):
        if notes and out[key] and not out[key].startswith("unavailable"):
            out[key] += "".join(f" ({n})" for n in notes)
    return out


GAUSSIAN_NOTE = ("Gaussian (diffusion) approximation of the minibatch noise: the batch gradient's noise is replaced "
                 "by a Gaussian of the same covariance; see validity non_gaussian_noise")


def _exit_theory(landscape: Landscape, analysis: LandscapeAnalysis, model: NoiseModel, from_: int, to: int,
                radius: float | None = None, range: Sequence[Sequence[float]] | None = None,
                exact: bool = True) -> dict[str, Any]:
    """{"kramers_steps", "exact_steps", "kramers_formula", "exact_method"} for an exit from minimum `from_`
    into the ball of `radius` around minimum `to`, with the noise of `model` (times in steps of lr)."""
    out: dict[str, Any] = {"kramers_steps": None, "exact_steps": None, "kramers_formula": None,
                           "exact_method": None}
    lr = model.lr
    if model.kind == "none" or not lr > 0:
        out["kramers_formula"] = out["exact_method"] = "none: gradient descent injects no noise"
        return out
    if not model.state_dependent:
        T = model.scale
        out["kramers_steps"] = _finite(et.kramers_steps(analysis, from_, to, T, lr))
        out["kramers_formula"] = "eyring_kramers: 2pi/|lambda_s| sqrt(|det H_s|/det H_m) exp(dL/T), T = lr/(2B)"
        if exact:
            steps, out["exact_reason"] = et.exact_mfpt_with_reason(landscape, analysis, from_, to, T, lr, radius,
                                                                    range)
            out["exact_steps"] = _finite(steps)
        out["exact_method"] = ("quadrature_1d: double integral of exp(+-L/T)" if landscape.dim == 1 else
                               "sqra_grid_2d: backward equation on a grid" if landscape.dim == 2 else
                               "unavailable above 2-D")
        return out
    saddle = _saddle(analysis, from_, to)
    if landscape.dim == 1:
        (lo, hi), = resolve_range(landscape, range)
        try:
            profile = noise_profile_1d(landscape, model, lo, hi)
        except VanishingNoise as exc:
            out["kramers_formula"] = out["exact_method"] = f"unavailable: {exc}"
            return out
        m = analysis.minima[from_]
        if saddle is not None:
            k = kramers_1d(profile, float(m.location[0]), float(saddle.location[0]),
                           float(m.hessian_eigenvalues[0]), float(saddle.hessian_eigenvalues[0]))
            out["kramers_steps"] = _finite(k / lr)
        out["kramers_formula"] = ("kramers_state_dependent_1d: 2pi/sqrt(L''_m |L''_s|) sqrt(D_s/D_m) "
                                  "exp(integral_m^s L'/D), D = lr Sigma/(2B)")
        if exact:
            r = analysis.default_exit_radius(to, from_) if radius is None else float(radius)
            tau = mfpt_1d(profile, float(m.location[0]), float(analysis.minima[to].location[0]), r,
                          4 * DEFAULT_LIMITS.max_grid_points_1d)
            out["exact_steps"] = _finite(tau / lr)
        out["exact_method"] = ("quadrature_1d_state_dependent: double integral of exp(+-integral L'/D) / D "
                               "(Ito, zero flux at the far edge)")
        return out
    if landscape.dim == 2 and exact:
        r = analysis.default_exit_radius(to, from_) if radius is None else float(radius)
        tau, why = grid_chain_mfpt_steps(landscape, model, resolve_range(landscape, range),
                                         analysis.minima[from_].location, analysis.minima[to].location, r)
        out["exact_steps"] = _finite(tau)
        out["exact_method"] = ("grid_chain_2d: mean hitting time of the grid chain with the anisotropic kernel "
                               "N(w - lr grad L, (lr^2/B) Sigma(w)), reflecting box" if tau is not None else
                               f"unavailable: {why}")
    if saddle is not None:
        T_s = saddle_temperature(landscape, model, saddle)
        if T_s > 0:
            out["kramers_steps"] = _finite(et.kramers_steps(analysis, from_, to, T_s, lr))
    out["kramers_formula"] = ("eyring_kramers_saddle_temperature: the isotropic formula at T = u^T D(s) u, "
                              "u the unstable direction at the saddle (approximate for anisotropic, "
                              "state-dependent noise)")
    if out["exact_method"] is None:
        out["exact_method"] = "unavailable: no exact exit time for state-dependent noise above 2-D"
    return out


GRID_CHAIN_KERNEL_ENTRIES = 20_000_000  # transition probabilities a 2-D hitting-time solve may build
GRID_CHAIN_MAX_POINTS = 120             # cells per axis of that grid
GRID_CHAIN_KERNEL_CELLS = 2.0           # the typical kernel must be at least this many cells wide
_CHAINS: dict = {}                      # the last grid chain built, reused for the other barriers


def grid_chain_mfpt_steps(landscape: Landscape, model: NoiseModel, ranges: Sequence[tuple[float, float]],
                          start: np.ndarray, target: np.ndarray, radius: float) -> tuple[float | None, str]:
    """Mean number of steps for the 2-D grid chain from the cell of `start` into the cells within `radius` of
    `target`: solve (I - P) tau = 1 off the target. (None, why) when no grid both resolves the kernel and fits."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import spsolve

    from ..core.errors import LimitExceeded
    from ..limits import Limits
    from .density_evolution import make_grid, transition_matrix
    mid = np.array([[0.5 * (lo + hi) for lo, hi in ranges]])
    probe = make_grid(ranges, 16).points()
    cov = model.covariance(landscape, np.vstack([probe, mid]))
    sd = model.lr * float(np.sqrt(np.median(np.min(np.diagonal(cov, axis1=1, axis2=2), axis=1)) / model.batch_size))
    points = [int(np.ceil(GRID_CHAIN_KERNEL_CELLS * (hi - lo) / sd)) if sd > 0 else GRID_CHAIN_MAX_POINTS + 1
              for lo, hi in ranges]
    if max(points) > GRID_CHAIN_MAX_POINTS:
        return None, (f"the kernel (typical width {sd:.3g}) needs {max(points)} grid cells per axis, more than "
                      f"{GRID_CHAIN_MAX_POINTS}")
    grid = make_grid(ranges, [max(p, 20) for p in points])
    key = (id(landscape), model, tuple(map(tuple, ranges)))
    cached = _CHAINS.get(key)
    if cached is not None and cached[0] is landscape:
        P = cached[1]
    else:
        try:
            P = transition_matrix(landscape, grid, model.lr, model.batch_size,
                                  Limits(max_kernel_entries=GRID_CHAIN_KERNEL_ENTRIES),
                                  lambda pts: model.covariance(landscape, pts))
        except LimitExceeded:
            return None, f"the grid chain's kernel exceeds {GRID_CHAIN_KERNEL_ENTRIES} entries"
        _CHAINS.clear()                       # keep one chain (they are large): the barriers of one analysis
        _CHAINS[key] = (landscape, P)
    pts = grid.points()
    dist = np.linalg.norm(pts - np.asarray(target, dtype=float), axis=1)
    inside = dist <= max(radius, float(dist.min()))
    free = ~inside
    A = (sp.identity(grid.size, format="csr") - P)[free][:, free].tocsc()
    with np.errstate(all="ignore"):
        tau_free = spsolve(A, np.ones(int(free.sum())))
    residual = np.abs(A @ tau_free - 1.0)
    if not np.all(np.isfinite(tau_free)) or tau_free.min(initial=1.0) <= 0 or residual.max(initial=0) > 1e-6:
        return None, "the hitting-time solve lost its precision (rare transitions)"
    tau = np.zeros(grid.size)
    tau[free] = tau_free
    cell = int(np.argmin(np.linalg.norm(pts - np.asarray(start, dtype=float), axis=1)))
    return float(tau[cell]), ""
