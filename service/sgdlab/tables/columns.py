"""The tidy tables of a result document and their columns: the one source of truth the README and tests use.

Every table is a list of flat rows (dicts); a missing value is None (empty in CSV).

- `histogram`: one row per bin of each recorded histogram.
  `which` is "final", "time_average" or "snapshot"; `step` the step it was taken at (the last step for "final",
  null for "time_average"); `bin` the flat row-major bin index; `w` the bin centre with `left`, `right` its edges
  (2-D: `w1`, `w2` centres and `left1`, `right1`, `left2`, `right2`); `count` particles in the bin; `density` the
  normalised density (integrates to 1 over the range); `gibbs_density` the Gibbs density exp(-beta L)/Z on the same
  bins (null without a gibbs block).
- `basins`: one row per basin and record. `which` is "final" or "snapshot", `step`, `basin` (index into
  result.landscape.minima), `fraction`, `stderr` (binomial standard error), `gibbs_fraction` (theory, or null).
- `survival`: the Kaplan-Meier survival curve of the exit-time observer: `step`, `probability`, and
  `exponential_fit` = exp(-step / mean_steps) (null when nothing escaped).
- `loss_trace`: `step`, `mean`, `std`, `q10`, `q50`, `q90` of the particles' loss.
- `trajectories`: `particle`, `step`, `w` (2-D: `w1`, `w2`) of the sampled paths.
- `arrival`: P(final basin | initial cell): `cell` (flat row-major index), `cell_low`, `cell_high` (2-D:
  `cell_low1`, `cell_high1`, `cell_low2`, `cell_high2`), `basin`, `probability`.
- `kl_to_stationary` (density_evolution results): `step`, `kl_to_stationary` = KL(rho_t || rho_inf) and
  `total_variation_to_stationary`, one row per step of the series.
"""

from __future__ import annotations

TABLE_NAMES: tuple[str, ...] = ("histogram", "basins", "survival", "loss_trace", "trajectories", "arrival",
                                 "kl_to_stationary")

TABLE_COLUMNS: dict[str, list[str]] = {
    "histogram": ["which", "step", "bin", "w", "left", "right", "count", "density", "gibbs_density"],
    "basins": ["which", "step", "basin", "fraction", "stderr", "gibbs_fraction"],
    "survival": ["step", "probability", "exponential_fit"],
    "loss_trace": ["step", "mean", "std", "q10", "q50", "q90"],
    "trajectories": ["particle", "step", "w"],
    "arrival": ["cell", "cell_low", "cell_high", "basin", "probability"],
    "kl_to_stationary": ["step", "kl_to_stationary", "total_variation_to_stationary"],
}
"""Columns of each table for a 1-D landscape (and for every table that does not depend on the dimension)."""

TABLE_COLUMNS_2D: dict[str, list[str]] = {
    **TABLE_COLUMNS,
    "histogram": ["which", "step", "bin", "w1", "w2", "left1", "right1", "left2", "right2",
                  "count", "density", "gibbs_density"],
    "trajectories": ["particle", "step", "w1", "w2"],
    "arrival": ["cell", "cell_low1", "cell_high1", "cell_low2", "cell_high2", "basin", "probability"],
}
"""Columns of each table for a 2-D landscape."""


def table_columns(name: str, dim: int = 1) -> list[str]:
    """The documented columns of table `name` for a landscape of dimension `dim` (1 or 2)."""
    return list((TABLE_COLUMNS_2D if dim == 2 else TABLE_COLUMNS)[name])
