"""The Gibbs law rho ∝ exp(-beta L): bin masses, basin fractions, a binned beta fit and goodness of fit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
from scipy.optimize import brentq
from scipy.special import logsumexp
from scipy.stats import chi2

from sgdlab.core.errors import SpecError
from sgdlab.core.landscapes.base import Landscape
from sgdlab.theory.adaptive_quadrature import integrate_groups
from sgdlab.theory.basin_maps import IntervalBasinMap
from sgdlab.theory.grids import axis_nodes, mesh_points, resolve_range
from sgdlab.theory.landscape_analysis import LandscapeAnalysis

SUBPOINTS_1D = 32
SUBPOINTS_2D = 6
MIN_EXPECTED = 5.0
QUADRATURE_RTOL = 1e-13
"""Relative tolerance of the 1-D adaptive quadratures (basin masses, bin masses)."""
BIN_EVALUATIONS = 300
"""Loss evaluations per bin at most in the 1-D adaptive bin masses (a smooth bin needs 30 to 90)."""


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


@dataclass
class BinProbabilities:
    """Gibbs probability of each bin (flattened row-major) and an estimate of the largest absolute error."""

    probabilities: np.ndarray
    error: float
    method: str  # "adaptive_gauss_legendre" (1-D) or "midpoint" (2-D, sub-grid per bin)


def gibbs_bin_probabilities(landscape: Landscape, edges: Any, beta: float,
                            binned: "BinnedLoss | None" = None) -> BinProbabilities:
    """Gibbs bin probabilities normalised over the range the edges cover, with an error estimate.

    1-D: adaptive Gauss-Legendre on every bin at once, each bin scaled by its own largest sampled density
    (relative error QUADRATURE_RTOL per bin). 2-D: the midpoint rule on SUBPOINTS_2D^2 points per bin, its
    error estimated by the rule on a third of the points per axis (the difference, an over-estimate).
    """
    axes = _edges_per_axis(edges, landscape.dim)
    if landscape.dim == 1:
        e = axes[0]
        log_f = _scaled_log_density(landscape, beta)
        probe = e[:-1, None] + np.diff(e)[:, None] * np.linspace(0.0, 1.0, 5)[None, :]
        peaks = log_f(probe.ravel()).reshape(probe.shape).max(axis=1)
        shift = np.where(np.isfinite(peaks), peaks, 0.0)
        res = integrate_groups(log_f, e[:-1], e[1:], np.arange(len(e) - 1), shift, rtol=QUADRATURE_RTOL,
                               max_evaluations=BIN_EVALUATIONS * (len(e) - 1))
        p, err = _fractions_from_logs(res.log_integral, res.relative_error)
        return BinProbabilities(p, err, "adaptive_gauss_legendre")
    fine = (binned or binned_loss(landscape, edges)).probabilities(beta)
    coarse = binned_loss(landscape, edges, SUBPOINTS_2D // 3).probabilities(beta)
    return BinProbabilities(fine, float(np.abs(fine - coarse).max()), "midpoint")


def gibbs_density_on_bins(landscape: Landscape, edges: Any, beta: float) -> np.ndarray:
    """Gibbs probability of each bin (flattened row-major), normalised over the range the edges cover."""
    return gibbs_bin_probabilities(landscape, edges, beta).probabilities


def _laplace_fractions(analysis: LandscapeAnalysis, beta: float) -> np.ndarray:
    logs = np.array([-beta * m.loss - 0.5 * np.log(m.hessian_eigenvalues).sum() for m in analysis.minima])
    return np.exp(logs - logsumexp(logs))


@dataclass
class BasinFractions:
    """Gibbs basin fractions, an estimate of their absolute error (None when unknown) and the method used."""

    fractions: list[float]
    error: float | None
    method: str  # "adaptive_gauss_legendre" (1-D), "grid" (2-D), "laplace"


def _scaled_log_density(landscape: Landscape, beta: float) -> Callable[[np.ndarray], np.ndarray]:
    """x (m,) -> -beta L(x), -inf where L is not finite (1-D)."""
    def log_f(x: np.ndarray) -> np.ndarray:
        v = np.asarray(landscape.loss(np.asarray(x, dtype=float)[:, None]), dtype=float)
        return np.where(np.isfinite(v), -beta * v, -np.inf)
    return log_f


def _fractions_from_logs(log_mass: np.ndarray, rel: np.ndarray) -> tuple[np.ndarray, float]:
    """Normalised fractions and an absolute error bound from each mass's relative error."""
    ok = np.isfinite(log_mass)
    f = np.zeros(len(log_mass))
    if ok.any():
        f[ok] = np.exp(log_mass[ok] - logsumexp(log_mass[ok]))
    worst = float(np.max(rel[ok], initial=0.0))
    return f, float(np.max(f * (rel + worst), initial=0.0))


