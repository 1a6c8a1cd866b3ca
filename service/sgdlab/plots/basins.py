"""The `basins` plot: basin fractions at the end (and over snapshots) with error bars and the theory's fractions
(the stationary law of the dynamics that ran when it is not Gibbs, else Gibbs)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sgdlab.tables import build_table

from .legends import legend_beside


def basin_theory(result: dict, final: list[dict]) -> tuple[dict[int, float], str]:
    """basin -> theory fraction, and the law's name: `stationary` when its law is not Gibbs, else Gibbs."""
    stationary = result.get("stationary") or {}
    law, fractions = stationary.get("law"), stationary.get("basin_fractions_theory")
    if law and law != "gibbs" and fractions:
        return {k: float(f) for k, f in enumerate(fractions) if f is not None}, f"stationary law ({law})"
    return {r["basin"]: r["gibbs_fraction"] for r in final if r["gibbs_fraction"] is not None}, "Gibbs"


def draw_basins(fig: Figure, result: dict) -> None:
    """Final fractions as bars with stderr, Gibbs fractions as markers; a second panel over snapshots if any."""
    rows = build_table("basins", result)
    final = [r for r in rows if r["which"] == "final"]
    snaps = [r for r in rows if r["which"] == "snapshot"]
    axes = fig.subplots(1, 2, width_ratios=[1, 1.6]) if snaps else [fig.add_subplot()]
    ax = axes[0]
    basins = np.array([r["basin"] for r in final])
    frac = np.array([np.nan if r["fraction"] is None else r["fraction"] for r in final])
    err = np.array([0.0 if r["stderr"] is None else r["stderr"] for r in final])
    ax.bar(basins, frac, yerr=err, capsize=4, color="tab:blue", alpha=0.7, label="simulated ± stderr")
    theory, law = basin_theory(result, final)
    shown = [(b, theory[b]) for b in basins.tolist() if b in theory]
    if shown:
        tb, tf = zip(*shown)
        ax.scatter(tb, tf, marker="_", s=600, color="black", linewidths=2, zorder=5, label=f"{law} theory")
    ax.set_xticks(basins)
    ax.set_xlabel("basin (index of minimum)")
    ax.set_ylabel("fraction of particles")
    ax.set_ylim(0, 1.05)
    ax.set_title("Basin occupation at the end")
    legend_beside(fig, ax)
    if snaps:
        ax2 = axes[1]
        for k in sorted({r["basin"] for r in snaps}):
            mine = sorted((r for r in snaps if r["basin"] == k), key=lambda r: r["step"] or 0)
            mine += [r for r in final if r["basin"] == k and r["step"] is not None]
            steps = [r["step"] for r in mine]
            line = ax2.errorbar(steps, [np.nan if r["fraction"] is None else r["fraction"] for r in mine],
                                yerr=[r["stderr"] or 0.0 for r in mine], marker="o", capsize=3, label=f"basin {k}")
            if k in theory:
                ax2.axhline(theory[k], linestyle="--", linewidth=0.8, color=line[0].get_color())
        ax2.set_xlabel("steps")
        ax2.set_ylabel("fraction of particles")
        ax2.set_ylim(0, 1.05)
        ax2.set_title(f"Over time (dashed: {law})")
        ax2.legend(fontsize=7, loc="best")
