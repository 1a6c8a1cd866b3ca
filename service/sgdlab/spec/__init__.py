"""The request schema (pydantic v2): the one source of truth for what a job or analysis request may say."""

from .landscape import LandscapeSpec, FiniteSumSpec, DataGeneratorSpec
from .schedule import ScheduleSpec
from .dynamics import DynamicsSpec
from .init import InitSpec
from .observe import ObserveSpec
from .job import ANY_JOB_REQUEST, AnyJobRequest, JobRequest, GridSpec
from .sweep import DERIVED_AXES, SweepAxis, SweepRequest

__all__ = ["LandscapeSpec", "FiniteSumSpec", "DataGeneratorSpec", "ScheduleSpec", "DynamicsSpec",
           "InitSpec", "ObserveSpec", "JobRequest", "GridSpec",
           "AnyJobRequest", "ANY_JOB_REQUEST", "SweepRequest", "SweepAxis", "DERIVED_AXES"]
