"""RFC 9457 problem documents: every error the API returns is made here, by one set of handlers."""

from __future__ import annotations

import logging
import re
from typing import Any, Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..core.errors import LimitExceeded, SpecError
from ..jobs.store import IdempotencyConflict, StoreClosed
from ..problem_documents import PROBLEM_BASE

log = logging.getLogger("sgdlab.api")
PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """An HTTP error to be answered with a problem document."""

    def __init__(self, status: int, title: str, detail: str = "", kind: str | None = None,
                 errors: Optional[list[dict]] = None, headers: Optional[dict[str, str]] = None, **extra: Any):
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.kind = kind or title.lower().replace(" ", "-")
        self.errors, self.headers, self.extra = errors, headers or {}, extra

    def document(self, instance: str | None = None) -> dict:
        doc = {"type": PROBLEM_BASE + self.kind, "title": self.title, "status": self.status, "detail": self.detail}
        if instance:
            doc["instance"] = instance
        if self.errors is not None:
            doc["errors"] = self.errors
        doc.update(self.extra)
        return doc


def not_found(what: str) -> Problem:
    return Problem(404, "Not Found", f"{what} does not exist", "not-found")


def problem_response(p: Problem, request: Request | None = None) -> JSONResponse:
    """The JSON response of a Problem."""
    return JSONResponse(p.document(request.url.path if request else None), status_code=p.status,
                        media_type=PROBLEM_JSON, headers=p.headers)


_UNION_TAGS = {"float", "int", "str", "bool", "dict", "list"}


def _is_union_tag(x) -> bool:
    """pydantic marks union branches in error locations (`constrained-float`, `ScheduleSpec`, ...)."""
    return isinstance(x, str) and (x in _UNION_TAGS or not re.fullmatch(r"[a-z_][a-z0-9_]*", x))


def header_name(name: str) -> str:
    """The canonical spelling of a header name: idempotency-key -> Idempotency-Key."""
    return "-".join(part.capitalize() for part in str(name).split("-"))


def _field_path(loc: tuple) -> str:
    if len(loc) >= 2 and loc[0] == "header":  # a header names itself, as it is sent
        return header_name(loc[1])
    if loc and loc[0] in ("query", "path"):
        loc = loc[1:]
    parts = [str(x) for x in loc if x != "body" and not _is_union_tag(x)]
    out = ""
    for p in parts:
        if p.isdigit():
            out += f"[{p}]"
        else:
            out += ("." if out else "") + p
    return out or "body"


_SHAPE_ERRORS = {"model_type", "model_attributes_type", "dict_type"}
_NUMBER_ERRORS = {"float_type", "float_parsing", "int_type", "int_parsing"}


def _drop_other_union_branches(errors: list[dict]) -> list[dict]:
    """For a field like `lr: number | SCHEDULE`, keep only the errors of the branch the input looks like:
    an object's "not a number" and a number's "not an object" are dropped when the field has other errors."""
    paths = [_field_path(tuple(e.get("loc", ()))) for e in errors]

    def other_errors_under(i: int) -> bool:
        return any(j != i and (p == paths[i] or p.startswith(paths[i] + ".") or p.startswith(paths[i] + "["))
                   for j, p in enumerate(paths))

    keep = []
    for i, e in enumerate(errors):
        wrong_branch = (e.get("type") in _NUMBER_ERRORS and isinstance(e.get("input"), dict)) or \
                       (e.get("type") in _SHAPE_ERRORS and not isinstance(e.get("input"), dict))
        if not (wrong_branch and other_errors_under(i)):
            keep.append(e)
    return keep


def validation_problem(errors: list[dict]) -> Problem:
    """A 422 from pydantic errors, one entry per field path."""
    items = []
    for e in _drop_other_union_branches(errors):
        loc = tuple(e.get("loc", ()))
        msg = e.get("msg", "invalid")
        field = _field_path(loc)
        if e.get("type") == "json_invalid":
            msg = "the body is not valid JSON: " + str(e.get("ctx", {}).get("error", msg))
            field = "body"
        items.append({"field": field, "message": msg, "type": e.get("type")})
    detail = "; ".join(f"{i['field']}: {i['message']}" for i in items[:5])
    return Problem(422, "Validation Error", detail, "validation", errors=items)


BODY_PARSE_ERROR = "There was an error parsing the body"
"""FastAPI's 400 detail when the JSON decoder fails on something other than syntax (deep nesting, huge numbers)."""


def unparsable_body_problem() -> Problem:
    """A 422 for a body the JSON decoder cannot hold: nesting too deep, or an integer with too many digits."""
    msg = ("the body could not be decoded: JSON nested too deep, or an integer with more than 4300 digits")
    return Problem(422, "Validation Error", f"body: {msg}", "validation",
                   errors=[{"field": "body", "message": msg, "type": "json_invalid"}])


def spec_problem(e: SpecError) -> Problem:
    """A 422 from a SpecError (or LimitExceeded) raised by the core."""
    field = e.field or "body"
    extra = {}
    if isinstance(e, LimitExceeded):
        extra = {"limit": e.limit, "limit_value": e.value}
    return Problem(422, "Limit Exceeded" if isinstance(e, LimitExceeded) else "Validation Error",
                   f"{field}: {e.message}", "limit-exceeded" if isinstance(e, LimitExceeded) else "validation",
                   errors=[{"field": field, "message": e.message}], **extra)


def install_problem_handlers(app: FastAPI) -> None:
    """Map every error to a problem document; nothing escapes as a stack trace."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem):
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        return problem_response(validation_problem(list(exc.errors())), request)

    @app.exception_handler(SpecError)
    async def _spec(request: Request, exc: SpecError):
        return problem_response(spec_problem(exc), request)

    @app.exception_handler(IdempotencyConflict)
    async def _idem(request: Request, exc: IdempotencyConflict):
        return problem_response(Problem(422, "Idempotency Key Reused",
                                        "this Idempotency-Key was used before with another request body",
                                        "idempotency-key-reused",
                                        errors=[{"field": "Idempotency-Key", "message": "reused with another body"}]),
                                request)

    @app.exception_handler(StoreClosed)
    async def _closed(request: Request, exc: StoreClosed):
        return problem_response(Problem(503, "Service Unavailable", "the server is shutting down; retry the request",
                                        "shutting-down", headers={"Retry-After": "5"}), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 400 and exc.detail == BODY_PARSE_ERROR:
            return problem_response(unparsable_body_problem(), request)
        titles = {404: "Not Found", 405: "Method Not Allowed", 401: "Unauthorized"}
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return problem_response(Problem(exc.status_code, titles.get(exc.status_code, "HTTP Error"), detail,
                                        headers=dict(exc.headers or {})), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(Problem(500, "Internal Server Error", "an unexpected error occurred; it was logged",
                                        "internal"), request)
