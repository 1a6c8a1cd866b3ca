"""An explicit `"histogram": null` switches the default histogram off, through the API and in the stored spec."""

from sgdlab.spec import JobRequest
from sgdlab.spec.base import normalised_spec

from .conftest import wait_for

JOB = {"landscape": {"builtin": "double_well"}, "dynamics": {"lr": 0.05}, "particles": 200, "steps": 20, "seed": 1,
       "observe": {"histogram": None, "exit_times": {"from": 0, "to": 1}}}


def test_the_stored_spec_keeps_an_explicit_null_and_round_trips():
    stored = normalised_spec(JobRequest.model_validate(JOB))
    assert stored["observe"]["histogram"] is None
    assert JobRequest.model_validate(stored).observe.histogram is None
    default = normalised_spec(JobRequest.model_validate({k: v for k, v in JOB.items() if k != "observe"}))
    assert default["observe"]["histogram"]["bins"] == 200          # unset: the default histogram stays on


def test_a_job_with_histogram_null_has_no_histogram(client):
    r = client.post("/v1/jobs", json=JOB)
    assert r.status_code == 202, r.text
    assert wait_for(client, r.json()["id"])["status"] == "succeeded"
    result = client.get(f"/v1/jobs/{r.json()['id']}/result").json()
    assert "histograms" not in result and result["spec"]["observe"]["histogram"] is None
    assert result["exit_times"]["particles"] > 0