def _basin_fractions_1d(landscape: Landscape, analysis: LandscapeAnalysis, beta: float, lo: float, hi: float,
                        max_evaluations: int | None) -> BasinFractions | None:
    """Adaptive quadrature of exp(-beta L) over each basin interval (split at its saddles and its minimum)."""
    basin_map = analysis.basin_map
    if not isinstance(basin_map, IntervalBasinMap):
        return None
    maxima = np.asarray(basin_map.maxima, dtype=float)
    cuts = np.concatenate([[lo], maxima[(maxima > lo) & (maxima < hi)], [hi]])
    log_f = _scaled_log_density(landscape, beta)
    a, b, group, shift = [], [], [], []
    k = len(analysis.minima)
    for left, right in zip(cuts[:-1], cuts[1:]):
        label = int(basin_map(np.array([[0.5 * (left + right)]]))[0])
        if label < 0:
            continue
        m = analysis.minima[label]
        x_min = float(m.location[0])
        inner = [left, x_min, right] if left < x_min < right else [left, right]
        peak = max(float(np.max(log_f(np.array(inner)))), -beta * m.loss)
        for u, v in zip(inner[:-1], inner[1:]):
            a.append(u), b.append(v), group.append(label)
        shift.append((label, peak))
    if not a:
        return None
    shifts = np.full(k, -np.inf)
    for label, peak in shift:
        shifts[label] = max(shifts[label], peak)
    shifts = np.where(np.isfinite(shifts), shifts, 0.0)
    res = integrate_groups(log_f, np.array(a), np.array(b), np.array(group), shifts, rtol=QUADRATURE_RTOL,
                           max_evaluations=max_evaluations)
    present = np.zeros(k, dtype=bool)
    present[np.array(group)] = True
    log_mass = np.where(present, res.log_integral, -np.inf)
    f, err = _fractions_from_logs(log_mass, res.relative_error)
    return BasinFractions([float(v) for v in f], err, "adaptive_gauss_legendre")


def _grid_fractions(loss: np.ndarray, labels: np.ndarray, beta: float, k: int) -> np.ndarray:
    """Rectangle-rule Gibbs mass of each of k basins from loss values and basin labels at grid nodes."""
    keep = np.isfinite(loss) & (labels >= 0)
    if not keep.any():
        return np.zeros(k)
    w = np.exp(-beta * (loss[keep] - loss[keep].min()))
    mass = np.bincount(labels[keep], weights=w, minlength=k)
    return mass / mass.sum()


