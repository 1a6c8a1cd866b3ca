"""Synchronous analysis endpoints: the landscape catalog, landscape analysis with theory, finite Markov chains."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from ...core.landscapes.catalog import catalog_listing
from ...core.simulation.plan import landscape_of
from ...theory.landscape_theory import landscape_theory
from ...theory.markov_chains import analyze_markov_chain
from ..deps import principal, state
from ..models import AnalyzeRequest, AnalyzeResponse, Catalog, MarkovRequest, MarkovResponse, ProblemDocument
from ..problems import Problem

router = APIRouter(prefix="/v1", tags=["analysis"])
ERRORS = {k: {"model": ProblemDocument} for k in (401, 413, 415, 422)}


@router.get("/landscapes", response_model=Catalog, responses=ERRORS)
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
    if body.temperature is not None:
        temperature, lr = body.temperature, body.lr
    elif body.lr is not None:
        temperature, lr = body.lr / (2 * (body.batch_size or 1)), body.lr
    else:
        if body.batch_size is not None:
            raise Problem(422, "Validation Error", "batch_size needs lr", "validation",
                          errors=[{"field": "lr", "message": "give lr with batch_size"}])
        temperature, lr = None, None
    return landscape_theory(land, temperature, lr, body.range)


@router.post("/markov-chains/analyze", response_model=MarkovResponse, responses=ERRORS)
def analyze_chain(body: MarkovRequest, request: Request, owner: str = Depends(principal)):
    """Stationary law(s), classes, period, evolution with KL and TV series, spectral gap, mean first passage."""
    return analyze_markov_chain(body.transition_matrix, body.initial, body.steps, body.states,
                                limits=state(request).settings.limits)
