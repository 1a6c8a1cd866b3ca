"""1-D theory of state-dependent gradient noise: the zero-flux stationary density and exact exit times.

The continuous limit of SGD's kernel with data noise, in time t = lr x steps, is the Ito diffusion
dw = -L'(w) dt + sqrt(2 D(w)) dW with D = lr Sigma(w) / (2B). With Phi(w) = integral of L'/D:
- stationary (zero flux) density: rho ∝ exp(-Phi) / D, effective potential -log rho = Phi + log D;
- mean first passage time to an edge b, reflecting on the far side a:
  tau(x) = integral_x^b exp(Phi(y)) integral_a^y exp(-Phi(z)) / D(z) dz dy, computed in log space;
- its Laplace (Kramers) asymptotics: tau ~ 2 pi / sqrt(L''_m |L''_s|) sqrt(D_s / D_m) exp(Phi_s - Phi_m).
For isotropic noise D = T and these reduce to Gibbs and the usual formulas.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.special import logsumexp

from ..core.landscapes.base import FiniteSumLandscape, Landscape
from .backward_equation import log_cumulative_trapezoid, log_trapezoid_pieces
from .noise import NoiseModel, per_sample_moments

#: per-sample gradient evaluations (points x data rows) the 1-D noise profile may spend
PROFILE_BUDGET = 2e7
MIN_PROFILE_NODES = 257
MIN_RELATIVE_D = 1e-6    # D below this fraction of its maximum counts as vanishing noise (SGD interpolates there)


class VanishingNoise(ValueError):
    """Sigma(w) vanishes somewhere on the interval: the zero-flux density does not exist there."""


@dataclass
class NoiseProfile1D:
    """L'(w) and D(w) on increasing nodes, with Phi = cumulative integral of L'/D from the first node."""

    nodes: np.ndarray
    grad: np.ndarray
    diffusion: np.ndarray
    phi: np.ndarray

    @property
    def log_diffusion(self) -> np.ndarray:
        return np.log(self.diffusion)

    def at(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(Phi, log D) interpolated (linearly, on a fine profile) at points x."""
        return np.interp(x, self.nodes, self.phi), np.interp(x, self.nodes, self.log_diffusion)


_PROFILES: "OrderedDict[tuple, tuple[Landscape, NoiseProfile1D]]" = OrderedDict()
PROFILE_CACHE_SIZE = 4   # one result asks for the same profile several times (stationary law, exit times, mixing)


def noise_profile_1d(landscape: Landscape, model: NoiseModel, lo: float, hi: float, points: int = 20001
                     ) -> NoiseProfile1D:
    """L', D and Phi on `points` nodes of [lo, hi]. For finite sums, the per-sample moments are evaluated on at
    most PROFILE_BUDGET / rows nodes (at least MIN_PROFILE_NODES) and interpolated by cubic splines.
    Profiles are cached per landscape object, noise model and interval (they are read-only)."""
    key = (id(landscape), model, float(lo), float(hi), int(points))
    hit = _PROFILES.get(key)
    if hit is not None and hit[0] is landscape:
        _PROFILES.move_to_end(key)
        return hit[1]
    profile = _noise_profile_1d(landscape, model, lo, hi, points)
    _PROFILES[key] = (landscape, profile)
    if len(_PROFILES) > PROFILE_CACHE_SIZE:
        _PROFILES.popitem(last=False)
    return profile


