"""One exception hierarchy for everything the client raises; API errors carry the RFC 9457 problem document."""

from __future__ import annotations

import builtins
from typing import Any, Mapping, Optional

from pydantic import BaseModel, ConfigDict, Field


class FieldError(BaseModel):
    """One entry of a problem document's `errors` list: the dotted field path and what is wrong with it."""

    model_config = ConfigDict(extra="allow")

    field: Optional[str] = None
    message: str = ""


class Problem(BaseModel):
    """An RFC 9457 problem document (`application/problem+json`)."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str = ""
    status: Optional[int] = None
    detail: Optional[str] = None
    errors: list[FieldError] = Field(default_factory=list)


class SgdlabError(Exception):
    """Base class of every error the client raises on purpose."""


class ConnectionError(SgdlabError, builtins.ConnectionError):
    """The service could not be reached (refused, DNS, reset), after the allowed retries."""


class TimeoutError(SgdlabError, builtins.TimeoutError):
    """A request, or a wait for a job, took longer than allowed."""


class APIError(SgdlabError):
    """The service answered with an error status; `.problem` is its problem document, `.status` the HTTP status."""

    def __init__(self, status: int, problem: Problem, headers: Optional[Mapping[str, str]] = None):
        self.status = status
        self.problem = problem
        self.headers = dict(headers or {})
        super().__init__(self._message())

    @property
    def title(self) -> str:
        """The problem's short title."""
        return self.problem.title

    @property
    def detail(self) -> Optional[str]:
        """The problem's human-readable detail."""
        return self.problem.detail

    @property
    def errors(self) -> list[FieldError]:
        """Field errors (`field` is a dotted path such as `dynamics.lr`)."""
        return self.problem.errors

    def _message(self) -> str:
        head = f"{self.status} {self.problem.title or 'error'}"
        if self.problem.detail:
            head += f": {self.problem.detail}"
        for err in self.problem.errors:
            head += f"\n  {err.field or '(request)'}: {err.message}"
        return head


class ValidationError(APIError):
    """422: the request was refused; `.errors` names each offending field path."""


class RequestTooLargeError(APIError):
    """413: the request body exceeds the service's size limit."""


class AuthenticationError(APIError):
    """401 or 403: missing or wrong API key."""


class NotFoundError(APIError):
    """404: no such job (or it belongs to another API key), or no such resource."""


class ConflictError(APIError):
    """409: the job is not in a state that allows this (result of an unfinished job, cancel of a finished one)."""


class RateLimitError(APIError):
    """429: too many queued jobs; `.retry_after` is the server's advice in seconds (or None)."""

    def __init__(self, status: int, problem: Problem, headers: Optional[Mapping[str, str]] = None,
                 retry_after: Optional[float] = None):
        self.retry_after = retry_after
        super().__init__(status, problem, headers)


class ServerError(APIError):
    """5xx: the service failed or is unavailable."""


class JobFailedError(SgdlabError):
    """A job ended with status `failed`; `.job` is its final status document and `.problem` its error."""

    def __init__(self, job: Any):
        self.job = job
        self.problem: Optional[Problem] = job.error
        what = (self.problem.detail or self.problem.title) if self.problem else "no detail"
        super().__init__(f"job {job.id} failed: {what}")


_BY_STATUS: dict[int, type[APIError]] = {
    401: AuthenticationError, 403: AuthenticationError, 404: NotFoundError, 409: ConflictError,
    413: RequestTooLargeError, 422: ValidationError, 400: ValidationError, 429: RateLimitError,
}


def parse_problem(status: int, body: Any, reason: str = "") -> Problem:
    """A Problem from a decoded error body; non-problem bodies become a Problem whose detail is the text."""
    if isinstance(body, Mapping):
        try:
            problem = Problem.model_validate(body)
        except Exception:  # a body that is JSON but not a problem: keep what can be shown
            problem = Problem(detail=str(body)[:500])
        if problem.status is None:
            problem.status = status
        if not problem.title:
            problem.title = reason or f"HTTP {status}"
        if not problem.errors and isinstance(body.get("detail"), list):  # FastAPI-style fallback
            problem.errors = [FieldError(field=".".join(str(p) for p in e.get("loc", [])), message=e.get("msg", ""))
                              for e in body["detail"] if isinstance(e, Mapping)]
            problem.detail = None
        return problem
    text = body if isinstance(body, str) else ""
    return Problem(title=reason or f"HTTP {status}", status=status, detail=text[:500] or None)


def error_for_status(status: int, problem: Problem, headers: Optional[Mapping[str, str]] = None,
                     retry_after: Optional[float] = None) -> APIError:
    """The APIError subclass for an HTTP status, carrying the problem document."""
    if status == 429:
        return RateLimitError(status, problem, headers, retry_after=retry_after)
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else APIError)
    return cls(status, problem, headers)
