"""The built-in web dashboard: `/` and `/dashboard` (jobs + new simulation), a job page, a Markov-chain page,
and the static JS/CSS under `/dashboard/static/`. The pages are light shells; their JS calls the /v1 API."""

from __future__ import annotations

import json
import os
import re
from importlib import resources

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

from ..plots import PLOT_BLOCKS
from ..tables import TABLE_NAMES
from .pages import render_page

router = APIRouter(include_in_schema=False)

STATIC_MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
_STATIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}\.(js|css|svg|png)$")  # bounded: no ENAMETOOLONG
_JOB_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def auth_required(request: Request) -> bool:
    """True when the service wants bearer keys (SGDLAB_API_KEYS is set)."""
    state = getattr(request.app.state, "sgdlab", None)
    if state is not None:
        return bool(state.settings.key_set)
    return bool(os.environ.get("SGDLAB_API_KEYS", "").strip())


@router.get("/", response_class=HTMLResponse)
@router.get("/dashboard", response_class=HTMLResponse)
def jobs_page(request: Request) -> HTMLResponse:
    """The jobs list with live progress and the new-simulation form."""
    return HTMLResponse(render_page("jobs", "Jobs", auth_required(request)))


@router.get("/dashboard/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: str, request: Request) -> HTMLResponse:
    """One job: status and progress, then its key numbers and plots."""
    if not _JOB_ID.match(job_id):
        raise HTTPException(404, "no such job")
    return HTMLResponse(render_page("job", f"Job {job_id}", auth_required(request), job_id=job_id,
                                    plots=json.dumps(PLOT_BLOCKS), tables=json.dumps(TABLE_NAMES)))


@router.get("/dashboard/markov", response_class=HTMLResponse)
def markov_page(request: Request) -> HTMLResponse:
    """A finite Markov chain: stationary law and the KL decay to it."""
    return HTMLResponse(render_page("markov", "Markov chain", auth_required(request)))


@router.get("/dashboard/static/{filename}")
def static_file(filename: str) -> FileResponse:
    """A file of sgdlab/dashboard/static (plain names only: no paths)."""
    if not _STATIC_NAME.match(filename):
        raise HTTPException(404, "no such file")
    path = resources.files(__package__).joinpath("static", filename)
    if not path.is_file():
        raise HTTPException(404, "no such file")
    suffix = filename[filename.rindex("."):]
    return FileResponse(str(path), media_type=STATIC_MEDIA_TYPES[suffix],
                        headers={"Cache-Control": "no-cache"})
