"""The theory block of POST /v1/landscapes/analyze: Gibbs basin fractions and exit-time estimates at a temperature."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..core.landscapes.base import Landscape
from .exit_times import exact_mfpt_with_reason, kramers_steps
from .gibbs import gibbs_basin_fractions_estimate
from .committor import committor
from .landscape_analysis import LandscapeAnalysis, analyze_landscape


def landscape_theory(landscape: Landscape, temperature: float | None, lr: float | None,
                     range: Sequence[Sequence[float]] | None = None, analysis: LandscapeAnalysis | None = None,
                     committor_between: tuple[int, int, int | None] | None = None) -> dict[str, Any]:
    """Analysis (minima, saddles, barriers) and, given T, Gibbs basin fractions and Kramers/exact exit times.

    Times are in steps, which needs lr; with a temperature alone they are given in continuous time
    (`*_time`, t = steps * lr) and the `*_steps` fields are null. `committor_between` = (a, b, grid points)
    adds q(w) = P(reach b before a | w) on a grid: the theory counterpart of a simulation's arrival matrix.
    """
    analysis = analysis if analysis is not None else analyze_landscape(landscape, range=range)
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
                      "exact_unavailable_reason": why if x is None else None if lr is not None else
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
