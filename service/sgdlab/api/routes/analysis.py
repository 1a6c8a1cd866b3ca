"""Synchronous analysis endpoints: the landscape catalog, landscape analysis with theory, finite Markov chains."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ...core.landscapes.catalog import catalog_listing
from ...core.errors import SpecError
from ...core.simulation.plan import analysis_of, landscape_of
from ...theory.landscape_analysis import analyze_landscape
from ...theory.landscape_theory import landscape_theory
from ...theory.markov_chains import analyze_markov_chain
from ..deps import principal, state
from ..models import AnalyzeRequest, AnalyzeResponse, Catalog, MarkovRequest, MarkovResponse, ProblemDocument
from ..problems import Problem

router = APIRouter(prefix="/v1", tags=["analysis"])
ERRORS = {k: {"model": ProblemDocument} for k in (401, 413, 415, 422)}


@router.get("/landscapes", response_model=Catalog)
def list_landscapes(owner: str = Depends(principal)):
    """The built-in catalog: name, dimension, parameters with defaults, formula and default range."""
    return {"landscapes": catalog_listing()}


@router.post("/landscapes/analyze", response_model=AnalyzeResponse, responses=ERRORS)
def analyze(body: AnalyzeRequest, request: Request, owner: str = Depends(principal)):
    """Critical points, basins and barriers; with `temperature` (or `lr` + `batch_size`) also the theory."""
    limits = state(request).settings.limits
    land = landscape_of(body.landscape, limits)
    if land.dim > limits.max_dim:
        raise Problem(422, "Limit Exceeded", f"landscape: dimension {land.dim} exceeds max_dim={limits.max_dim}",
                      "limit-exceeded", errors=[{"field": "landscape", "message": "too many dimensions"}])
    model = None
    if body.dynamics is not None:
        model = _dynamics_model(body, land)
        temperature, lr = model.scale, model.lr
    elif body.temperature is not None:
        temperature, lr = body.temperature, body.lr
    elif body.lr is not None:
        temperature, lr = body.lr / (2 * (body.batch_size or 1)), body.lr
    else:
        if body.batch_size is not None:
            raise Problem(422, "Validation Error", "batch_size needs lr", "validation",
                          errors=[{"field": "lr", "message": "give lr with batch_size"}])
        temperature, lr = None, None
    cm = body.committor
    if cm is not None and temperature is None:
        raise Problem(422, "Validation Error", "committor: needs temperature (or lr)", "validation",
                      errors=[{"field": "committor", "message": "give temperature or lr with committor"}])
    if cm is not None:
        cap = limits.max_grid_points_1d if land.dim == 1 else limits.max_grid_points_2d
        if cm.grid_points is not None and cm.grid_points > cap:
            raise SpecError(f"exceeds the limit of {cap} grid points per axis", "committor.grid_points")
    analysis = analysis_of(body.landscape, limits) if body.range is None else \
        analyze_landscape(land, range=body.range)
    if cm is not None:
        k = len(analysis.minima)
        for name, v in (("from", cm.from_), ("to", cm.to)):
            if v >= k:
                raise SpecError(f"the landscape has {k} minima (indices 0..{k - 1})", f"committor.{name}")
        if cm.from_ == cm.to:
            raise SpecError("'from' and 'to' must differ", "committor.to")
    return landscape_theory(land, temperature, lr, body.range, analysis,
                            (cm.from_, cm.to, cm.grid_points) if cm is not None else None, model, body.dynamics)


def _dynamics_model(body: AnalyzeRequest, land):
    """The noise model of an analysis request's `dynamics` (a constant lr; not with temperature/lr/batch_size)."""
    from ...core.dynamics.methods import make_method
    from ...theory.noise import noise_model
    given = [k for k in ("temperature", "lr", "batch_size") if getattr(body, k) is not None]
    if given:
        raise SpecError(f"give either 'dynamics' or {', '.join(given)}, not both", given[0])
    dyn = body.dynamics
    if not isinstance(dyn.lr, (int, float)):
        raise SpecError("the analysis needs a constant learning rate (a schedule's theory depends on the step)",
                        "dynamics.lr")
    make_method(land, dyn, 1)               # finite-sum methods need a finite sum, B at most the data rows
    if body.committor is not None and (dyn.method != "langevin" or dyn.noise != "isotropic"):
        raise SpecError("the committor is computed for isotropic Langevin noise only", "committor")
    return noise_model(dyn, land, float(dyn.lr))


@router.post("/markov-chains/analyze", response_model=MarkovResponse, responses=ERRORS)
def analyze_chain(body: MarkovRequest, request: Request, owner: str = Depends(principal)):
    """Stationary law(s), classes, period, evolution with KL and TV series, spectral gap, mean first passage."""
    return analyze_markov_chain(body.transition_matrix_input(), body.initial, body.steps, body.states,
                                limits=state(request).settings.limits, mean_first_passage=body.mean_first_passage)
