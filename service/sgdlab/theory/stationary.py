"""The stationary law of the dynamics that ran, compared with the histogram (API.md's `stationary` block).

- isotropic noise: the Gibbs law (the `gibbs` block's own numbers, law "gibbs");
- state-dependent noise in 1-D: the zero-flux density of the continuous limit, rho ∝ exp(-integral L'/D) / D
  (law "fokker_planck", theory.state_dependent), with the grid chain's own law as `grid_chain` (no O(lr) bias;
  its basin fractions are over the histogram box) when within budget;
- state-dependent noise in 2-D: the invariant law of the lecture's grid chain on the histogram's bins, with the
  anisotropic kernel N(w - lr grad L, (lr^2/B) Sigma(w)) (law "grid_chain": the discrete chain itself, no
  continuous limit; the box edges reflect), when the kernel fits STATIONARY_KERNEL_ENTRIES and Sigma on the bins
  fits STATIONARY_SIGMA_BUDGET; else, and above 2-D, the Gaussian local laws only (law "local_gaussian", see
  `local_laws`): no density or basin fractions are claimed;
- gradient descent: no stationary law (the block is left out).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..core.landscapes.base import Landscape
from .gibbs import goodness_of_fit
from .grids import resolve_range
from .noise import NoiseModel, correlated_note
from .state_dependent import VanishingNoise, basin_fractions, bin_probabilities, noise_profile_1d

_FIT_KEYS = ("kl_divergence", "total_variation", "chi2_pvalue")
STATIONARY_KERNEL_ENTRIES = 5_000_000   # grid-chain transition probabilities a result may build
STATIONARY_SIGMA_BUDGET = 2e7           # cells x data rows of per-sample gradients for Sigma on the grid
MIN_KERNEL_CELLS = 2.0                  # the grid chain needs a kernel at least this many cells wide ...
MAX_REFINE = 4                          # ... reached by refining each histogram bin at most r x r
MIN_KERNEL_CELLS_1D = 4.0               # in 1-D the narrowest kernel spans this many cells ...
MAX_CELLS_1D = 4000                     # ... within this many cells


def _empty(law: str, note: str) -> dict[str, Any]:
    return {"law": law, "density_theory": None, "basin_fractions_theory": None, "kl_divergence": None,
            "total_variation": None, "chi2_pvalue": None, "note": note}


def _basin_tv(out: dict, empirical: Sequence[float] | None) -> None:
    theory = out.get("basin_fractions_theory")
    if empirical is not None and theory:
        out["basin_total_variation"] = float(0.5 * np.abs(np.subtract(empirical, theory)).sum())


def stationary_block(landscape: Landscape, analysis: Any, model: NoiseModel, edges: list | None,
                     counts: np.ndarray | None, basin_fractions_empirical: Sequence[float] | None,
                     gibbs: dict | None, range: Sequence[Sequence[float]] | None = None) -> dict[str, Any] | None:
    """The stationary law of `model` on the histogram's bins (1-D/2-D) and per basin, with the goodness of fit."""
    if model.kind == "none":
        return None
    out = _stationary(landscape, analysis, model, edges, counts, basin_fractions_empirical, gibbs, range)
    extra = correlated_note(model)
    if out is not None and extra:
        out["note"] = (out["note"] + "; " if out.get("note") else "") + extra
    return out


def _stationary(landscape: Landscape, analysis: Any, model: NoiseModel, edges: list | None, counts: np.ndarray | None,
                basin_fractions_empirical: Sequence[float] | None, gibbs: dict | None,
                range: Sequence[Sequence[float]] | None) -> dict[str, Any] | None:
    if not model.state_dependent:
        if gibbs is None:
            return None
        out = {"law": "gibbs", "density_theory": gibbs.get("density_theory"),
               "basin_fractions_theory": gibbs.get("basin_fractions_theory"),
               **{k: gibbs.get(k) for k in _FIT_KEYS},
               "note": "isotropic noise: the Gibbs law exp(-L/T), T = lr/(2B), of the continuous limit (see "
                       "gibbs.discrete_time_correction for the chain's O(lr) correction)"}
        _basin_tv(out, basin_fractions_empirical)
        return out
    if landscape.dim == 2 and edges is not None and counts is not None:
        out = _grid_chain_on_bins(landscape, analysis, model, edges, counts)
        if out is not None:
            _basin_tv(out, basin_fractions_empirical)
            return out
    if landscape.dim > 1:
        if landscape.dim == 2 and edges is None:
            why = (" (no histogram bins here: a job's result gives the grid chain's invariant law on its "
                   "histogram's bins, law grid_chain, when within budget)")
        elif landscape.dim == 2:
            why = (" (the grid chain on these bins is beyond its budget: a coarser `observe.histogram` (fewer bins, "
                   "a smaller box) or a density_evolution job gives the chain's own law)")
        else:
            why = " (no grid method above 2-D)"
        return _empty("local_gaussian", "state-dependent noise above 1-D" + why + ": only the Gaussian law at "
                      "each minimum is given (local_laws); no density or basin fractions are claimed")
    (lo, hi), = resolve_range(landscape, range)
    if edges is not None:
        lo, hi = min(lo, float(edges[0][0])), max(hi, float(edges[0][-1]))
    try:
        profile = noise_profile_1d(landscape, model, lo, hi)
    except VanishingNoise as exc:
        return _empty("fokker_planck", f"no zero-flux density: {exc}")
    out = _empty("fokker_planck", "the zero-flux density of the continuous limit dw = -L' dt + sqrt(2D) dW (Ito), "
                 "D = lr Sigma(w)/(2B): rho ∝ exp(-integral L'/D) / D; O(lr) from the chain's own law")
    (alo, ahi), = resolve_range(landscape, range)
    inside = (profile.nodes >= alo) & (profile.nodes <= ahi)
    sub = type(profile)(profile.nodes[inside], profile.grad[inside], profile.diffusion[inside], profile.phi[inside])
    out["basin_fractions_theory"] = basin_fractions(sub, analysis.basin_of, len(analysis.minima))
    if edges is not None and counts is not None:
        e = np.asarray(edges[0], dtype=float)
        probs = bin_probabilities(profile, e)
        out["density_theory"] = [float(v) for v in probs / np.diff(e)]
        fit = goodness_of_fit(counts, probs)
        out.update({k: fit[k] for k in _FIT_KEYS})
        out["chi2_statistic"], out["chi2_dof"] = fit["chi2_statistic"], fit["chi2_dof"]
        chain = _grid_chain_on_bins(landscape, analysis, model, edges, counts)
        if chain is not None:      # the discrete chain's own law: no O(lr) bias, a cross-check of the above
            out["grid_chain"] = {k: chain[k] for k in ("density_theory", "basin_fractions_theory", *_FIT_KEYS,
                                                       "note")}
    _basin_tv(out, basin_fractions_empirical)
    return out


