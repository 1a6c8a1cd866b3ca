"""The job request of POST /v1/jobs."""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import Discriminator, Field, Tag, TypeAdapter

from .base import Pair, StrictModel
from .dynamics import DynamicsSpec
from .init import InitSpec
from .landscape import LandscapeSpec
from .observe import ObserveSpec


class GridSpec(StrictModel):
    """density_evolution: the grid the chain is discretised on."""

    points: int = Field(400, ge=8, description="grid points per axis")
    range: Optional[list[Pair]] = Field(None, description="[[lo, hi], ...]; default the landscape's")


class JobRequest(StrictModel):
    """A simulation or density-evolution job."""

    kind: Literal["simulation", "density_evolution"] = "simulation"
    landscape: LandscapeSpec
    dynamics: DynamicsSpec = Field(default_factory=DynamicsSpec)
    init: Optional[InitSpec] = Field(None, description="default: uniform over the landscape's range")
    particles: int = Field(10000, ge=1)
    steps: int = Field(1000, ge=0)
    seed: int = Field(42, ge=0, le=2**63 - 1)
    observe: ObserveSpec = Field(default_factory=ObserveSpec)
    grid: Optional[GridSpec] = Field(None, description="density_evolution only")


def _kind_tag(value) -> str:
    """The union branch a request body belongs to: a sweep, or a single job."""
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return "Sweep" if kind == "sweep" else "Job"


from .sweep import SweepRequest  # noqa: E402  (sweep.py builds on JobRequest above)

AnyJobRequest = Annotated[Union[Annotated[JobRequest, Tag("Job")], Annotated[SweepRequest, Tag("Sweep")]],
                          Discriminator(_kind_tag)]
"""The body of POST /v1/jobs: a simulation or density-evolution job, or a sweep of them."""
ANY_JOB_REQUEST = TypeAdapter(AnyJobRequest)
