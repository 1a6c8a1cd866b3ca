"""The Gibbs law rho ∝ exp(-beta L): bin masses, basin fractions, a binned beta fit and goodness of fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from scipy.optimize import brentq
from scipy.special import logsumexp
from scipy.stats import chi2

from sgdlab.core.errors import SpecError
from sgdlab.core.landscapes.base import Landscape
from sgdlab.theory.grids import axis_nodes, mesh_points, resolve_range
from sgdlab.theory.landscape_analysis import LandscapeAnalysis

SUBPOINTS_1D = 32
SUBPOINTS_2D = 6
MIN_EXPECTED = 5.0


def temperature_at_end(lr_at_last_step: float, batch_size: int) -> float:
    """T = lr / (2B) at the last step (schedule-aware when given the last step's lr)."""
    return float(lr_at_last_step) / (2.0 * int(batch_size))


def _edges_per_axis(edges: Any, dim: int) -> list[np.ndarray]:
    """Normalise edges to one increasing array per axis (a bare 1-D array is accepted in 1-D)."""
    if dim == 1 and len(edges) and np.isscalar(edges[0]):
        arr = [np.asarray(edges, dtype=float)]
    else:
        arr = [np.asarray(e, dtype=float) for e in edges]
    if len(arr) != dim or any(e.ndim != 1 or len(e) < 2 or not (np.diff(e) > 0).all() for e in arr):
        raise SpecError(f"expected {dim} increasing edge arrays", "observe.histogram.bins")
    return arr


@dataclass
class BinnedLoss:
    """The loss on a fine sub-grid of each bin: `loss` (K, S) shifted by its minimum, `log_weight` (K, 1)."""

    loss: np.ndarray
    log_weight: np.ndarray
    volume: np.ndarray

    def log_mass(self, beta: float) -> np.ndarray:
        """log ∫_bin exp(-beta (L - L_min)) for each bin."""
        return logsumexp(-beta * self.loss, axis=1) + self.log_weight[:, 0]

    def probabilities(self, beta: float) -> np.ndarray:
        """Gibbs bin probabilities p_k(beta), normalised over the binned range."""
        lm = self.log_mass(beta)
        return np.exp(lm - logsumexp(lm))

    def bin_moments(self, beta: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(p_k, E_k[L], Var_k[L]): bin probabilities and the Gibbs mean and variance of L within each bin."""
        logits = -beta * self.loss
        within = np.exp(logits - logits.max(axis=1, keepdims=True))
        within /= within.sum(axis=1, keepdims=True)
        mean = (within * self.loss).sum(axis=1)
        var = np.maximum((within * self.loss ** 2).sum(axis=1) - mean ** 2, 0.0)
        return self.probabilities(beta), mean, var


def binned_loss(landscape: Landscape, edges: Any, subpoints: int | None = None) -> BinnedLoss:
    """Sample L at `subpoints` midpoints per bin and axis (row-major bins, as the histograms are flattened)."""
    axes = _edges_per_axis(edges, landscape.dim)
    if landscape.dim > 2:
        raise SpecError("bin-level Gibbs quantities exist in 1-D and 2-D only", "observe.gibbs")
    m = subpoints or (SUBPOINTS_1D if landscape.dim == 1 else SUBPOINTS_2D)
    frac = (np.arange(m) + 0.5) / m
    subs = [(e[:-1, None] + np.diff(e)[:, None] * frac[None, :]).ravel() for e in axes]
    values = np.asarray(landscape.loss(mesh_points(subs)), dtype=float)
    values = np.where(np.isfinite(values), values, np.inf)
    if landscape.dim == 1:
        per_bin = values.reshape(len(axes[0]) - 1, m)
        volume = np.diff(axes[0])
    else:
        nx, ny = len(axes[0]) - 1, len(axes[1]) - 1
        per_bin = values.reshape(nx, m, ny, m).transpose(0, 2, 1, 3).reshape(nx * ny, m * m)
        volume = np.outer(np.diff(axes[0]), np.diff(axes[1])).ravel()
    per_bin = per_bin - per_bin[np.isfinite(per_bin)].min()
    log_weight = np.log(volume / per_bin.shape[1])[:, None]
    return BinnedLoss(per_bin, log_weight, volume)


def gibbs_density_on_bins(landscape: Landscape, edges: Any, beta: float) -> np.ndarray:
    """Gibbs probability of each bin (flattened row-major), normalised over the range the edges cover."""
    return binned_loss(landscape, edges).probabilities(beta)


def _laplace_fractions(analysis: LandscapeAnalysis, beta: float) -> np.ndarray:
    logs = np.array([-beta * m.loss - 0.5 * np.log(m.hessian_eigenvalues).sum() for m in analysis.minima])
    return np.exp(logs - logsumexp(logs))


def gibbs_basin_fractions(landscape: Landscape, analysis: LandscapeAnalysis, beta: float,
                          range: Sequence[Sequence[float]] | None = None, grid_points: int | None = None) -> list[float]:
    """Gibbs mass of each basin: quadrature with basin_of labels in 1-D/2-D when the grid resolves the wells,
    else (and above 2-D) the Laplace approximation w_k ∝ exp(-beta L_k) det(H_k)^(-1/2)."""
    if not analysis.minima:
        return []
    if landscape.dim > 2:
        return [float(f) for f in _laplace_fractions(analysis, beta)]
    ranges = resolve_range(landscape, range)
    points = grid_points or (20001 if landscape.dim == 1 else 401)
    nodes = axis_nodes(ranges, points)
    spacing = max(n[1] - n[0] for n in nodes)
    width = min(float(np.sqrt(1.0 / (beta * m.hessian_eigenvalues.max()))) for m in analysis.minima)
    if spacing > width:
        return [float(f) for f in _laplace_fractions(analysis, beta)]
    pts = mesh_points(nodes)
    loss = np.asarray(landscape.loss(pts), dtype=float)
    ok = np.isfinite(loss)
    labels = analysis.basin_of(pts)
    keep = ok & (labels >= 0)
    logw = -beta * (loss[keep] - loss[keep].min())
    w = np.exp(logw)
    mass = np.bincount(labels[keep], weights=w, minlength=len(analysis.minima))
    return [float(f) for f in mass / mass.sum()]


def fit_beta_binned(landscape: Landscape, edges: Any, counts: np.ndarray,
                    subpoints: int | None = None) -> tuple[float | None, float | None]:
    """Maximum-likelihood beta of a multinomial with Gibbs bin probabilities; stderr from the observed Fisher
    information. The score and its derivative are exact: ℓ' = N E[L] - Σ n_k E_k[L], ℓ'' = Σ n_k Var_k - N Var."""
    binned = binned_loss(landscape, edges, subpoints)
    n = np.asarray(counts, dtype=float).ravel()
    if n.shape[0] != binned.loss.shape[0]:
        raise SpecError(f"expected {binned.loss.shape[0]} counts, got {n.shape[0]}", "counts")
    total = n.sum()
    if total <= 0:
        return None, None
    finite = binned.loss[np.isfinite(binned.loss)]
    spread = float(finite.max() - finite.min()) or 1.0

    def score(beta: float) -> float:
        p, mean, _ = binned.bin_moments(beta)
        return float(total * (p * mean).sum() - (n * mean).sum())

    grid = np.geomspace(1e-4 / spread, 1e6 / spread, 121)
    s = np.array([score(b) for b in grid])
    change = np.flatnonzero((s[:-1] > 0) & (s[1:] <= 0))
    if len(change) == 0:
        return None, None
    k = change[0]
    beta = brentq(score, grid[k], grid[k + 1], xtol=1e-14 * grid[k + 1], rtol=1e-13)
    p, mean, var = binned.bin_moments(beta)
    overall_mean = (p * mean).sum()
    overall_var = (p * (var + mean ** 2)).sum() - overall_mean ** 2
    information = total * overall_var - (n * var).sum()
    stderr = float(1.0 / np.sqrt(information)) if information > 0 else None
    return float(beta), stderr


def _merge_sparse(observed: np.ndarray, expected: np.ndarray, minimum: float) -> tuple[np.ndarray, np.ndarray]:
    """Merge consecutive bins (flattened order) until each group expects at least `minimum` counts."""
    groups = np.zeros(len(expected), dtype=np.int64)
    acc, g = 0.0, 0
    for i, e in enumerate(expected):
        groups[i] = g
        acc += e
        if acc >= minimum:
            g, acc = g + 1, 0.0
    if acc < minimum and g > 0:
        groups[groups == g] = g - 1
    return np.bincount(groups, weights=observed), np.bincount(groups, weights=expected)


def goodness_of_fit(counts: np.ndarray, probs: np.ndarray, ddof: int = 0) -> dict[str, float | None]:
    """KL(empirical || model), total variation and a chi-square p-value with sparse bins (expected < 5) merged."""
    n = np.asarray(counts, dtype=float).ravel()
    p = np.asarray(probs, dtype=float).ravel()
    total = n.sum()
    if total <= 0:
        return {"kl_divergence": None, "total_variation": None, "chi2_pvalue": None,
                "chi2_statistic": None, "chi2_dof": None}
    emp = n / total
    pos = emp > 0
    kl = float(np.sum(emp[pos] * (np.log(emp[pos]) - np.log(np.maximum(p[pos], 1e-300)))))
    tv = float(0.5 * np.abs(emp - p).sum())
    obs, exp = _merge_sparse(n, p * total, MIN_EXPECTED)
    dof = len(obs) - 1 - ddof
    stat = float(np.sum((obs - exp) ** 2 / np.maximum(exp, 1e-300)))
    pvalue = float(chi2.sf(stat, dof)) if dof > 0 else None
    return {"kl_divergence": kl if np.isfinite(kl) else None, "total_variation": tv, "chi2_pvalue": pvalue,
            "chi2_statistic": stat, "chi2_dof": dof if dof > 0 else None}


def discrete_time_correction(analysis: LandscapeAnalysis, temperature: float, lr: float) -> list[dict[str, Any]]:
    """Per minimum and Hessian axis: the continuous variance T/h and the chain's own T/(h(1 - lr h/2))."""
    out = []
    for m in analysis.minima:
        h = np.asarray(m.hessian_eigenvalues, dtype=float)
        stable = lr * h < 2
        discrete = np.where(stable, temperature / (h * (1 - lr * h / 2)), np.nan)
        out.append({"minimum": m.index, "variance_continuous": [float(v) for v in temperature / h],
                    "variance_discrete": [float(v) if np.isfinite(v) else None for v in discrete]})
    return out


def gibbs_comparison(landscape: Landscape, analysis: LandscapeAnalysis, edges: Any, counts: np.ndarray,
                     beta: float, basin_fractions_empirical: Sequence[float] | None = None,
                     lr: float | None = None, range: Sequence[Sequence[float]] | None = None,
                     grid_points: int | None = None) -> dict[str, Any]:
    """docs/API.md's result.gibbs block (plus `discrete_time_correction` when lr is known, and basin-level TV).

    `grid_points` is the quadrature grid of the basin fractions (default: gibbs_basin_fractions' own)."""
    fractions = gibbs_basin_fractions(landscape, analysis, beta, range, grid_points)
    out: dict[str, Any] = {"beta_theory": float(beta), "beta_fit": None, "beta_fit_stderr": None,
                           "kl_divergence": None, "total_variation": None, "chi2_pvalue": None,
                           "basin_fractions_theory": fractions, "density_theory": None}
    if landscape.dim <= 2:
        binned = binned_loss(landscape, edges)
        probs = binned.probabilities(beta)
        fit = goodness_of_fit(counts, probs)
        out["beta_fit"], out["beta_fit_stderr"] = fit_beta_binned(landscape, edges, counts)
        out.update({k: fit[k] for k in ("kl_divergence", "total_variation", "chi2_pvalue")})
        out["density_theory"] = [float(v) for v in probs / binned.volume]
    if basin_fractions_empirical is not None and fractions:
        emp = np.asarray(basin_fractions_empirical, dtype=float)
        out["basin_total_variation"] = float(0.5 * np.abs(emp - np.asarray(fractions)).sum())
    if lr is not None:
        out["discrete_time_correction"] = discrete_time_correction(analysis, 1.0 / beta, lr)
    return out
