"""The observe block: what to record while particles move."""

from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import Field

from .base import Pair, StrictModel


class TimeAverageSpec(StrictModel):
    burn_in: int = Field(0, ge=0)
    every: int = Field(10, ge=1)


class HistogramSpec(StrictModel):
    bins: Union[int, list[int]] = Field(200, description="bins per axis, or one count per axis")
    range: Optional[list[Pair]] = Field(None, description="[[lo, hi], ...] per axis")
    snapshots: list[int] = Field(default_factory=list, description="steps at which to record a histogram")
    time_average: Optional[TimeAverageSpec] = None


class BasinPairSpec(StrictModel):
    """Two minima by index (as in result.landscape.minima): `from` and `to`."""

    from_: int = Field(0, ge=0, alias="from")
    to: int = Field(1, ge=0)

    model_config = {"populate_by_name": True, "extra": "forbid"}


class CoordinateFormulaSpec(StrictModel):
    """A reaction coordinate given by a formula in the landscape's variables (the landscapes' allowlist)."""

    formula: str = Field(..., description="e.g. 'x - y'; must grow from minimum `from` to minimum `to`")


class ExitTimesSpec(BasinPairSpec):
    radius: Optional[float] = Field(None, gt=0, description="target radius around minimum `to`")
    method: Literal["direct", "splitting", "auto"] = Field(
        "direct", description="direct simulation, adaptive multilevel splitting, or auto (splitting when "
                              "theory predicts that under 1% of particles escape within `steps`)")
    coordinate: Optional[Union[Literal["committor", "distance"], CoordinateFormulaSpec]] = Field(
        None, description="splitting's reaction coordinate; default the committor in 1-D/2-D, else distance")
    repetitions: int = Field(8, ge=2, description="splitting: independent repetitions (the interval's spread)")
    level_fraction: float = Field(0.5, gt=0, lt=1, description="splitting: fraction of replicas killed per "
                                                                "iteration (at least one)")


class ArrivalSpec(StrictModel):
    bins: Union[int, list[int]] = Field(40, description="cells per axis of the initial positions (first 2 coords)")
    range: Optional[list[Pair]] = Field(
        None, description="cell box; default the uniform init box, else the landscape's range")


class LossTraceSpec(StrictModel):
    every: int = Field(100, ge=1)


class TrajectoriesSpec(StrictModel):
    count: int = Field(8, ge=1)
    every: int = Field(10, ge=1)


class ObserveSpec(StrictModel):
    """Each block optional; by default a final histogram, basins and the Gibbs comparison."""

    histogram: Optional[HistogramSpec] = Field(default_factory=HistogramSpec)
    basins: bool = True
    gibbs: bool = True
    exit_times: Optional[ExitTimesSpec] = None
    arrival: Optional[ArrivalSpec] = None
    loss_trace: Optional[LossTraceSpec] = None
    trajectories: Optional[TrajectoriesSpec] = None
