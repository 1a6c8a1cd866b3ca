"""Why an exit-time theory value is missing: `kramers_reason` and `exact_reason` next to a null value."""

from __future__ import annotations

from .landscape_analysis import LandscapeAnalysis

EXACT_MAX_DIM = 2   # exact_mfpt_steps solves the backward equation by quadrature (1-D) or on a grid (2-D)


def unavailable_reasons(analysis: LandscapeAnalysis, dim: int, from_: int, to: int, temperature: float,
                        kramers: float | None, exact: float | None) -> dict[str, str]:
    """{"kramers_reason": ..., "exact_reason": ...} for each of the two values that is None (empty when both exist)."""
    out: dict[str, str] = {}
    no_noise = "no noise (temperature 0): the exit time is infinite or set by the drift alone"
    if kramers is None:
        if temperature <= 0:
            out["kramers_reason"] = no_noise
        elif (analysis.saddle_between(from_, to) or analysis.bottleneck_saddle(from_, to)) is None:
            out["kramers_reason"] = f"no saddle was found between minima {from_} and {to}"
        else:
            out["kramers_reason"] = "exp(barrier / T) overflows: the barrier exceeds 700 T, the exit is never seen"
    if exact is None:
        if temperature <= 0:
            out["exact_reason"] = no_noise
        elif dim > EXACT_MAX_DIM:
            out["exact_reason"] = f"the exact MFPT is solved in 1-D and 2-D only; this landscape has dimension {dim}"
        else:
            out["exact_reason"] = "the backward-equation solve gave no finite value (barrier too high for doubles)"
    return out


def exit_theory_reasons(analysis: LandscapeAnalysis, dim: int, model, theory: dict, from_: int, to: int
                        ) -> dict[str, str]:
    """The reasons next to the null values of one `exit_theory` answer with a dynamics' noise `model`: the
    solver's own reason (its `exact_reason`, or an `unavailable: ...` method name) first, else the general one."""
    temperature = model.scale if model.kind != "none" else 0.0
    why = unavailable_reasons(analysis, dim, from_, to, temperature, theory["kramers_steps"], theory["exact_steps"])
    for key, method in (("kramers_reason", "kramers_formula"), ("exact_reason", "exact_method")):
        if key in why and str(theory[method] or "").startswith(("unavailable", "none")):
            why[key] = theory[method]
    if "exact_reason" in why and theory.get("exact_reason"):
        why["exact_reason"] = theory["exact_reason"]
    return why
