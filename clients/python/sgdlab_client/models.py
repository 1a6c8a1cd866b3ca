"""Typed response documents: job status, pages, results, analyses and the landscape catalog.

Every model allows extra fields so the service can add fields without breaking the client.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from .errors import Problem

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "cancelled"})


class Document(BaseModel):
    """Base of response documents: extra fields kept, field names may be given by alias."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class JobLinks(Document):
    self_: Optional[str] = Field(None, alias="self")
    result: Optional[str] = None
    events: Optional[str] = None


class JobStatus(Document):
    """The job status document."""

    id: str
    kind: str = "simulation"
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    progress: float = 0.0
    created_at: Optional[str] = None
    started_at: Optional[str] = None
    finished_at: Optional[str] = None
    error: Optional[Problem] = None
    links: JobLinks = Field(default_factory=JobLinks)

    @property
    def finished(self) -> bool:
        """True once the job is succeeded, failed or cancelled."""
        return self.status in TERMINAL_STATUSES


class JobPage(Document):
    """One page of GET /v1/jobs."""

    items: list[JobStatus]
    next_cursor: Optional[str] = None


class ProgressEvent(Document):
    """The data of an SSE `progress` event."""

    id: str
    status: str
    progress: float


# ---- landscape description -------------------------------------------------------------------------------------

class Minimum(Document):
    index: int
    location: list[float]
    loss: float
    hessian_eigenvalues: list[float] = Field(default_factory=list)


class Saddle(Document):
    location: list[float]
    loss: float
    hessian_eigenvalues: list[float] = Field(default_factory=list)


class Barrier(Document):
    from_: int = Field(alias="from")
    to: int
    height: float


class LandscapeInfo(Document):
    """Critical points of a landscape: minima (indexed), saddles and barrier heights."""

    dim: int
    minima: list[Minimum] = Field(default_factory=list)
    saddles: list[Saddle] = Field(default_factory=list)
    barriers: list[Barrier] = Field(default_factory=list)


# ---- simulation result blocks ----------------------------------------------------------------------------------

class HistogramDoc(Document):
    """H: edges per dimension, counts and density flattened row-major; `step` on snapshots."""

    edges: Optional[list[list[float]]] = None
    counts: Optional[list[float]] = None
    density: list[float]
    step: Optional[int] = None


class Histograms(Document):
    final: Optional[HistogramDoc] = None
    snapshots: list[HistogramDoc] = Field(default_factory=list)
    time_average: Optional[HistogramDoc] = None


class BasinFraction(Document):
    basin: int
    fraction: Optional[float] = None          # null when no particle survived
    stderr: Optional[float] = None


class Basins(Document):
    final: list[BasinFraction] = Field(default_factory=list)


class Arrival(Document):
    edges: list[list[float]]
    probability: list[list[float]]


class GibbsFit(Document):
    beta_theory: Optional[float] = None
    beta_fit: Optional[float] = None
    beta_fit_stderr: Optional[float] = None
    kl_divergence: Optional[float] = None
    total_variation: Optional[float] = None
    chi2_pvalue: Optional[float] = None
    basin_fractions_theory: Optional[list[float]] = None
    density_theory: Optional[list[float]] = None


class Survival(Document):
    steps: list[float]
    probability: list[float]


class ExitTimes(Document):
    from_: int = Field(alias="from")
    to: int
    particles: Optional[int] = None
    escaped: Optional[int] = None
    censored: Optional[int] = None
    mean_steps: Optional[float] = None
    ci95: Optional[list[Optional[float]]] = None
    median_steps: Optional[float] = None
    survival: Optional[Survival] = None
    kramers_steps: Optional[float] = None
    exact_steps: Optional[float] = None
    method: Optional[str] = None                        # "splitting" for a rare-event run (API.md)
    transition_probability: Optional[float] = None
    iterations: Optional[int] = None
    repetitions: Optional[int] = None
    cost_particle_steps: Optional[int] = None


class LossTrace(Document):
    steps: list[float]
    mean: list[float]
    std: Optional[list[float]] = None
    quantiles: dict[str, list[float]] = Field(default_factory=dict)


class Trajectories(Document):
    steps: list[float]
    paths: list[Any]


class Performance(Document):
    particle_steps: Optional[float] = None
    seconds: Optional[float] = None
    particle_steps_per_second: Optional[float] = None


class Stationary(Document):
    density: list[float]


# ---- analyses and catalog --------------------------------------------------------------------------------------

class TheoryExitTime(Document):
    from_: int = Field(alias="from")
    to: int
    kramers_steps: Optional[float] = None
    exact_steps: Optional[float] = None


class Theory(Document):
    temperature: float
    beta: Optional[float] = None              # null at temperature 0 (see beta_reason)
    basin_fractions: Optional[list[float]] = Field(default_factory=list)   # null: see basin_fractions_reason
    exit_times: list[TheoryExitTime] = Field(default_factory=list)


class LandscapeAnalysis(Document):
    """POST /v1/landscapes/analyze: critical points, barriers and (given a temperature) the theory."""

    landscape: LandscapeInfo
    theory: Optional[Theory] = None


class MarkovChainAnalysis(Document):
    """POST /v1/markov-chains/analyze."""

    stationary: Optional[list[float]] = None
    stationary_distributions: Optional[list[list[float]]] = None
    irreducible: bool
    aperiodic: bool
    period: Optional[int] = None
    communication_classes: list[list[Any]] = Field(default_factory=list)
    evolution: list[list[float]] = Field(default_factory=list)
    kl_to_stationary: list[Optional[float]] = Field(default_factory=list)
    total_variation: list[Optional[float]] = Field(default_factory=list)
    spectral_gap: Optional[float] = None
    relaxation_time: Optional[float] = None
    mean_first_passage: Optional[list[list[Optional[float]]]] = None


class CatalogParam(Document):
    name: str
    default: Any = None
    description: str = ""


class CatalogEntry(Document):
    name: str
    dim: Union[int, str] = Field(description="the dimension, or a word such as 'any' for dimension-free entries")
    params: list[CatalogParam] = Field(default_factory=list)
    formula: str = ""
    default_range: list[list[float]] = Field(default_factory=list)


class LandscapeCatalog(Document):
    """GET /v1/landscapes."""

    landscapes: list[CatalogEntry]

    def names(self) -> list[str]:
        """Catalog names."""
        return [entry.name for entry in self.landscapes]

    def __getitem__(self, name: str) -> CatalogEntry:
        for entry in self.landscapes:
            if entry.name == name:
                return entry
        raise KeyError(name)


JsonValue = Union[dict[str, Any], list[Any], str, float, int, bool, None]