def _noise_profile_1d(landscape: Landscape, model: NoiseModel, lo: float, hi: float, points: int) -> NoiseProfile1D:
    nodes = np.linspace(lo, hi, points)
    if model.kind == "none":
        raise VanishingNoise("gradient descent injects no noise")
    if model.state_dependent:
        rows = landscape.n_samples if isinstance(landscape, FiniteSumLandscape) else 1
        coarse_n = int(min(points, max(MIN_PROFILE_NODES, PROFILE_BUDGET // rows)))
        coarse = np.linspace(lo, hi, coarse_n)
        g_c, cov_c = per_sample_moments(landscape, coarse[:, None])
        d_c = model.scale * model.factor * cov_c[:, 0, 0]
        if coarse_n == points:
            grad, diff = g_c[:, 0], d_c
        else:
            grad = CubicSpline(coarse, g_c[:, 0])(nodes)
            diff = CubicSpline(coarse, d_c)(nodes)
    else:
        grad = landscape.grad(nodes[:, None])[:, 0]
        diff = np.full(points, model.scale)
    if not np.all(np.isfinite(grad)) or not np.all(np.isfinite(diff)):
        raise VanishingNoise("the gradient or the noise is not finite on the interval")
    floor = MIN_RELATIVE_D * float(diff.max(initial=0.0))
    if not floor > 0:
        raise VanishingNoise("there is no gradient noise on the interval (Sigma = 0: e.g. the batch is the whole "
                             "data set, B = n without replacement, or every row has the same gradient): the "
                             "dynamics is gradient descent, with no stationary density or noise-driven exit")
    if diff.min() <= floor:
        k = int(np.argmin(diff))
        raise VanishingNoise(f"the gradient noise (nearly) vanishes near w = {nodes[k]:.6g} (D = {diff[k]:.3g}, "
                             f"{diff[k] / diff.max():.2g} of its maximum): SGD settles there and the zero-flux "
                             "density degenerates to a point mass")
    ratio = grad / diff
    phi = np.concatenate([[0.0], np.cumsum(0.5 * (ratio[1:] + ratio[:-1]) * np.diff(nodes))])
    return NoiseProfile1D(nodes, grad, diff, phi)


def log_stationary(profile: NoiseProfile1D, x: np.ndarray) -> np.ndarray:
    """Unnormalised log of the zero-flux density, -Phi - log D, at points x."""
    phi, log_d = profile.at(np.asarray(x, dtype=float))
    return -phi - log_d


def bin_probabilities(profile: NoiseProfile1D, edges: np.ndarray, subpoints: int = 32) -> np.ndarray:
    """Stationary probability of each bin, normalised over the bins (midpoint rule on `subpoints` per bin)."""
    edges = np.asarray(edges, dtype=float)
    frac = (np.arange(subpoints) + 0.5) / subpoints
    widths = np.diff(edges)
    subs = edges[:-1, None] + widths[:, None] * frac[None, :]
    logm = logsumexp(log_stationary(profile, subs.ravel()).reshape(subs.shape), axis=1) + np.log(widths / subpoints)
    return np.exp(logm - logsumexp(logm))


def basin_fractions(profile: NoiseProfile1D, basin_of, n_basins: int) -> list[float]:
    """Stationary mass of each basin on the profile's interval (nodes labelled by `basin_of`)."""
    labels = basin_of(profile.nodes[:, None])
    logr = log_stationary(profile, profile.nodes)
    keep = labels >= 0
    if not keep.any():
        return [0.0] * n_basins
    w = np.exp(logr[keep] - logr[keep].max())
    mass = np.bincount(labels[keep], weights=w, minlength=n_basins)
    return [float(f) for f in mass / mass.sum()]


def mfpt_1d(profile: NoiseProfile1D, start: float, target: float, radius: float, points: int = 20001) -> float:
    """Mean first passage time (continuous time) from `start` into [target - radius, target + radius], the far
    side of the profile's interval reflecting: the double integral with exp(+-Phi), in log space."""
    if abs(start - target) <= radius:
        return 0.0
    lo, hi = float(profile.nodes[0]), float(profile.nodes[-1])
    far, edge = (lo, target - radius) if start < target else (hi, target + radius)
    y = np.linspace(far, edge, points)
    step = abs(y[1] - y[0])
    phi, log_d = profile.at(y)
    phi = phi - phi.min()
    log_inner = log_cumulative_trapezoid(-phi - log_d, step)
    pieces = log_trapezoid_pieces(phi + log_inner, step)
    pos = abs(start - far) / step
    k = min(int(pos), points - 2)
    # the pieces from the start's cell on, that cell counted by the share of it between start and the edge
    log_tau = np.logaddexp(logsumexp(pieces[k + 1:]) if k + 1 < len(pieces) else -np.inf,
                           pieces[k] + np.log(max(1.0 - (pos - k), 1e-300)))
    return float(np.exp(log_tau)) if log_tau < 700 else np.inf


def kramers_1d(profile: NoiseProfile1D, minimum: float, saddle: float, curvature_min: float,
               curvature_saddle: float) -> float:
    """Laplace asymptotics of the 1-D exit time with state-dependent D (continuous time)."""
    phi, log_d = profile.at(np.array([minimum, saddle]))
    exponent = float(phi[1] - phi[0])
    if exponent > 700:
        return np.inf
    return float(2 * np.pi / np.sqrt(curvature_min * abs(curvature_saddle)) * np.exp(0.5 * (log_d[1] - log_d[0]))
                 * np.exp(exponent))
