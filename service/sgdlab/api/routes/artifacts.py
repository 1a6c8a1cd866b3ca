"""Plots (SVG/PNG, cached once a job is finished), tidy tables (JSON/CSV) and Vega-Lite specs of a job's result."""

from __future__ import annotations

from typing import Literal, Optional

from fastapi import APIRouter, Depends, Query, Request, Response

from ... import plots, tables
from ...core.errors import LimitExceeded, SpecError
from ..deps import finished_job_result, owned_job, principal, state
from ..models import ProblemDocument
from ..problems import Problem

router = APIRouter(prefix="/v1/jobs/{job_id}", tags=["artifacts"])
ERRORS = {k: {"model": ProblemDocument} for k in (401, 404, 409)}


def _unknown(kind: str, name: str, known) -> Problem:
    return Problem(404, "Not Found", f"unknown {kind} '{name}'; known: {', '.join(known)}", "not-found")


@router.get("/plots/{name}.{fmt}",
            responses={**ERRORS, 422: {"model": ProblemDocument}, 200: {"content": {"image/svg+xml": {}, "image/png": {}}}})
def get_plot(job_id: str, name: str, fmt: str, request: Request, owner: str = Depends(principal),
             dpi: Optional[int] = Query(None, description=f"PNG resolution, {plots.MIN_PNG_DPI} to limits.max_plot_dpi "
                                                          f"(default {plots.PNG_DPI}); ignored for SVG"),
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
        owned_job(request, job_id, owner)
        raise _unknown("plot format", fmt, tuple(plots.MEDIA_TYPES))
    if name not in plots.PLOT_NAMES:
        owned_job(request, job_id, owner)
        raise _unknown("plot", name, plots.PLOT_NAMES)
    result = finished_job_result(request, job_id, owner)
    store = state(request).store
    dpi = dpi if fmt == "png" else None
    stat = stat if name == "heatmap" else None
    key = f"plot:{name}.{fmt}" + (f"@{dpi}" if dpi else "") + (f"?stat={stat}" if stat else "")
    cached = store.get_artifact(job_id, key)
    if cached is None:
        try:
            body = plots.render_plot(name, result, fmt, dpi, stat)
        except plots.PlotUnavailable as e:
            raise Problem(404, "Not Found", str(e), "plot-unavailable") from None
        cached = (plots.MEDIA_TYPES[fmt], body)
        store.put_artifact(job_id, key, *cached)
    return Response(cached[1], media_type=cached[0], headers={"Cache-Control": "max-age=86400"})


@router.get("/tables/{name}", responses={**ERRORS, 200: {"content": {"application/json": {}, "text/csv": {}}}})
def get_table(job_id: str, name: str, request: Request, owner: str = Depends(principal),
              format: Literal["json", "csv"] = Query("json")):
    """A tidy table of a result block (histogram, basins, survival, loss_trace, trajectories, arrival), or of a
    sweep's points (`points`)."""
    if name not in tables.TABLE_NAMES + tables.SWEEP_TABLE_NAMES:
        owned_job(request, job_id, owner)
        raise _unknown("table", name, tables.TABLE_NAMES + tables.SWEEP_TABLE_NAMES)
    result = finished_job_result(request, job_id, owner)
    try:
        rows = tables.build_table(name, result)
    except tables.TableUnavailable as e:
        raise Problem(404, "Not Found", str(e), "table-unavailable") from None
    if format == "csv":
        return Response(tables.to_csv(rows), media_type="text/csv")
    return rows


@router.get("/vega/{name}", responses=ERRORS)
def get_vega(job_id: str, name: str, request: Request, owner: str = Depends(principal)):
    """A Vega-Lite v5 spec (with inline data) of a main plot: histogram, basins, survival, loss_trace; of a
    sweep: arrhenius, scaling, basins_vs_beta, heatmap."""
    if name not in plots.VEGA_NAMES + plots.SWEEP_VEGA_NAMES:
        owned_job(request, job_id, owner)
        raise _unknown("Vega-Lite plot", name, plots.VEGA_NAMES + plots.SWEEP_VEGA_NAMES)
    result = finished_job_result(request, job_id, owner)
    try:
        return plots.vega_lite(name, result)
    except (plots.PlotUnavailable, tables.TableUnavailable) as e:
        raise Problem(404, "Not Found", str(e), "plot-unavailable") from None
