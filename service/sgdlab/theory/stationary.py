"""The stationary law of the dynamics that ran, compared with the histogram (API.md's `stationary` block).

- isotropic noise: the Gibbs law (the `gibbs` block's own numbers, law "gibbs");
- state-dependent noise in 1-D: the zero-flux density of the continuous limit, rho ∝ exp(-integral L'/D) / D
  (law "fokker_planck", theory.state_dependent);
- state-dependent noise above 1-D: the Gaussian local laws only (law "local_gaussian", see `local_laws`): no
  density or basin fractions are claimed;
- gradient descent: no stationary law (the block is left out).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..core.landscapes.base import Landscape
from .gibbs import goodness_of_fit
from .grids import resolve_range
from .noise import NoiseModel
from .state_dependent import VanishingNoise, basin_fractions, bin_probabilities, noise_profile_1d

_FIT_KEYS = ("kl_divergence", "total_variation", "chi2_pvalue")


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
    if landscape.dim > 1:
        return _empty("local_gaussian", "state-dependent noise above 1-D: only the Gaussian law at each minimum "
                      "is given (local_laws); no density or basin fractions are claimed")
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
    _basin_tv(out, basin_fractions_empirical)
    return out