def _grid_chain_on_bins(landscape: Landscape, analysis: Any, model: NoiseModel, edges: list, counts: np.ndarray
                        ) -> dict[str, Any] | None:
    """The grid chain's invariant law, on the histogram's bins refined r-fold per axis (r <= MAX_REFINE, the
    smallest with a typical kernel at least MIN_KERNEL_CELLS cells wide), summed back onto the bins (1-D, 2-D);
    None beyond the budgets."""
    from ..core.errors import LimitExceeded
    from ..core.landscapes.base import FiniteSumLandscape
    from ..limits import Limits
    from .density_evolution import DensityGrid, invariant_law, transition_matrix
    coarse = [np.asarray(e, dtype=float) for e in edges]
    rows = landscape.n_samples if isinstance(landscape, FiniteSumLandscape) else 1
    bins = DensityGrid(tuple(coarse))
    if bins.size * rows > STATIONARY_SIGMA_BUDGET:
        return None
    cov = model.covariance(landscape, bins.points())
    # 2-D: the typical (median over the bins) smaller kernel width; where the noise is quieter the chain is
    # coarser. 1-D (cheap): the narrowest kernel at least MIN_KERNEL_CELLS_1D cells wide, up to MAX_CELLS_1D cells.
    var = np.min(np.diagonal(cov, axis1=1, axis2=2), axis=1)
    one_d = len(coarse) == 1
    sd_min = model.lr * float(np.sqrt(max(float(var.min() if one_d else np.median(var)), 0.0) / model.batch_size))
    width = float(max(np.diff(e).max() for e in coarse))
    if one_d:
        top = max(1, MAX_CELLS_1D // bins.size)
        r = min(top, int(np.ceil(MIN_KERNEL_CELLS_1D * width / sd_min))) if sd_min > 0 else top
    else:
        r = next((k for k in range(1, MAX_REFINE + 1) if sd_min >= MIN_KERNEL_CELLS * width / k), None)
    if r is None or bins.size * r ** len(coarse) * rows > STATIONARY_SIGMA_BUDGET:
        return None
    grid = DensityGrid(tuple(np.linspace(e[0], e[-1], r * (len(e) - 1) + 1) for e in coarse))
    try:
        P = transition_matrix(landscape, grid, model.lr, model.batch_size,
                              Limits(max_kernel_entries=STATIONARY_KERNEL_ENTRIES),
                              lambda pts: model.covariance(landscape, pts))
    except LimitExceeded:
        return None
    fine = invariant_law(P)
    shape = [n for e in coarse for n in (len(e) - 1, r)]
    probs = fine.reshape(shape).sum(axis=tuple(range(1, len(shape), 2))).ravel()
    out = _empty("grid_chain", "the invariant law of the grid chain with the kernel N(w - lr grad L, (lr^2/B) "
                 f"Sigma(w)) on the histogram's bins refined {r}-fold per axis (reflecting box edges): the discrete "
                 "chain itself, no continuous limit")
    out["density_theory"] = [float(v) for v in probs / bins.cell_volume]
    fit = goodness_of_fit(counts, probs)
    out.update({k: fit[k] for k in _FIT_KEYS})
    labels = analysis.basin_of(grid.points())
    keep = labels >= 0
    if keep.any() and analysis.minima:
        mass = np.bincount(labels[keep], weights=fine[keep], minlength=len(analysis.minima))
        out["basin_fractions_theory"] = [float(f) for f in mass / mass.sum()]
    return out
