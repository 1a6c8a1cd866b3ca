"""The `basins` plot: basin fractions at the end (and over snapshots) with error bars and the Gibbs theory."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from sgdlab.tables import build_table

from .legends import legend_beside


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
    theory = [(r["basin"], r["gibbs_fraction"]) for r in final if r["gibbs_fraction"] is not None]
    if theory:
        tb, tf = zip(*theory)
        ax.scatter(tb, tf, marker="_", s=600, color="black", linewidths=2, zorder=5, label="Gibbs theory")
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
            gibbs = next((r["gibbs_fraction"] for r in mine if r["gibbs_fraction"] is not None), None)
            if gibbs is not None:
                ax2.axhline(gibbs, linestyle="--", linewidth=0.8, color=line[0].get_color())
        ax2.set_xlabel("steps")
        ax2.set_ylabel("fraction of particles")
        ax2.set_ylim(0, 1.05)
        ax2.set_title("Over time (dashed: Gibbs)")
        ax2.legend(fontsize=7, loc="best")
