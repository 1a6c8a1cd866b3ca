"""Splitting through the HTTP API: bad input is a 422 naming the field; a small run succeeds on the pool."""

from __future__ import annotations

import pytest

from .conftest import wait_for

H = 0.05        # double well height: beta*dL ~ 8 for the exit from the right well at lr 0.01, B = 1


def splitting_job(**exit_extra) -> dict:
    return {"landscape": {"builtin": "double_well", "params": {"height": H, "tilt": 0.2 * H}},
            "dynamics": {"lr": 0.01}, "particles": 60, "steps": 5000, "seed": 1, "init": {"point": [1.0]},
            "observe": {"histogram": None, "gibbs": False,
                        "exit_times": {"from": 1, "to": 0, "method": "splitting", "repetitions": 2, **exit_extra}}}


@pytest.mark.parametrize("body, field", [
    (splitting_job(coordinate="reaction"), "observe.exit_times.coordinate"),
    (splitting_job(coordinate={"formula": "open('x')"}), "observe.exit_times.coordinate.formula"),
    (splitting_job(method="magic"), "observe.exit_times.method"),
    (splitting_job(repetitions=1), "observe.exit_times.repetitions"),
    ({**splitting_job(), "particles": 3}, "particles"),
])
def test_bad_splitting_requests_are_422_naming_the_field(client, body, field):
    r = client.post("/v1/jobs", json=body)
    assert r.status_code == 422, r.text
    assert field in r.text


def test_small_splitting_job_runs_on_the_pool(client):
    r = client.post("/v1/jobs", json=splitting_job())
    assert r.status_code in (200, 201, 202), r.text
    job = r.json()
    doc = wait_for(client, job["id"], timeout=180)
    assert doc["status"] == "succeeded", doc
    res = client.get(f"/v1/jobs/{job['id']}/result").json()
    e = res["exit_times"]
    assert e["method"] == "splitting" and e["repetitions"] == 2
    assert e["mean_steps"] > 0 and 0 < e["transition_probability"] < 1
    assert e["cost_particle_steps"] > 0 and e["exact_steps"] > 0
    for fmt, media in (("svg", "image/svg+xml"), ("png", "image/png")):
        plot = client.get(f"/v1/jobs/{job['id']}/plots/splitting.{fmt}")
        assert plot.status_code == 200 and plot.headers["content-type"].startswith(media), plot.text[:300]
    assert plot.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_splitting_plot_is_a_404_problem_for_direct_exit_times(client):
    body = splitting_job(method="direct")
    r = client.post("/v1/jobs", json={**body, "steps": 200})
    assert r.status_code in (200, 201, 202), r.text
    assert wait_for(client, r.json()["id"])["status"] == "succeeded"
    plot = client.get(f"/v1/jobs/{r.json()['id']}/plots/splitting.svg")
    assert plot.status_code == 404 and plot.headers["content-type"].startswith("application/problem+json")
    assert "directly" in plot.json()["detail"], plot.json()


def deferred_splitting_job(**top) -> dict:
    """A splitting job on a 2-D formula, whose landscape is analysed as the job's first phase (not at submission)."""
    return {**splitting_job(), "landscape": {"expression": f"{H}*(x**2 - 1)**2 + {0.2 * H}*x + y**2/2",
                                             "variables": ["x", "y"]},
            "init": {"point": [1.0, 0.0]}, **top}


def test_splitting_on_a_landscape_analysed_later_is_accepted_and_runs(client):
    """Was a 500 at submission (the splitting plan read the landscape analysis, which is None until the worker
    analyses a 2-D formula, a finite sum or any landscape above 2-D)."""
    r = client.post("/v1/jobs", json=deferred_splitting_job())
    assert r.status_code == 202, r.text
    doc = wait_for(client, r.json()["id"], timeout=180)
    assert doc["status"] == "succeeded", doc
    e = client.get(f"/v1/jobs/{r.json()['id']}/result").json()["exit_times"]
    assert e["method"] == "splitting" and e["mean_steps"] > 0


def test_splitting_checks_that_need_no_analysis_are_422_at_submission_on_a_landscape_analysed_later(client):
    r = client.post("/v1/jobs", json=deferred_splitting_job(particles=3))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "particles"


def test_splitting_with_too_few_steps_fails_as_a_422_naming_steps(client):
    """No excursion can leave the well and come back in 1 step: the job fails as a validation problem on `steps`
    (it was a `job-failed` 500 problem)."""
    r = client.post("/v1/jobs", json={**splitting_job(), "steps": 1})
    assert r.status_code == 202, r.text
    doc = wait_for(client, r.json()["id"], timeout=120)
    assert doc["status"] == "failed", doc
    assert doc["error"]["status"] == 422 and doc["error"]["errors"][0]["field"] == "steps", doc["error"]
    assert "increase steps" in doc["error"]["detail"]
