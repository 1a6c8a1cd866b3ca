"""/v1/jobs: queue, list, status, result, cancel, and the Server-Sent Events progress stream."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Optional, Union

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from ...core.errors import LimitExceeded
from ...jobs.request_pool import RequestWorkTimeout
from ...jobs.store import (ACTIVE, IdempotencyConflict, JobStatusRecord, StoreClosed, iter_point_result_bytes,
                           iter_result_bytes, spec_hash)
from ...jobs.summary import spec_summary
from ...jobs.sweep_work import sweep_points_total, sweep_progress
from ...jobs.work import formula_field, submission_seconds, validate_job
from ...spec import AnyJobRequest
from ...spec.base import normalised_spec
from ..deps import finished_job, owned_job, principal, state
from ..heavy_work import run_heavy
from ..models import JobList, JobResult, JobStatus, JobStatusName
from ..openapi_doc import problem_responses
from ..result_models import SweepResult
from ..problems import Problem

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])
MAX_SEQ = 2**63 - 1  # SQLite's largest INTEGER: a larger cursor is not one this service issued
PROGRESS_DIGITS = 4  # SSE progress values are rounded to this many decimals


def status_document(rec: JobStatusRecord) -> dict:
    """The job status document of docs/API.md."""
    base = f"/v1/jobs/{rec.id}"
    return {"id": rec.id, "kind": rec.kind, "status": rec.status, "progress": float(rec.progress),
            "created_at": rec.created_at, "started_at": rec.started_at, "finished_at": rec.finished_at,
            "error": rec.error, "links": {"self": base, "result": base + "/result", "events": base + "/events"},
            "summary": spec_summary(rec.kind, rec.spec), "warnings": rec.warnings}


@router.post("", status_code=202, response_model=JobStatus,
             responses={**problem_responses(429), 200: {"model": JobStatus, "description": "Idempotency-Key replay"}})
async def submit_job(body: AnyJobRequest, request: Request, response: Response, owner: str = Depends(principal),
                     idempotency_key: Optional[str] = Header(None, max_length=200)):
    """Queue a simulation, density-evolution or sweep job (202 + Location); an Idempotency-Key replay answers 200."""
    st = state(request)
    limits = st.settings.limits
    spec = normalised_spec(body)
    replay = await asyncio.to_thread(_admit, st, owner, spec, idempotency_key)
    warnings: list[dict] = []      # stored with the job: GET answers them too
    if replay is None:
        try:    # the landscape's symbolic work (and cheap analyses) in a request-pool process
            warnings = await run_heavy(validate_job, body, limits, timeout=submission_seconds(limits),
                                       key=(spec_hash(spec), limits.model_dump_json()))
        except RequestWorkTimeout:
            landscape = body.base.landscape if body.kind == "sweep" else body.landscape
            raise LimitExceeded(formula_field(landscape), "symbolic_seconds", limits.symbolic_seconds) \
                from None
        rec, created = await asyncio.to_thread(st.store.create, owner, body.kind, spec, idempotency_key, warnings)
    else:
        rec, created = replay, False
    response.headers["Location"] = f"/v1/jobs/{rec.id}"
    if created:
        st.dispatcher.notify()
    else:
        response.status_code = 200
    return status_document(rec)


def _admit(st, owner: str, spec: dict, idempotency_key: str | None) -> JobStatusRecord | None:
    """The job an Idempotency-Key replays (None for a new one); 409 on a different spec, 429 when full."""
    limits = st.settings.limits
    if idempotency_key is not None:
        rec = st.store.get_by_idempotency(owner, idempotency_key)
        if rec is not None:
            if rec.spec_hash != spec_hash(spec):
                raise IdempotencyConflict(idempotency_key)
            return rec
    if st.store.count(["queued"]) >= limits.max_queue:
        raise Problem(429, "Too Many Requests", f"the queue is full (max_queue={limits.max_queue})", "queue-full",
                      headers={"Retry-After": "5"}, limit="max_queue", limit_value=limits.max_queue)
    if st.store.count(ACTIVE, owner) >= limits.max_jobs_per_key:
        raise Problem(429, "Too Many Requests", f"this key has max_jobs_per_key={limits.max_jobs_per_key} jobs "
                      "queued or running", "too-many-jobs", headers={"Retry-After": "5"},
                      limit="max_jobs_per_key", limit_value=limits.max_jobs_per_key)
    return None


@router.get("", response_model=JobList, responses=problem_responses(422))
def list_jobs(request: Request, owner: str = Depends(principal), status: Optional[JobStatusName] = None,
              limit: int = Query(50, ge=1, le=200), cursor: Optional[str] = Query(None, max_length=40)):
    """The caller's jobs, newest first, a page at a time."""
    before = None
    if cursor is not None:
        if not re.fullmatch(r"[0-9]{1,19}", cursor) or int(cursor) > MAX_SEQ:
            raise Problem(422, "Validation Error", "cursor: not a cursor this service issued", "validation",
                          errors=[{"field": "cursor", "message": "invalid cursor"}])
        before = int(cursor)
    recs = state(request).store.list(owner, status, limit + 1, before)
    page = recs[:limit]
    nxt = str(page[-1].seq) if len(recs) > limit else None
    return {"items": [status_document(r) for r in page], "next_cursor": nxt}


