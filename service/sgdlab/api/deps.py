"""Request dependencies: the app state (settings, store, dispatcher) and the caller's identity."""

from __future__ import annotations

import hmac

from fastapi import Request

from ..jobs.store import JobStatusRecord
from .problems import Problem, not_found

ANONYMOUS = "-"


def state(request: Request):
    """The app's shared state: settings, store, dispatcher, metrics."""
    return request.app.state.sgdlab


def principal(request: Request) -> str:
    """The caller's API key (the owner of the jobs it makes); ANONYMOUS when auth is off. 401 on a bad key."""
    keys = state(request).settings.key_set
    if not keys:
        return ANONYMOUS
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "Unauthorized", "send Authorization: Bearer <key>", "unauthorized",
                      headers={"WWW-Authenticate": "Bearer"})
    token = token.strip()
    # compare bytes: compare_digest refuses str with non-ASCII characters (a header may carry any latin-1 byte)
    if not any(hmac.compare_digest(token.encode("utf-8"), k.encode("utf-8")) for k in keys):
        raise Problem(401, "Unauthorized", "unknown API key", "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    return token


def owned_job(request: Request, job_id: str, owner: str) -> JobStatusRecord:
    """The caller's job or a 404 (another key's job is not found, never forbidden)."""
    rec = state(request).store.get_status(job_id, owner)
    if rec is None:
        raise not_found(f"job {job_id}")
    return rec


def finished_job(request: Request, job_id: str, owner: str) -> JobStatusRecord:
    """The caller's succeeded job; 404 when unknown, 409 while it is not finished or did not succeed."""
    rec = owned_job(request, job_id, owner)
    if rec.status != "succeeded":
        raise Problem(409, "Conflict", f"job {job_id} is {rec.status}; results exist once it has succeeded",
                      "job-not-finished", job_status=rec.status, job_error=rec.error)
    return rec

