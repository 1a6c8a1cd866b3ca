"""The theory block of POST /v1/landscapes/analyze: Gibbs basin fractions and exit-time estimates at a temperature."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..core.landscapes.base import Landscape
from .exit_times import exact_mfpt_with_reason, kramers_steps
from .gibbs import gibbs_basin_fractions, gibbs_basin_fractions_estimate
from .committor import committor
from .landscape_analysis import LandscapeAnalysis, analyze_landscape
from .noise import NoiseModel, deepest_minimum, noise_block, scalar_temperature_at


def landscape_theory(landscape: Landscape, temperature: float | None, lr: float | None,
                     range: Sequence[Sequence[float]] | None = None, analysis: LandscapeAnalysis | None = None,
                     committor_between: tuple[int, int, int | None] | None = None,
                     model: NoiseModel | None = None, dynamics: Any = None) -> dict[str, Any]:
    """Analysis (minima, saddles, barriers) and, given T, Gibbs basin fractions and Kramers/exact exit times.

    Times are in steps, which needs lr; with a temperature alone they are given in continuous time
    (`*_time`, t = steps * lr) and the `*_steps` fields are null. `committor_between` = (a, b, grid points)
    adds q(w) = P(reach b before a | w) on a grid: the theory counterpart of a simulation's arrival matrix.
    With a noise `model` (from a request's `dynamics`), the theory is that dynamics' own: see `dynamics_theory`.
    """
    analysis = analysis if analysis is not None else analyze_landscape(landscape, range=range)
    if model is not None:
        return dynamics_theory(landscape, model, dynamics, range, analysis, committor_between)
    out: dict[str, Any] = {"landscape": analysis.to_dict(), "theory": None}
    if temperature is None:
        return out
    unit = lr if lr is not None else 1.0
    exits = []
    for b in analysis.barriers:
        k = kramers_steps(analysis, b.from_, b.to, temperature, unit)
        x, why = exact_mfpt_with_reason(landscape, analysis, b.from_, b.to, temperature, unit, range=range)
        exits.append({"from": b.from_, "to": b.to, "barrier": b.height, "beta_barrier": b.height / temperature,
                      "kramers_steps": k if lr is not None else None, "exact_steps": x if lr is not None else None,
                      "exact_reason": why if x is None else None if lr is not None else
                      "steps need lr: exact_time is the continuous time",
                      "kramers_time": None if k is None else k * unit, "exact_time": None if x is None else x * unit})
    if committor_between is not None:
        a, b, points = committor_between
        axes, q = committor(landscape, analysis, a, b, temperature, points, range)
        out["committor"] = {"from": a, "to": b, "grid": [ax.tolist() for ax in axes],
                            "q": np.asarray(q).reshape(-1).tolist(), "layout": "row-major"}
    basins = gibbs_basin_fractions_estimate(landscape, analysis, 1.0 / temperature, range)
    out["theory"] = {"temperature": temperature, "beta": 1.0 / temperature, "lr": lr,
                     "basin_fractions": basins.fractions,
                     "quadrature_error": {"basin_fractions": basins.error, "basin_method": basins.method},
                     "exit_times": exits}
    return out


def dynamics_theory(landscape: Landscape, model: NoiseModel, dynamics: Any, range: Sequence[Sequence[float]] | None,
                    analysis: LandscapeAnalysis, committor_between: tuple[int, int, int | None] | None = None
                    ) -> dict[str, Any]:
    """The theory of one dynamics (method, lr, B, noise): its noise at the critical points, stationary basin
    fractions (Gibbs for isotropic noise, the zero-flux law for data noise in 1-D), exit times with its own noise
    (`exact_method`, `kramers_formula`), the local laws, and validity warnings. `temperature` is lr/(2B) for
    isotropic noise and the scalar temperature at the deepest minimum for data noise (with a `note`)."""
    from .exit_time_reasons import exit_theory_reasons
    from .exit_times_noise import exit_theory
    from .local_laws import local_laws
    from .stationary import stationary_block
    from .validity import noise_warnings, step_size_warnings, validity_block
    out: dict[str, Any] = {"landscape": analysis.to_dict(), "theory": None}
    noise = noise_block(model, landscape, analysis)
    warnings = step_size_warnings(dynamics, 1, analysis, landscape) + noise_warnings(model, noise, landscape, analysis)
    theory: dict[str, Any] = {"lr": model.lr, "batch_size": model.batch_size, "noise": noise,
                              "validity": validity_block(0, 0, warnings)["warnings"]}
    deepest = deepest_minimum(analysis)
    if model.kind == "none":
        temperature = 0.0
    elif model.state_dependent and deepest is not None:
        temperature = scalar_temperature_at(noise, deepest)
        theory["note"] = (f"data noise: temperature is the scalar temperature lr tr(Sigma)/(2Bd) at the deepest "
                          f"minimum {deepest}; the stationary law and exit times use Sigma(w) itself")
    else:
        temperature = model.scale
    theory["temperature"] = temperature
    theory["beta"] = 1.0 / temperature if temperature > 0 else None
    if theory["beta"] is None:
        theory["beta_reason"] = ("no noise: gradient descent is deterministic, the temperature is 0"
                                 if model.kind == "none" else "the noise vanishes at the deepest minimum: "
                                 "the temperature there is 0")
    basin, why = None, None
    if not analysis.minima:
        law, why = None, "the analysis found no minimum on the box"
    elif model.kind == "isotropic":
        basin = gibbs_basin_fractions(landscape, analysis, 1.0 / temperature, range)
        law = "gibbs"
    elif model.state_dependent:
        st = stationary_block(landscape, analysis, model, None, None, None, None, range)
        basin, law = st["basin_fractions_theory"], st["law"]
        if st.get("note"):
            theory["stationary_note"] = st["note"]
            why = st["note"]
    else:
        law, why = None, ("no noise: gradient descent has no stationary law, each particle goes to the minimum "
                          "of the basin it starts in (its basin fractions are those of the initial law)")
    theory["stationary_law"] = law
    theory["basin_fractions"] = basin
    if basin is None:
        theory["basin_fractions_reason"] = why or "no stationary law is computed for this noise"
    exits = []
    for b in analysis.barriers:
        th = exit_theory(landscape, analysis, model, b.from_, b.to, range=range)
        t_from = next(m["temperature_scalar"] for m in noise["minima"] if m["index"] == b.from_)
        th = {**th, "exact_reason": None, **exit_theory_reasons(analysis, landscape.dim, model, th, b.from_, b.to)}
        exits.append({"from": b.from_, "to": b.to, "barrier": b.height,
                      "beta_barrier": b.height / t_from if t_from > 0 else None, **th,
                      "kramers_time": None if th["kramers_steps"] is None else th["kramers_steps"] * model.lr,
                      "exact_time": None if th["exact_steps"] is None else th["exact_steps"] * model.lr})
    theory["exit_times"] = exits
    theory["local_laws"] = local_laws(landscape, analysis, model, None)
    if committor_between is not None and model.kind == "isotropic":
        a, b, points = committor_between
        axes, q = committor(landscape, analysis, a, b, temperature, points, range)
        out["committor"] = {"from": a, "to": b, "grid": [ax.tolist() for ax in axes],
                            "q": np.asarray(q).reshape(-1).tolist(), "layout": "row-major"}
    out["theory"] = theory
    return out
