"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..deps import state
from ..models import ProblemDocument
from ..problems import Problem

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz():
    """Liveness: the process answers (on the event loop itself: it never waits for a worker thread)."""
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


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}},
                                                           401: {"model": ProblemDocument}})
def metrics(request: Request):
    """Prometheus text format. It counts jobs over all keys; set SGDLAB_METRICS_TOKEN to require a bearer token."""
    token = state(request).settings.metrics_token
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8")):
            raise Problem(401, "Unauthorized", "/metrics needs Authorization: Bearer <SGDLAB_METRICS_TOKEN>",
                          "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    return Response(generate_latest(state(request).metrics.registry), media_type=CONTENT_TYPE_LATEST)