@router.get("/{job_id}", response_model=JobStatus, responses=problem_responses(404))
def get_job(job_id: str, request: Request, owner: str = Depends(principal)):
    """The job status document."""
    return status_document(owned_job(request, job_id, owner))


@router.get("/{job_id}/result", response_model=Union[JobResult, SweepResult], responses=problem_responses(404, 409))
def get_result(job_id: str, request: Request, owner: str = Depends(principal)):
    """The result document of a succeeded job (409 while it is queued or running, or when it failed), streamed from
    the store in chunks."""
    finished_job(request, job_id, owner)
    chunks = iter_result_bytes(state(request).settings.db_path, job_id)
    return StreamingResponse(chunks, media_type="application/json")


@router.get("/{job_id}/points/{k}/result", response_model=JobResult, responses=problem_responses(404))
def get_point_result(job_id: str, k: int, request: Request, owner: str = Depends(principal)):
    """The full result document of a sweep's point k, as soon as that point has finished (404 before), streamed
    from the store in chunks."""
    rec = owned_job(request, job_id, owner)
    st = state(request)
    if rec.kind != "sweep" or not st.store.has_point(job_id, k):
        raise Problem(404, "Not Found", f"job {job_id} has no finished point {k}" if rec.kind == "sweep"
                      else f"job {job_id} is not a sweep", "not-found")
    return StreamingResponse(iter_point_result_bytes(st.settings.db_path, job_id, k), media_type="application/json")


@router.delete("/{job_id}", response_model=JobStatus, responses=problem_responses(404, 409))
def cancel_job(job_id: str, request: Request, owner: str = Depends(principal)):
    """Cancel a queued or running job (409 when it has already finished)."""
    st = state(request)
    rec = owned_job(request, job_id, owner)
    if not st.store.cancel(job_id):
        raise Problem(409, "Conflict", f"job {job_id} has already finished ({rec.status})", "job-finished",
                      job_status=rec.status)
    st.dispatcher.cancel(job_id)
    return status_document(st.store.get_status(job_id))


def progress_event(rec: JobStatusRecord) -> dict:
    """The data of an SSE `progress` event: progress rounded to PROGRESS_DIGITS decimals (0.4879, not
    0.48789999999999994)."""
    return {"id": rec.id, "status": rec.status, "progress": round(float(rec.progress), PROGRESS_DIGITS)}


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


@router.get("/{job_id}/events", responses={**problem_responses(404), 200: {"content": {"text/event-stream": {}}}})
async def job_events(job_id: str, request: Request, owner: str = Depends(principal)):
    """Server-Sent Events: `progress` events while the job runs, then one `status` event, then the end."""
    st = state(request)
    total = sweep_points_total(owned_job(request, job_id, owner))
    interval = min(st.settings.progress_interval, 0.5)

    async def stream():
        last = None
        beat = 0
        while True:
            try:  # the status only: an SSE poll never reads the job's spec, however large its inline data
                rec = await asyncio.to_thread(st.store.poll_status, job_id)
            except StoreClosed:
                return
            if rec is None:
                return
            if rec.finished:
                yield _sse("status", status_document(await asyncio.to_thread(st.store.get_status, job_id)))
                return
            now = progress_event(rec)
            beat += 1
            if now != last or beat >= 30:
                last, beat = now, 0
                points = await asyncio.to_thread(sweep_progress, st.store, job_id, total) if total else {}
                yield _sse("progress", {**now, **points})
            if await request.is_disconnected():
                return
            await asyncio.sleep(interval)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
