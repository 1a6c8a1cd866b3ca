"""A one-line summary of a job's spec (landscape, method, lr or schedule, B, particles, steps) for job lists."""

from __future__ import annotations

from typing import Any

MAX_LABEL = 60  # characters of a formula shown in a list before it is cut with an ellipsis


def _short(text: str) -> str:
    """`text` cut to MAX_LABEL characters (an ellipsis marks the cut)."""
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def landscape_label(landscape: dict | None) -> str | None:
    """The builtin's name, the formula, or "finite sum: <per-sample loss>"."""
    if not landscape:
        return None
    if landscape.get("builtin"):
        return str(landscape["builtin"])
    if landscape.get("expression"):
        return _short(str(landscape["expression"]))
    finite = landscape.get("finite_sum")
    if isinstance(finite, dict):
        return _short("finite sum: " + str(finite.get("per_sample", "")))
    return None


def lr_label(lr: Any) -> float | str | None:
    """A constant lr as a number; a schedule as its name with its main parameters, e.g. "cosine(lr_max=0.1)"."""
    if isinstance(lr, (int, float)) and not isinstance(lr, bool):
        return float(lr)
    if isinstance(lr, dict) and lr.get("schedule"):
        params = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in lr.items() if k != "schedule" and v is not None)
        return f"{lr['schedule']}({params})"
    return None


def spec_summary(kind: str, spec: dict) -> dict[str, Any]:
    """The fields a job list shows to tell runs apart; a sweep summarises its base and names its axes; a density
    evolution has no particles (it evolves the exact density on a grid)."""
    base = spec.get("base") if kind == "sweep" and isinstance(spec.get("base"), dict) else spec
    dyn = base.get("dynamics") or {}
    out: dict[str, Any] = {"landscape": landscape_label(base.get("landscape")), "method": dyn.get("method"),
                           "lr": lr_label(dyn.get("lr")), "batch_size": dyn.get("batch_size"),
                           "particles": None if "density_evolution" in (kind, base.get("kind"))
                           else base.get("particles"),
                           "steps": base.get("steps")}
    if kind == "sweep":
        out["axes"] = [a.get("path") for a in spec.get("axes") or [] if isinstance(a, dict)]
    return out
