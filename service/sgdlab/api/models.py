"""Response models (pydantic) so /openapi.json describes every answer; requests live in sgdlab.spec."""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from ..spec.base import Pair, StrictModel
from ..spec.dynamics import DynamicsSpec
from ..spec.landscape import LandscapeSpec
from ..spec.observe import BasinPairSpec
from .result_models import Committor, LandscapeBlock, ResultBlocks, Theory

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
    """The job status document (docs/API.md)."""

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
    warnings: Optional[list[dict[str, Any]]] = Field(None, description="what the theory "
                                                     "will not cover, known at submission (unstable_lr, large_lr, "
                                                     "schedule, no_minimum): in the 202 and on every status read")


class JobList(BaseModel):
    """A page of jobs, newest first; pass `next_cursor` as `cursor` for the next page."""

    items: list[JobStatus]
    next_cursor: Optional[str]


class JobResult(ResultBlocks):
    """A finished job's result document (docs/API.md "Result document"; blocks in result_models.py)."""

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
    range: Optional[list[Pair]] = Field(None, description="analysis and quadrature box")
    committor: Optional[CommitterSpec] = Field(None, description="also the committor between two minima")
    dynamics: Optional[DynamicsSpec] = Field(None, description="as in a job, in place of temperature/lr/batch_size: "
                                             "the theory of that dynamics' own noise (a constant lr)")


class AnalyzeResponse(BaseModel):
    """POST /v1/landscapes/analyze: the landscape block, its theory at the given temperature, the committor."""

    model_config = ConfigDict(extra="allow")
    landscape: LandscapeBlock
    theory: Optional[Theory] = Field(..., description="null without a temperature (or lr)")
    committor: Optional[Committor] = Field(None, description="when asked with `committor`")


class SparseMatrix(StrictModel):
    """A matrix as COO triplets: entry (rows[k], cols[k]) is values[k]; absent entries are 0, none repeated."""

    n: int = Field(..., ge=1, description="number of states")
    rows: list[int]
    cols: list[int]
    values: list[float]


class SparseTransitionMatrix(StrictModel):
    """{"sparse": {...}}: valid wherever a dense transition matrix is, and up to max_markov_states states."""

    sparse: SparseMatrix


class MarkovRequest(StrictModel):
    """POST /v1/markov-chains/analyze."""

    transition_matrix: Union[list[list[float]], SparseTransitionMatrix] = Field(
        ..., description="a list of rows (up to max_markov_dense_states) or the sparse format")
    initial: Optional[list[float]] = None
    steps: int = Field(50, ge=0)
    states: Optional[list[str]] = None
    mean_first_passage: Union[Literal["auto"], bool, list[Union[int, str]]] = Field(
        "auto", description='"auto" (the matrix when states^2 <= max_mfpt_values, else null with a note), '
                            "true (the matrix, 422 above the limit), false, or target states (indices or names) "
                            "for mean_first_passage_columns")

    def transition_matrix_input(self) -> Any:
        """The transition matrix as analyze_markov_chain takes it (rows, or {"sparse": {...}} without copies)."""
        tm = self.transition_matrix
        if isinstance(tm, SparseTransitionMatrix):
            s = tm.sparse
            return {"sparse": {"n": s.n, "rows": s.rows, "cols": s.cols, "values": s.values}}
        return tm


class MfptColumns(BaseModel):
    """Mean first passage times into chosen targets: times[c][i] = expected steps from i to targets[c]."""

    targets: list[int]
    times: list[list[Optional[float]]]


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
    mean_first_passage_columns: Optional[MfptColumns] = None
    mean_first_passage_note: Optional[str] = None
    spectral_gap_note: Optional[str] = Field(None, description="why spectral_gap is null, when it is")
    cyclic_classes: list[list[list[int]]] = Field(
        default_factory=list, description="per recurrent class, its cyclic classes (one when aperiodic)")
