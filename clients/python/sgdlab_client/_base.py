"""The transport-independent layer shared by Client and AsyncClient: request building, retry decisions,
response parsing and error mapping. The sync and async classes only move bytes."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence, Union
from urllib.parse import quote

import httpx

from . import __version__
from .config import ClientConfig
from .errors import ConnectionError, SgdlabError, TimeoutError, error_for_status, parse_problem
from .models import JobPage, JobStatus, LandscapeAnalysis, LandscapeCatalog, MarkovChainAnalysis, ProgressEvent
from .results import Result, parse_result
from .retry import RETRYABLE_STATUS, parse_retry_after, retry_delay
from .spec import JobSpec, Landscape, RequestModel, request_body
from .sse import ServerSentEvent

JobEvent = Union[ProgressEvent, JobStatus]


@dataclass
class Call:
    """One API call: what to send and how to read the answer."""

    method: str
    path: str
    parse: Callable[[httpx.Response], Any]
    json: Optional[Any] = None
    params: Optional[dict[str, Any]] = None
    headers: dict[str, str] = field(default_factory=dict)


def job_path(job_id: str, suffix: str = "") -> str:
    """The URL path of a job (id escaped)."""
    return f"/v1/jobs/{quote(str(job_id), safe='')}{suffix}"


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SgdlabError(f"the service answered {response.status_code} with a body that is not JSON "
                          f"({response.headers.get('content-type', 'no content type')}): {response.text[:200]!r}") from exc


def parse_as(model: Any) -> Callable[[httpx.Response], Any]:
    """A parser validating the JSON body against a pydantic model."""
    return lambda response: model.model_validate(_json(response))


def raise_for_problem(response: httpx.Response) -> None:
    """Raise the APIError subclass for an error response (the body read as a problem document)."""
    if response.status_code < 400:
        return
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = response.text
    problem = parse_problem(response.status_code, body, response.reason_phrase)
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    raise error_for_status(response.status_code, problem, response.headers, retry_after=retry_after)


def parse_event(sse: ServerSentEvent) -> Optional[JobEvent]:
    """A typed job event from an SSE event: `progress` -> ProgressEvent, `status` -> JobStatus; others None."""
    if sse.event not in ("progress", "status") or not sse.data:
        return None
    data = json.loads(sse.data)
    return ProgressEvent.model_validate(data) if sse.event == "progress" else JobStatus.model_validate(data)


class BaseClient:
    """Configuration, request construction and retry policy common to the sync and async clients."""

    def __init__(self, base_url: Optional[str] = None, api_key: Optional[str] = None, *,
                 timeout: Optional[float] = None, max_retries: Optional[int] = None,
                 backoff_base: Optional[float] = None, backoff_max: Optional[float] = None):
        self.config = ClientConfig.resolve(base_url, api_key, timeout=timeout, max_retries=max_retries,
                                           backoff_base=backoff_base, backoff_max=backoff_max)

    @property
    def base_url(self) -> str:
        """The service's base URL."""
        return self.config.base_url

    def _default_headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": f"sgdlab-client/{__version__}"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        return headers

    # ---- retry policy ---------------------------------------------------------------------------------------

    def _retry_delay(self, attempt: int, response: Optional[httpx.Response] = None,
                     exc: Optional[Exception] = None) -> Optional[float]:
        """Seconds to wait before retrying after `attempt` (0-based) failed this way; None means do not retry."""
        if attempt >= self.config.max_retries:
            return None
        if exc is not None:
            if not isinstance(exc, httpx.TransportError):
                return None
            return retry_delay(attempt, None, self.config.backoff_base, self.config.backoff_max)
        if response is not None and response.status_code in RETRYABLE_STATUS:
            after = parse_retry_after(response.headers.get("retry-after"))
            return retry_delay(attempt, after, self.config.backoff_base, self.config.backoff_max)
        return None

    def _transport_error(self, exc: Exception) -> SgdlabError:
        """The client's own error for a transport failure, with a readable message."""
        if isinstance(exc, httpx.TimeoutException):
            return TimeoutError(f"sgdlab at {self.base_url} did not answer in time ({type(exc).__name__})")
        return ConnectionError(f"cannot reach sgdlab at {self.base_url}: {exc or type(exc).__name__}")

    # ---- calls ----------------------------------------------------------------------------------------------

    def _submit_call(self, spec: Union[JobSpec, Mapping[str, Any]], idempotency_key: Optional[str]) -> Call:
        key = idempotency_key or str(uuid.uuid4())
        return Call("POST", "/v1/jobs", parse_as(JobStatus), json=request_body(spec),
                    headers={"Idempotency-Key": key})

    def _status_call(self, job_id: str) -> Call:
        return Call("GET", job_path(job_id), parse_as(JobStatus))

    def _result_call(self, job_id: str) -> Call:
        return Call("GET", job_path(job_id, "/result"), lambda r: parse_result(_json(r)))

    def _point_result_call(self, job_id: str, k: int) -> Call:
        return Call("GET", job_path(job_id, f"/points/{int(k)}/result"), lambda r: parse_result(_json(r)))

    def _cancel_call(self, job_id: str) -> Call:
        return Call("DELETE", job_path(job_id), parse_as(JobStatus))

    def _list_call(self, status: Optional[str], limit: Optional[int], cursor: Optional[str]) -> Call:
        params = {k: v for k, v in {"status": status, "limit": limit, "cursor": cursor}.items() if v is not None}
        return Call("GET", "/v1/jobs", parse_as(JobPage), params=params)

    def _landscapes_call(self) -> Call:
        return Call("GET", "/v1/landscapes", parse_as(LandscapeCatalog))

    def _analyze_landscape_call(self, landscape: Union[Landscape, Mapping[str, Any]],
                                temperature: Optional[float], lr: Optional[float], batch_size: Optional[int],
                                range: Optional[Sequence[Sequence[float]]]) -> Call:
        body: dict[str, Any] = {"landscape": request_body(landscape)}
        extra = {"temperature": temperature, "lr": lr, "batch_size": batch_size,
                 "range": [list(r) for r in range] if range is not None else None}
        body.update({k: v for k, v in extra.items() if v is not None})
        return Call("POST", "/v1/landscapes/analyze", parse_as(LandscapeAnalysis), json=body)

    def _analyze_markov_call(self, transition_matrix: Sequence[Sequence[float]], initial: Optional[Sequence[float]],
                             steps: Optional[int], states: Optional[Sequence[str]]) -> Call:
        body: dict[str, Any] = {"transition_matrix": [list(map(float, row)) for row in transition_matrix]}
        extra = {"initial": list(initial) if initial is not None else None, "steps": steps,
                 "states": list(states) if states is not None else None}
        body.update({k: v for k, v in extra.items() if v is not None})
        return Call("POST", "/v1/markov-chains/analyze", parse_as(MarkovChainAnalysis), json=body)

    def _health_call(self) -> Call:
        return Call("GET", "/healthz", lambda r: _json(r))

    def _events_headers(self) -> dict[str, str]:
        return {**self._default_headers(), "Accept": "text/event-stream", "Cache-Control": "no-cache"}


__all__ = ["BaseClient", "Call", "JobEvent", "job_path", "parse_event", "raise_for_problem", "RequestModel", "Result"]
