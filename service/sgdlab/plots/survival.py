"""The `survival` plot: Kaplan-Meier survival of the exit time vs the exponential fit, Kramers and exact times."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sgdlab.tables import build_table
from sgdlab.tables.values import num

from .legends import legend_beside



def fit_verdict(exit_times: dict) -> str:
    """", fit p = 0.43" or ", NOT exponential: fit p = 1e-09" from the goodness-of-fit test ("" without one)."""
    p = num(exit_times.get("exponential_fit_pvalue"))
    if p is None:
        return ""
    return f", NOT exponential: fit p = {p:.2g}" if exit_times.get("exponential_fit_rejected") else f", fit p = {p:.2g}"


def draw_survival(fig: Figure, result: dict) -> None:
    """P(T > t) as a step curve; exp(-t/mean_steps) when something escaped; vertical lines at the time scales."""
    rows = build_table("survival", result)
    exit_times = result["exit_times"]
    steps = np.array([r["step"] for r in rows], dtype=float)
    prob = np.array([np.nan if r["probability"] is None else r["probability"] for r in rows])
    ax = fig.add_subplot()
    ax.step(steps, prob, where="post", color="tab:blue", linewidth=1.5, label="Kaplan–Meier")
    fitted = [r["exponential_fit"] for r in rows]
    if all(f is not None for f in fitted):
        ts = np.linspace(0, steps.max() if steps.size else 1, 300)
        mean = float(exit_times["mean_steps"])
        ax.plot(ts, np.exp(-ts / mean), color="black", linestyle="--",
                label=f"exp(-t/τ), τ={mean:.4g} steps{fit_verdict(exit_times)}")
    else:
        ax.text(0.5, 0.5, "no exit events: no exponential fit", transform=ax.transAxes, ha="center",
                color="0.3", fontsize=10)
    x_max = 1.05 * max(float(steps.max()) if steps.size else 1.0, 1.0)
    scales = [("kramers_steps", "Kramers", "tab:orange"), ("exact_steps", "exact", "tab:green")]
    if exit_times.get("method") == "splitting":     # the rare-event estimate, beside the theory's time scales
        scales.insert(0, ("mean_steps", "splitting mean", "tab:purple"))
    for key, label, colour in scales:
        value = num(exit_times.get(key))
        if value is None or value <= 0:   # named with the reason it is missing, so its absence is not a mystery
            reason = exit_times.get(key.replace("_steps", "_reason")) or "no reason given in the result"
            reason = reason.removeprefix("unavailable: ")
            ax.plot([], [], color=colour, linestyle=":", label=f"{label}: unavailable ({reason})")
            continue
        if value <= 3 * x_max:  # on the scale of the run: a vertical line
            ax.axvline(value, color=colour, linestyle=":", linewidth=1.3, label=f"{label}: {value:.4g} steps")
        else:  # far beyond the run: named in the legend only, so the curve keeps its scale
            ax.plot([], [], color=colour, linestyle=":", label=f"{label}: {value:.4g} steps (off scale)")
    ax.set_xlabel("steps")
    ax.set_ylabel("survival probability P(T > t)")
    ax.set_ylim(0, 1.05)
    ax.set_xlim(left=0)
    escaped, total = exit_times.get("escaped"), exit_times.get("particles")
    ax.set_title(f"Exit from basin {exit_times.get('from')} to {exit_times.get('to')}: "
                 f"{escaped} of {total} escaped" + (" directly" if exit_times.get("method") == "splitting" else ""))
    legend_beside(fig, ax, max_columns=2)
