"""dynamics.backend through the HTTP API: a compiled job runs and says so in `performance`; what the compiled
backend cannot run is a 422 naming dynamics.backend; the schema carries the field."""

import pytest

from .conftest import SMALL_JOB, wait_for

pytest.importorskip("numba")


def _fields(doc):
    return [e["field"] for e in doc.get("errors", [])]


def test_a_compiled_job_reports_its_backend_and_compile_time(client):
    body = {**SMALL_JOB, "dynamics": {**SMALL_JOB["dynamics"], "backend": "compiled"},
            "observe": {"histogram": {"bins": 20, "time_average": {"burn_in": 50, "every": 2}},
                        "exit_times": {"from": 1, "to": 0}}}
    r = client.post("/v1/jobs", json=body)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    assert wait_for(client, job_id)["status"] == "succeeded"
    result = client.get(f"/v1/jobs/{job_id}/result").json()
    perf = result["performance"]
    assert perf["backend"] == "compiled" and perf["backend_reason"] == "requested"
    assert perf["compile_seconds"] >= 0 and perf["particle_steps_per_second"] > 0
    assert sum(result["histograms"]["time_average"]["counts"]) > 0
    auto = client.post("/v1/jobs", json=SMALL_JOB).json()["id"]
    wait_for(client, auto)
    perf = client.get(f"/v1/jobs/{auto}/result").json()["performance"]
    assert perf["backend"] == "numpy" and perf["backend_reason"].startswith("auto")


@pytest.mark.parametrize("dynamics", [
    {"backend": "gpu"},
    {"backend": "compiled", "noise": "gradient_covariance"},
    {"backend": "compiled", "method": "minibatch_sgd", "replacement": False}])
def test_what_the_compiled_backend_cannot_run_is_a_422_on_the_field(client, dynamics):
    body = {**SMALL_JOB, "dynamics": {"lr": 0.05, **dynamics},
            "landscape": {"finite_sum": {"per_sample": "0.5*(w - c)**2", "data": {"c": [0.0, 1.0, 2.0]}}}}
    r = client.post("/v1/jobs", json=body)
    assert r.status_code == 422, r.text
    assert "dynamics.backend" in _fields(r.json()), r.json()


def test_openapi_describes_the_backend(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    dyn = next(s for name, s in schemas.items() if name.startswith("DynamicsSpec"))
    assert set(dyn["properties"]["backend"]["enum"]) == {"auto", "numpy", "compiled"}
