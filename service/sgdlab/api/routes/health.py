"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..deps import state

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz():
    """Liveness: the process answers (async: never waits for a worker thread)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "store or executor unreachable"}})
def readyz(request: Request):
    """Readiness: the job store and the executor answer."""
    st = state(request)
    checks = {}
    try:
        checks["store"] = bool(st.store.ping())
    except Exception:
        checks["store"] = False
    try:
        checks["executor"] = bool(st.executor.ping())
    except Exception:
        checks["executor"] = False
    ok = all(checks.values())
    return JSONResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status_code=200 if ok else 503)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request):
    """Prometheus text format."""
    return Response(generate_latest(state(request).metrics.registry), media_type=CONTENT_TYPE_LATEST)
