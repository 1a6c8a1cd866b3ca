"""The request schema (pydantic v2): the one source of truth for what a job or analysis request may say."""

from .landscape import LandscapeSpec, FiniteSumSpec, DataGeneratorSpec
from .schedule import ScheduleSpec
from .dynamics import DynamicsSpec
from .init import InitSpec
from .observe import ObserveSpec
from .job import JobRequest, GridSpec

__all__ = ["LandscapeSpec", "FiniteSumSpec", "DataGeneratorSpec", "ScheduleSpec", "DynamicsSpec",
           "InitSpec", "ObserveSpec", "JobRequest", "GridSpec"]
