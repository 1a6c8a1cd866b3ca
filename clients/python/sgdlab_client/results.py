"""Result documents of finished jobs, with NumPy, pandas and matplotlib conveniences."""

from __future__ import annotations

from typing import Any, Optional, Union

from pydantic import Field

from .arrays import HistogramArrays, histogram_arrays
from .models import (Arrival, Basins, Document, ExitTimes, GibbsFit, HistogramDoc, Histograms, LandscapeInfo,
                     LossTrace, Performance, Stationary, Trajectories)


class _ResultBase(Document):
    job_id: str
    seed: Optional[int] = None
    spec: dict[str, Any] = Field(default_factory=dict)
    histograms: Optional[Histograms] = None
    gibbs: Optional[GibbsFit] = None

    def _grid_edges(self) -> Optional[list[list[float]]]:
        return None

    def histogram_doc(self, which: Union[str, int] = "final") -> HistogramDoc:
        """The histogram document `final`, `time_average`, or the snapshot at step `which` (an int)."""
        hs = self.histograms
        if hs is None:
            raise KeyError("this result has no histograms")
        if isinstance(which, int) and not isinstance(which, bool):
            for snap in hs.snapshots:
                if snap.step == which:
                    return snap
            raise KeyError(f"no snapshot at step {which}; steps: {[s.step for s in hs.snapshots]}")
        doc = getattr(hs, which, None) if which in ("final", "time_average") else None
        if doc is None:
            raise KeyError(f"no histogram {which!r}; ask for 'final', 'time_average' or a snapshot step")
        return doc

    def histogram(self, which: Union[str, int] = "final") -> HistogramArrays:
        """A histogram as NumPy arrays (`edges`, `density`, `counts`, `centers`): 'final', 'time_average' or a step."""
        return histogram_arrays(self.histogram_doc(which), edges=self._grid_edges())

    def to_pandas(self, table: str) -> Any:
        """A tidy DataFrame with the service's table names and columns (as GET /v1/jobs/{id}/tables/{name}):
        histogram, basins, survival, loss_trace, trajectories, arrival, kl_to_stationary."""
        from .tables import to_dataframe
        return to_dataframe(self, table)

    def plot(self, kinds: Optional[list[str]] = None) -> Any:
        """A matplotlib Figure (histogram vs Gibbs, survival vs exponential fit, basin fractions); needs [plot]."""
        from .plotting import plot_result
        return plot_result(self, kinds)


class SimulationResult(_ResultBase):
    """The result document of a `simulation` job (docs/API.md "Result document")."""

    kind: str = "simulation"
    landscape: Optional[LandscapeInfo] = None
    temperature: Optional[float] = None
    beta: Optional[float] = None
    basins: Optional[Basins] = None
    arrival: Optional[Arrival] = None
    exit_times: Optional[ExitTimes] = None
    loss_trace: Optional[LossTrace] = None
    trajectories: Optional[Trajectories] = None
    performance: Optional[Performance] = None

    def basin_fractions(self) -> dict[int, Optional[float]]:
        """Final fraction of particles per basin index (None when no particle survived)."""
        return {b.basin: b.fraction for b in (self.basins.final if self.basins else [])}


class DensityEvolutionResult(_ResultBase):
    """The result document of a `density_evolution` job."""

    kind: str = "density_evolution"
    grid: Any = None
    stationary: Optional[Stationary] = None
    kl_to_stationary: list[float] = Field(default_factory=list)
    total_variation_to_stationary: list[float] = Field(default_factory=list)
    landscape: Optional[LandscapeInfo] = None
    basins: Optional[Basins] = None
    exit_times: Optional[ExitTimes] = None
    loss_trace: Optional[LossTrace] = None
    trajectories: Optional[Trajectories] = None

    def _grid_edges(self) -> Optional[list[list[float]]]:
        grid = self.grid
        if isinstance(grid, dict) and isinstance(grid.get("edges"), list):
            return grid["edges"]
        if self.histograms is not None and self.histograms.final is not None:
            return self.histograms.final.edges
        return None


class SweepResult(Document):
    """The result document of a `sweep` job: one summary per point, and the analyses across points."""

    job_id: str
    kind: str = "sweep"
    seed: Optional[int] = None
    spec: dict[str, Any] = Field(default_factory=dict)
    axes: list[str] = Field(default_factory=list)
    points: list[dict[str, Any]] = Field(default_factory=list)
    analyses: dict[str, Any] = Field(default_factory=dict)

    def to_pandas(self, table: str = "points") -> Any:
        """The points table as a DataFrame, one row per point (as GET /v1/jobs/{id}/tables/points): index, seed,
        one column per axis path, then the summary fields (lists spread over numbered columns)."""
        from .tables import to_dataframe
        return to_dataframe(self, table)


Result = Union[SimulationResult, DensityEvolutionResult, SweepResult]


def parse_result(doc: dict[str, Any]) -> Result:
    """A typed result from its JSON: density evolution when the spec says so (or the document has `stationary`)."""
    kind = (doc.get("spec") or {}).get("kind") or doc.get("kind")
    if kind == "sweep":
        return SweepResult.model_validate(doc)
    if kind == "density_evolution" or (kind is None and "stationary" in doc):
        return DensityEvolutionResult.model_validate(doc)
    return SimulationResult.model_validate(doc)
