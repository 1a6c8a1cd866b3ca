"""Plots (SVG/PNG, cached once a job is finished), tidy tables (JSON/CSV) and Vega-Lite specs of a job's result,
built in the render pool's processes (never on the event loop) and streamed."""

from __future__ import annotations

import asyncio
from typing import Literal, Optional

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from ... import plots, tables
from ...core.errors import LimitExceeded, SpecError
from ..deps import finished_job, owned_job, principal, state
from ..models import ProblemDocument
from ..problems import Problem

router = APIRouter(prefix="/v1/jobs/{job_id}", tags=["artifacts"])
ERRORS = {k: {"model": ProblemDocument} for k in (401, 404, 409)}


def _unknown(kind: str, name: str, known) -> Problem:
    return Problem(404, "Not Found", f"unknown {kind} '{name}'; known: {', '.join(known)}", "not-found")


def _unavailable(e: Exception, kind: str) -> Problem:
    return Problem(404, "Not Found", str(e), kind)


def _too_large(e: tables.TableTooLarge) -> Problem:
    return Problem(413, "Payload Too Large", str(e), "table-too-large", limit="max_table_rows",
                   limit_value=e.limit, hint=e.hint)


async def _finished(request: Request, job_id: str, owner: str) -> None:
    """404 for another key's or an unknown job, 409 while it has not succeeded (the result itself is not read)."""
    await asyncio.to_thread(finished_job, request, job_id, owner)


@router.get("/plots/{name}.{fmt}",
            responses={**ERRORS, 422: {"model": ProblemDocument}, 503: {"model": ProblemDocument},
                       200: {"content": {"image/svg+xml": {}, "image/png": {}}}})
async def get_plot(job_id: str, name: str, fmt: str, request: Request, owner: str = Depends(principal),
                   dpi: Optional[int] = Query(None, description=f"PNG resolution, {plots.MIN_PNG_DPI} to "
                                                                f"limits.max_plot_dpi (default {plots.PNG_DPI}); "
                                                                "ignored for SVG"),
                   stat: Optional[str] = Query(None, max_length=40, description="heatmap of a sweep: the summary "
                                                                                 "statistic (default kl_divergence)")):
    """A plot of a finished job (.svg or .png): histogram, basins, survival, loss_trace, trajectories, arrival,
    for density_evolution jobs kl_to_stationary and stationary_vs_gibbs, and for sweeps arrhenius, scaling,
    basins_vs_beta and heatmap (?stat=)."""
    if dpi is not None:
        top = state(request).settings.limits.max_plot_dpi
        if dpi > top:
            raise LimitExceeded("dpi", "max_plot_dpi", top, dpi)
        if dpi < plots.MIN_PNG_DPI:
            raise SpecError(f"must be at least {plots.MIN_PNG_DPI} (got {dpi})", "dpi")
    if fmt not in plots.MEDIA_TYPES:
        await asyncio.to_thread(owned_job, request, job_id, owner)
        raise _unknown("plot format", fmt, tuple(plots.MEDIA_TYPES))
    if name not in plots.PLOT_NAMES:
        await asyncio.to_thread(owned_job, request, job_id, owner)
        raise _unknown("plot", name, plots.PLOT_NAMES)
    await _finished(request, job_id, owner)
    st = state(request)
    dpi = dpi if fmt == "png" else None
    stat = stat if name == "heatmap" else None
    key = f"plot:{name}.{fmt}" + (f"@{dpi}" if dpi else "") + (f"?stat={stat}" if stat else "")
    cached = await asyncio.to_thread(st.store.get_artifact, job_id, key)
    if cached is None:
        try:
            body = await st.renderer.plot(job_id, name, fmt, dpi, stat)
        except (plots.PlotUnavailable, tables.TableUnavailable) as e:
            raise _unavailable(e, "plot-unavailable") from None
        cached = (plots.MEDIA_TYPES[fmt], body)
        await asyncio.to_thread(st.store.put_artifact, job_id, key, *cached)
    return Response(cached[1], media_type=cached[0], headers={"Cache-Control": "max-age=86400"})


@router.get("/tables/{name}", responses={**ERRORS, 200: {"content": {"application/json": {}, "text/csv": {}}},
                                         413: {"model": ProblemDocument}, 422: {"model": ProblemDocument},
                                         503: {"model": ProblemDocument}})
async def get_table(job_id: str, name: str, request: Request, owner: str = Depends(principal),
                    format: Literal["json", "csv"] = Query("json"),
                    which: Optional[Literal["final", "time_average", "snapshot"]] = Query(
                        None, description="histogram and basins: only the records of this kind"),
                    step: Optional[int] = Query(None, ge=0, le=2**63 - 1,
                                                description="histogram and basins: only the records of this step")):
    """A tidy table of a result block (histogram, basins, survival, loss_trace, trajectories, arrival), or of a
    sweep's points (`points`), built off the event loop and streamed; 413 with a hint beyond max_table_rows."""
    known = tables.TABLE_NAMES + tables.SWEEP_TABLE_NAMES
    if name not in known:
        await asyncio.to_thread(owned_job, request, job_id, owner)
        raise _unknown("table", name, known)
    if (which is not None or step is not None) and name not in tables.SELECTABLE_TABLES:
        field = "which" if which is not None else "step"
        raise Problem(422, "Validation Error", f"{field}: selects rows of {', '.join(tables.SELECTABLE_TABLES)} "
                      f"only, not of {name}", "validation",
                      errors=[{"field": field, "message": f"table {name} has no which/step records"}])
    await _finished(request, job_id, owner)
    st = state(request)
    try:
        chunks, size = await st.renderer.table(job_id, name, format, which, step, st.settings.limits.max_table_rows)
    except tables.TableUnavailable as e:
        raise _unavailable(e, "table-unavailable") from None
    except tables.TableTooLarge as e:
        raise _too_large(e) from None
    return StreamingResponse(chunks, media_type="text/csv" if format == "csv" else "application/json",
                             headers={"Content-Length": str(size)})


@router.get("/vega/{name}", responses={**ERRORS, 503: {"model": ProblemDocument}})
async def get_vega(job_id: str, name: str, request: Request, owner: str = Depends(principal)):
    """A Vega-Lite v5 spec (with inline data) of a main plot: histogram, basins, survival, loss_trace; of a
    sweep: arrhenius, scaling, basins_vs_beta, heatmap."""
    known = plots.VEGA_NAMES + plots.SWEEP_VEGA_NAMES
    if name not in known:
        await asyncio.to_thread(owned_job, request, job_id, owner)
        raise _unknown("Vega-Lite plot", name, known)
    await _finished(request, job_id, owner)
    try:
        chunks, size = await state(request).renderer.vega(job_id, name)
    except (plots.PlotUnavailable, tables.TableUnavailable) as e:
        raise _unavailable(e, "plot-unavailable") from None
    return StreamingResponse(chunks, media_type="application/json", headers={"Content-Length": str(size)})
