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
        m = analysis.minima[from_]
        r = analysis.default_exit_radius(to, from_) if radius is None else float(radius)
        try:
            profile = noise_profile_1d(landscape, model, lo, hi)
        except VanishingNoise:
            # only the side of the target ball the start is on is integrated: the noise may vanish inside it
            target = float(analysis.minima[to].location[0])
            lo, hi = (lo, target - r) if float(m.location[0]) < target else (target + r, hi)
            try:
                profile = noise_profile_1d(landscape, model, lo, hi)
            except VanishingNoise as exc:
                out["kramers_formula"] = out["exact_method"] = (
                    f"unavailable: {exc} (inside the integrated interval [{lo:.6g}, {hi:.6g}])")
                return out
        if saddle is not None:
            k = kramers_1d(profile, float(m.location[0]), float(saddle.location[0]),
                           float(m.hessian_eigenvalues[0]), float(saddle.hessian_eigenvalues[0]))
            out["kramers_steps"] = _finite(k / lr)
        out["kramers_formula"] = ("kramers_state_dependent_1d: 2pi/sqrt(L''_m |L''_s|) sqrt(D_s/D_m) "
                                  "exp(integral_m^s L'/D), D = lr Sigma/(2B)")
        if exact:
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
    direct = analysis.saddle_between(from_, to)
    tau, why = (kramers_along_path(landscape, model, analysis.minima[from_].location, direct.location)
                if direct is not None else (None, "no saddle connects the two basins directly"))
    if tau is not None:
        out["kramers_steps"] = _finite(tau / lr)
        out["kramers_formula"] = PATH_FORMULA
        return _exact_fallback(out, landscape.dim)
    if saddle is not None:
        T_s = saddle_temperature(landscape, model, saddle)
        if T_s > 0:
            out["kramers_steps"] = _finite(et.kramers_steps(analysis, from_, to, T_s, lr))
    out["kramers_formula"] = ("eyring_kramers_saddle_temperature: the isotropic formula at T = u^T D(s) u, "
                              "u the unstable direction at the saddle (approximate for anisotropic, "
                              f"state-dependent noise; the path formula is unavailable: {why})")
    return _exact_fallback(out, landscape.dim)


PATH_FORMULA = ("kramers_path_state_dependent: quasi-1-D Kramers along the minimum energy path m -> s (string "
                "method), 2pi/sqrt(lambda_m |lambda_s|) sqrt(D_tt(s)/D_tt(m)) exp(integral_m^s L'(r)/D_tt(r) dr) "
                "sqrt(det H_perp(s) det D_perp(m) / (det H_perp(m) det D_perp(s))), D_tt = t^T D t the diffusion "
                "along the path's tangent t, D = lr Sigma/(2B), perp: the directions across the path (approximate: "
                "neglects the diffusion across the path's curvature and the non-equilibrium drift of anisotropic "
                "noise; equals the 1-D formula for a separable loss)")
PATH_NODES = 2001     # points along the minimum energy path for the integral of L'/D_tt


def _transverse(hessian: np.ndarray, diffusion: np.ndarray, along: np.ndarray) -> tuple[float, float, float, float]:
    """(eigenvalue along `along`, D along that eigenvector, det of the other Hessian eigenvalues, det of D
    projected on their eigenvectors)."""
    vals, vecs = np.linalg.eigh(hessian)
    k = int(np.argmax(np.abs(vecs.T @ along)))
    v, rest = vecs[:, k], np.delete(vecs, k, axis=1)
    return (float(vals[k]), float(v @ diffusion @ v), float(np.prod(np.delete(vals, k))),
            float(np.linalg.det(rest.T @ diffusion @ rest)) if rest.shape[1] else 1.0)


_PATHS: dict = {}     # (landscape id, model, minimum, saddle) -> (landscape, answer): one result asks twice


def kramers_along_path(landscape: Landscape, model: NoiseModel, minimum: np.ndarray, saddle: np.ndarray
                       ) -> tuple[float | None, str]:
    """Continuous-time quasi-1-D Kramers time from `minimum` over `saddle` with state-dependent, anisotropic
    noise (PATH_FORMULA), or (None, why). Cached per landscape object (a result asks for the mixing time too)."""
    key = (id(landscape), model, tuple(np.asarray(minimum, dtype=float).ravel()),
           tuple(np.asarray(saddle, dtype=float).ravel()))
    hit = _PATHS.get(key)
    if hit is not None and hit[0] is landscape:
        return hit[1]
    answer = _kramers_along_path(landscape, model, minimum, saddle)
    if len(_PATHS) >= 8:
        _PATHS.clear()
    _PATHS[key] = (landscape, answer)
    return answer


def _kramers_along_path(landscape: Landscape, model: NoiseModel, minimum: np.ndarray, saddle: np.ndarray
                        ) -> tuple[float | None, str]:
    from scipy.interpolate import CubicSpline

    from .string_method import minimum_energy_path
    m, s = np.asarray(minimum, dtype=float), np.asarray(saddle, dtype=float)
    path = minimum_energy_path(landscape, m, s, images=61)
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    if not arc[-1] > 0 or np.any(np.diff(arc) <= 0):
        return None, "the minimum energy path is degenerate"
    spline = CubicSpline(arc, path, axis=0)
    r = np.linspace(0.0, arc[-1], PATH_NODES)
    x, tangent = spline(r), spline(r, 1)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    grad = landscape.grad(x)
    diff = model.diffusion(landscape, x)
    d_tt = np.einsum("ni,nij,nj->n", tangent, diff, tangent)
    if not np.all(np.isfinite(d_tt)) or not np.all(np.isfinite(grad)) or d_tt.min() <= 1e-12 * d_tt.max():
        k = int(np.argmin(d_tt))
        return None, f"the noise along the path vanishes near w = {np.round(x[k], 6).tolist()}"
    ratio = np.einsum("ni,ni->n", grad, tangent) / d_tt
    exponent = float(np.sum(0.5 * (ratio[1:] + ratio[:-1]) * np.diff(r)))
    if exponent > 700:
        return float("inf"), ""
    ends = np.vstack([m, s])
    hess, dends = landscape.hessian(ends), model.diffusion(landscape, ends)
    lam_m, dm, hm_perp, dm_perp = _transverse(hess[0], dends[0], tangent[0])
    vals_s, vecs_s = np.linalg.eigh(hess[1])
    lam_s, ds, hs_perp, ds_perp = _transverse(hess[1], dends[1], vecs_s[:, 0])
    if not (lam_m > 0 and lam_s < 0 and dm > 0 and ds > 0 and hm_perp > 0 and hs_perp > 0 and dm_perp > 0
            and ds_perp > 0):
        return None, "the Hessians or the noise at the minimum and the saddle are not those of a simple barrier"
    pre = 2 * np.pi / np.sqrt(lam_m * abs(lam_s)) * np.sqrt(ds / dm) * np.sqrt(hs_perp * dm_perp / (hm_perp * ds_perp))
    return float(pre * np.exp(exponent)), ""


def _exact_fallback(out: dict[str, Any], dim: int) -> dict[str, Any]:
    """The exact method's name when no exact value was computed (above 2-D, or not asked for)."""
    if out["exact_method"] is None:
        out["exact_method"] = ("unavailable: no exact exit time for state-dependent noise above 2-D; "
                               "exit_times.method \"splitting\" measures it on the real dynamics" if dim > 2
                               else "not computed")
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
                      f"{GRID_CHAIN_MAX_POINTS}: a smaller analysis box (`range`) or a larger lr/B coarsens it; "
                      "exit_times.method \"splitting\" measures the exit time on the real dynamics")
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
