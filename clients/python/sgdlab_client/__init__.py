"""sgdlab-client: a typed Python client for the sgdlab service (sync and async), builders and a CLI."""

__version__ = "0.1.0"

from . import initial, landscapes, schedules  # noqa: E402
from .errors import (APIError, AuthenticationError, ConflictError, ConnectionError, FieldError,  # noqa: E402
                     JobFailedError, NotFoundError, Problem, RateLimitError, RequestTooLargeError, ServerError,
                     SgdlabError, TimeoutError, ValidationError)
from .models import (JobPage, JobStatus, LandscapeAnalysis, LandscapeCatalog, MarkovChainAnalysis,  # noqa: E402
                     ProgressEvent)
from .results import DensityEvolutionResult, SimulationResult, SweepResult, parse_result  # noqa: E402
from .spec import JobSpec, Observe, density_evolution, make_observe, simulation  # noqa: E402
from ._sync import Client, Job  # noqa: E402
from ._async import AsyncClient, AsyncJob  # noqa: E402

__all__ = [
    "Client", "AsyncClient", "Job", "AsyncJob", "JobSpec", "Observe", "simulation", "density_evolution",
    "make_observe", "landscapes", "schedules", "initial", "JobStatus", "JobPage", "ProgressEvent",
    "SimulationResult", "DensityEvolutionResult", "SweepResult", "parse_result", "LandscapeAnalysis",
    "LandscapeCatalog",
    "MarkovChainAnalysis", "SgdlabError", "APIError", "ValidationError", "AuthenticationError", "NotFoundError",
    "ConflictError", "RateLimitError", "ServerError", "RequestTooLargeError", "ConnectionError", "TimeoutError",
    "JobFailedError", "Problem", "FieldError",
]
