"""Contract tests against a real `sgdlab serve` (the `live_server` fixture): every client model validates the
live responses, and every request the client sends validates against the live /openapi.json."""

from __future__ import annotations

import asyncio
import re
import uuid

import httpx
import jsonschema
import numpy as np
import pytest

import sgdlab_client as sc
from sgdlab_client import initial, landscapes, schedules

from client_fakes import RecordingTransport

DOUBLE_WELL = landscapes.double_well(height=0.1, width=1.25, tilt=0.04)
P3 = [[0.1, 0.4, 0.5], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3]]


@pytest.fixture(scope="module")
def recorder() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture(scope="module")
def client(live_server, recorder):
    with sc.Client(live_server, transport=recorder, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def finished(client):
    """A simulation with every observer, submitted once and waited for."""
    sim = sc.simulation(DOUBLE_WELL, schedules.cosine(lr_max=0.2, period=500, lr_min=0.05), 2,
                        init=initial.uniform([-2.5], [2.5]), particles=2000, steps=1500, seed=3,
                        histogram={"bins": 50, "range": [(-2.5, 2.5)], "snapshots": [100, 500],
                                   "time_average": {"burn_in": 500, "every": 10}},
                        exit_times=(1, 0), arrival=10, loss_trace=100, trajectories={"count": 3, "every": 50})
    job = client.submit(sim)
    final = job.wait(timeout=300, progress=False)
    return {"jobs": [job], "finals": [final], "sim": job.result()}


def test_catalog_and_health(client):
    assert client.health()["status"] == "ok"
    catalog = client.landscapes()
    assert {"double_well", "quadratic"} <= set(catalog.names())
    assert {p.name for p in catalog["double_well"].params} >= {"tilt", "height", "width"}


def test_landscape_analysis_with_theory(client):
    analysis = client.analyze_landscape(DOUBLE_WELL, temperature=0.05)
    assert analysis.landscape.dim == 1 and len(analysis.landscape.minima) == 2 and len(analysis.landscape.saddles) == 1
    assert analysis.theory.beta == pytest.approx(20.0) and sum(analysis.theory.basin_fractions) == pytest.approx(1.0)
    deep = min(analysis.landscape.minima, key=lambda m: m.loss)
    assert deep.location[0] < 0  # tilt > 0 deepens the left well
    assert client.analyze_landscape(DOUBLE_WELL).theory is None
    by_lr = client.analyze_landscape(DOUBLE_WELL, lr=0.1, batch_size=1)
    assert by_lr.theory.temperature == pytest.approx(0.05)


def test_markov_chain(client):
    res = client.analyze_markov_chain(P3, initial=[1, 0, 0], steps=15)
    np.testing.assert_allclose(res.stationary, np.array([29, 53, 51]) / 133, atol=1e-12)
    assert res.irreducible and res.aperiodic and len(res.evolution) >= 15
    kl = [k for k in res.kl_to_stationary if k is not None]
    assert all(b <= a + 1e-12 for a, b in zip(kl, kl[1:]))


def test_simulation_result_is_fully_typed(finished):
    res = finished["sim"]
    assert finished["finals"][0].status == "succeeded" and isinstance(res, sc.SimulationResult)
    assert res.job_id == finished["jobs"][0].id and res.seed == 3
    h = res.histogram("final")
    assert h.edges.shape == (51,) and (h.density * h.widths).sum() == pytest.approx(1.0, abs=1e-9)
    assert h.counts.sum() <= 2000
    assert [res.histogram(s).step for s in (100, 500)] == [100, 500]
    assert res.histogram("time_average").density.shape == (50,)
    assert sum(res.basin_fractions().values()) == pytest.approx(1.0, abs=1e-9)
    assert len(res.gibbs.basin_fractions_theory) == 2 and res.gibbs.beta_theory > 0
    et = res.exit_times
    assert et.from_ == 1 and et.to == 0 and et.escaped + et.censored == et.particles
    assert et.survival.probability[0] == pytest.approx(1.0, abs=0.05)
    assert len(res.arrival.probability) == 10 and all(sum(r) == pytest.approx(1, abs=1e-6)
                                                         for r in res.arrival.probability if sum(r) > 0)
    assert res.loss_trace.steps[0] == 0 and len(res.loss_trace.mean) == len(res.loss_trace.steps)
    assert len(res.trajectories.paths) == 3
    assert res.performance.particle_steps == 2000 * 1500
    for block in ("histograms", "basins", "survival", "loss_trace", "trajectories"):
        assert len(res.to_pandas(block)) > 0
    fig = res.plot()
    assert len(fig.axes) == 3


def test_density_evolution_result(client):
    dens = sc.density_evolution(DOUBLE_WELL, 0.1, 1, init=initial.uniform([-2.5], [2.5]), steps=200, points=120,
                                snapshots=[10, 50, 200])
    job = client.submit(dens)
    assert job.wait(timeout=300, progress=False).status == "succeeded"
    res = job.result()
    assert isinstance(res, sc.DensityEvolutionResult) and res.stationary is not None
    kl = res.kl_to_stationary
    assert len(kl) >= 2 and all(b <= a * (1 + 1e-9) + 1e-12 for a, b in zip(kl, kl[1:]))
    final = res.histogram("final")
    assert (final.density * final.widths).sum() == pytest.approx(1.0, abs=1e-6)


def test_events_of_a_finished_job_end_with_its_status(client, finished):
    events = list(client.events(finished["jobs"][0].id))
    assert isinstance(events[-1], sc.JobStatus) and events[-1].status == "succeeded"


def test_idempotent_resubmission(client):
    spec = sc.simulation(DOUBLE_WELL, 0.1, 1, particles=50, steps=10, seed=1)
    key = str(uuid.uuid4())
    first = client.submit(spec, idempotency_key=key)
    again = client.submit(spec, idempotency_key=key)
    assert again.id == first.id
    other = sc.simulation(DOUBLE_WELL, 0.1, 1, particles=51, steps=10, seed=1)
    with pytest.raises(sc.ValidationError):
        client.submit(other, idempotency_key=key)
    first.wait(timeout=120, progress=False)


def test_errors_carry_problem_documents(client):
    bad = {"landscape": {"builtin": "double_well"}, "dynamics": {"lr": 0.1, "batch_size": 0}}
    with pytest.raises(sc.ValidationError) as info:
        client.submit(bad)
    assert info.value.status == 422 and any(e.field == "dynamics.batch_size" for e in info.value.errors)
    with pytest.raises(sc.ValidationError) as info:
        client.submit(sc.simulation(landscapes.expression("__import__('os')"), 0.1))
    assert any("landscape" in (e.field or "") for e in info.value.errors)
    with pytest.raises(sc.NotFoundError):
        client.status("no-such-job")
    with pytest.raises(sc.ValidationError) as info:
        client.analyze_markov_chain([[0.5, 0.6], [0.5, 0.5]])
    assert "row" in str(info.value).lower()


def test_cancel_and_conflicts(client):
    slow = sc.simulation(DOUBLE_WELL, 0.1, 1, particles=20000, steps=5000, seed=2, histogram=False)
    job = client.submit(slow)
    with pytest.raises(sc.ConflictError):
        job.result()
    assert job.cancel().status in ("cancelled", "running", "queued")
    final = job.wait(timeout=60, progress=False)
    assert final.status == "cancelled"
    with pytest.raises(sc.ConflictError):
        job.cancel()


def test_listing_follows_the_cursor(client, finished):
    ids = [j.id for j in client.jobs.list(page_size=2)]
    assert len(ids) >= 3 and len(ids) == len(set(ids))
    assert len(list(client.jobs.pages(page_size=2))) >= 2
    assert all(j.status == "succeeded" for j in client.jobs.list(status="succeeded"))
    assert [j.id for j in client.jobs.list(limit=2)] == ids[:2]


def test_async_client_end_to_end(live_server):
    async def go():
        async with sc.AsyncClient(live_server) as c:
            job = await c.submit(sc.simulation(DOUBLE_WELL, 0.1, 1, particles=200, steps=100, seed=4))
            final = await job.wait(timeout=120)
            listed = [j.id async for j in c.jobs.list(limit=50)]
            return job.id, final, await job.result(), listed, await c.landscapes()

    job_id, final, result, listed, catalog = asyncio.run(go())
    assert final.status == "succeeded" and result.job_id == job_id and job_id in listed
    assert "double_well" in catalog.names()


def _operation(spec: dict, method: str, path: str) -> dict:
    for template, ops in spec["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in ops:
            return ops[method.lower()]
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def _validator(spec: dict, schema: dict) -> jsonschema.Validator:
    return jsonschema.Draft202012Validator({**schema, "components": spec.get("components", {})})


def test_requests_validate_against_openapi(client, recorder, live_server):
    # make sure every body-carrying operation was exercised, whatever ran before
    client.analyze_landscape(DOUBLE_WELL, temperature=0.1, range=[(-3, 3)])
    client.analyze_markov_chain(P3, initial=[0, 1, 0], steps=3, states=["a", "b", "c"])
    client.submit(sc.simulation(landscapes.finite_sum("0.5*(x*w - y)**2", landscapes.generated_data(
        "linear_regression", n=20)), schedules.warmup_cosine(0.05, 5), 4, method="minibatch_sgd",
        init=initial.normal([0.0], 0.5), particles=20, steps=20, seed=1, loss_trace=5)).wait(120, progress=False)
    list(client.jobs.list(status="succeeded", limit=1))
    spec = httpx.get(live_server + "/openapi.json").json()
    checked = set()
    accepted = [req for req, status in recorder.exchanges if status < 400]  # the refused ones were meant to be
    for req in accepted:
        op = _operation(spec, req.method, req.url.path)
        for param in op.get("parameters", []):
            if param["in"] == "query" and param["name"] in req.url.params:
                value = req.url.params[param["name"]]
                schema = param.get("schema", {})
                value = int(value) if "integer" in str(schema) and value.isdigit() else value
                _validator(spec, schema).validate(value)
        if req.content:
            schema = op["requestBody"]["content"]["application/json"]["schema"]
            _validator(spec, schema).validate(__import__("json").loads(req.content))
            checked.add((req.method, req.url.path))
    assert {("POST", "/v1/jobs"), ("POST", "/v1/landscapes/analyze"), ("POST", "/v1/markov-chains/analyze")} <= checked
