"""Exit-time theory with the job's own noise: which formula applies, and its numbers in steps.

- isotropic noise: Eyring-Kramers and the exact MFPT of theory.exit_times at T = lr/(2B);
- state-dependent noise in 1-D: the exact MFPT and the Kramers asymptotics of theory.state_dependent;
- state-dependent noise above 1-D: Eyring-Kramers at the temperature along the saddle's unstable direction
  (an approximation: the diffusion is anisotropic and varies along the path), no exact value.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..core.landscapes.base import Landscape
from ..limits import DEFAULT_LIMITS
from . import exit_times as et
from .grids import resolve_range
from .landscape_analysis import LandscapeAnalysis
from .noise import NoiseModel
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
            out["exact_steps"] = _finite(et.exact_mfpt_steps(landscape, analysis, from_, to, T, lr, radius, range))
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
    if saddle is not None:
        T_s = saddle_temperature(landscape, model, saddle)
        if T_s > 0:
            out["kramers_steps"] = _finite(et.kramers_steps(analysis, from_, to, T_s, lr))
    out["kramers_formula"] = ("eyring_kramers_saddle_temperature: the isotropic formula at T = u^T D(s) u, "
                              "u the unstable direction at the saddle (approximate for anisotropic, "
                              "state-dependent noise)")
    out["exact_method"] = "unavailable: no exact exit time for state-dependent noise above 1-D"
    return out