def gibbs_basin_fractions_estimate(landscape: Landscape, analysis: LandscapeAnalysis, beta: float,
                                   range: Sequence[Sequence[float]] | None = None,
                                   grid_points: int | None = None) -> BasinFractions:
    """Gibbs mass of each basin with an error estimate.

    1-D: adaptive Gauss-Legendre on each basin interval, split at the saddles and the minimum, scaled per
    basin in log space (relative error QUADRATURE_RTOL; `grid_points` caps the loss evaluations). 2-D: the
    rectangle rule with basin_of labels on a grid, its error estimated as twice the difference from the same
    rule on every other node. Laplace w_k ∝ exp(-beta L_k) det(H_k)^(-1/2)
    above 2-D or when the grid does not resolve the wells (error unknown: None).
    """
    if not analysis.minima:
        return BasinFractions([], 0.0, "none")
    laplace = BasinFractions([float(f) for f in _laplace_fractions(analysis, beta)], None, "laplace")
    if landscape.dim > 2:
        return laplace
    ranges = resolve_range(landscape, range)
    if landscape.dim == 1:
        out = _basin_fractions_1d(landscape, analysis, beta, ranges[0][0], ranges[0][1], grid_points)
        if out is not None:
            return out
    points = grid_points or (20001 if landscape.dim == 1 else 401)
    points += 1 - points % 2  # odd: every other node is a grid on the same box
    nodes = axis_nodes(ranges, points)
    spacing = max(n[1] - n[0] for n in nodes)
    width = min(float(np.sqrt(1.0 / (beta * m.hessian_eigenvalues.max()))) for m in analysis.minima)
    if spacing > width:
        return laplace
    pts = mesh_points(nodes)
    shape = [len(n) for n in nodes]
    loss = np.asarray(landscape.loss(pts), dtype=float).reshape(shape)
    labels = np.asarray(analysis.basin_of(pts)).reshape(shape)
    k = len(analysis.minima)
    every_other = tuple(slice(None, None, 2) for _ in nodes)
    fine = _grid_fractions(loss, labels, beta, k)
    coarse = _grid_fractions(loss[every_other], labels[every_other], beta, k)
    # the labelled rectangle rule is first order at the basin boundaries: error(fine) ~ |fine - coarse|;
    # twice that is stated, to cover it when the two grids fall on the same side
    return BasinFractions([float(f) for f in fine], 2.0 * float(np.abs(fine - coarse).max()), "grid")


def gibbs_basin_fractions(landscape: Landscape, analysis: LandscapeAnalysis, beta: float,
                          range: Sequence[Sequence[float]] | None = None, grid_points: int | None = None) -> list[float]:
    """Gibbs mass of each basin (see `gibbs_basin_fractions_estimate`, which also gives the error)."""
    return gibbs_basin_fractions_estimate(landscape, analysis, beta, range, grid_points).fractions


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
    basins = gibbs_basin_fractions_estimate(landscape, analysis, beta, range, grid_points)
    fractions = basins.fractions
    out: dict[str, Any] = {"beta_theory": float(beta), "beta_fit": None, "beta_fit_stderr": None,
                           "kl_divergence": None, "total_variation": None, "chi2_pvalue": None,
                           "basin_fractions_theory": fractions, "density_theory": None,
                           "quadrature_error": {"basin_fractions": basins.error, "basin_method": basins.method,
                                                "bin_probabilities": None, "bin_method": None}}
    if landscape.dim <= 2:
        binned = binned_loss(landscape, edges)
        bins = gibbs_bin_probabilities(landscape, edges, beta, binned)
        probs = bins.probabilities
        fit = goodness_of_fit(counts, probs)
        out["beta_fit"], out["beta_fit_stderr"] = fit_beta_binned(landscape, edges, counts)
        out.update({k: fit[k] for k in ("kl_divergence", "total_variation", "chi2_pvalue")})
        out["density_theory"] = [float(v) for v in probs / binned.volume]
        out["quadrature_error"].update({"bin_probabilities": bins.error, "bin_method": bins.method})
    if basin_fractions_empirical is not None and fractions:
        emp = np.asarray(basin_fractions_empirical, dtype=float)
        out["basin_total_variation"] = float(0.5 * np.abs(emp - np.asarray(fractions)).sum())
    if lr is not None:
        out["discrete_time_correction"] = discrete_time_correction(analysis, 1.0 / beta, lr)
    return out
