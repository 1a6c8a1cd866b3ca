"""Response models (pydantic) so /openapi.json describes every answer; requests live in sgdlab.spec."""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from ..spec.base import StrictModel
from ..spec.landscape import LandscapeSpec
from ..spec.observe import BasinPairSpec

JobStatusName = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class Links(BaseModel):
    self: str
    result: str
    events: str


class ProblemDocument(BaseModel):
    """RFC 9457 problem document."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str = ""
    errors: Optional[list[dict[str, Any]]] = None


class JobSummary(BaseModel):
    """What a job list shows to tell runs apart (from the job's spec; null where the spec has no such field)."""

    landscape: Optional[str] = None
    method: Optional[str] = None
    lr: Optional[Union[float, str]] = Field(None, description="a constant lr, or a schedule's name and parameters")
    batch_size: Optional[int] = None
    particles: Optional[int] = None
    steps: Optional[int] = None
    axes: Optional[list[str]] = Field(None, description="a sweep's axis paths")


class JobStatus(BaseModel):
    """The job status document (API.md)."""

    id: str
    kind: Literal["simulation", "density_evolution", "sweep"]
    status: JobStatusName
    progress: float = Field(..., ge=0, le=1)
    created_at: str
    started_at: Optional[str]
    finished_at: Optional[str]
    error: Optional[dict[str, Any]]
    links: Links
    summary: Optional[JobSummary] = None


class JobList(BaseModel):
    """A page of jobs, newest first; pass `next_cursor` as `cursor` for the next page."""

    items: list[JobStatus]
    next_cursor: Optional[str]


class JobResult(BaseModel):
    """A finished job's result document (see API.md for its blocks)."""

    model_config = ConfigDict(extra="allow")
    job_id: Optional[str]
    kind: str = "simulation"
    seed: int
    spec: dict[str, Any]


class LandscapeParam(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    default: Any = None
    description: str = ""


class CatalogEntry(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    dim: Any
    params: list[LandscapeParam]
    formula: str
    default_range: Any


class Catalog(BaseModel):
    landscapes: list[CatalogEntry]


class CommitterSpec(BasinPairSpec):
    """q(w) = P(reach minimum `to` before minimum `from` | start at w), on a grid (1-D and 2-D; needs T)."""

    grid_points: Optional[int] = Field(None, ge=8, description="nodes per axis (default 2001 in 1-D, 101 in 2-D)")


class AnalyzeRequest(StrictModel):
    """POST /v1/landscapes/analyze: a landscape, and optionally a temperature (or lr and batch_size) for theory."""

    landscape: LandscapeSpec
    temperature: Optional[float] = Field(None, gt=0, description="T; or give lr and batch_size (T = lr/(2B))")
    lr: Optional[float] = Field(None, gt=0)
    batch_size: Optional[int] = Field(None, ge=1)
    range: Optional[list[tuple[float, float]]] = Field(None, description="analysis and quadrature box")
    committor: Optional[CommitterSpec] = Field(None, description="also the committor between two minima")


class AnalyzeResponse(BaseModel):
    model_config = ConfigDict(extra="allow")
    landscape: dict[str, Any]
    theory: Optional[dict[str, Any]]


class MarkovRequest(StrictModel):
    """POST /v1/markov-chains/analyze."""

    transition_matrix: list[list[float]] = Field(..., min_length=1)
    initial: Optional[list[float]] = None
    steps: int = Field(50, ge=0)
    states: Optional[list[str]] = None


class MarkovResponse(BaseModel):
    model_config = ConfigDict(extra="allow")
    stationary: Optional[list[float]]
    stationary_distributions: list[list[float]]
    irreducible: bool
    aperiodic: bool
    period: Optional[int]
    communication_classes: list[list[int]]
    evolution: list[list[float]]
    kl_to_stationary: Optional[list[Optional[float]]]
    total_variation: Optional[list[Optional[float]]]
    spectral_gap: Optional[float]
    relaxation_time: Optional[float]
    mean_first_passage: Optional[list[list[Optional[float]]]]
