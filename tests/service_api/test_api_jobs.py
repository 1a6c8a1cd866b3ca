"""The job lifecycle over HTTP: submit, poll, SSE, result, cancel, list with paging, 404/409, idempotency."""

import json

from .conftest import LONG_JOB, SMALL_JOB, wait_for


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_lifecycle_submit_poll_events_result(client):
    r = client.post("/v1/jobs", json={**SMALL_JOB, "observe": {"histogram": {"bins": 30}, "exit_times":
                                                                 {"from": 1, "to": 0}}})
    assert r.status_code == 202
    job = r.json()
    assert r.headers["location"] == f"/v1/jobs/{job['id']}" == job["links"]["self"]
    assert job["status"] in ("queued", "running") and job["kind"] == "simulation"
    events = parse_sse(client.get(job["links"]["events"]).text)
    assert events[-1][0] == "status" and events[-1][1]["status"] == "succeeded"
    assert all(name == "progress" for name, _ in events[:-1])
    progress = [d["progress"] for _, d in events[:-1]]
    assert progress == sorted(progress)
    doc = wait_for(client, job["id"])
    assert doc["progress"] == 1.0 and doc["started_at"] and doc["finished_at"] and doc["error"] is None
    res = client.get(job["links"]["result"]).json()
    assert res["job_id"] == job["id"] and res["seed"] == 42
    assert res["beta"] == 2 * 2 / 0.05 and res["temperature"] == 0.05 / 4
    assert {"landscape", "histograms", "basins", "gibbs", "exit_times", "performance"} <= set(res)
    assert sum(res["histograms"]["final"]["counts"]) <= 2000
    assert res["exit_times"]["particles"] + res["exit_times"]["not_tracked"] == 2000
    assert len(res["landscape"]["minima"]) == 2


def test_cancel_running_job_then_409(client):
    job = client.post("/v1/jobs", json=LONG_JOB).json()
    wait_for(client, job["id"], ("running",))
    r = client.delete(f"/v1/jobs/{job['id']}")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert client.delete(f"/v1/jobs/{job['id']}").status_code == 409
    r = client.get(f"/v1/jobs/{job['id']}/result")
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    # the workers are free again: a small job after it finishes promptly
    small = client.post("/v1/jobs", json=SMALL_JOB).json()
    # a cancelled job stops on the workers too: the long one would hold them for minutes
    assert wait_for(client, small["id"], timeout=20)["status"] == "succeeded"


def test_result_is_409_while_queued_or_running(client):
    job = client.post("/v1/jobs", json=LONG_JOB).json()
    r = client.get(f"/v1/jobs/{job['id']}/result")
    assert r.status_code == 409
    assert r.json()["status"] == 409 and r.json()["job_status"] in ("queued", "running")
    client.delete(f"/v1/jobs/{job['id']}")


def test_unknown_job_is_404_everywhere(client):
    for method, path in [("get", "/v1/jobs/nope"), ("get", "/v1/jobs/nope/result"), ("delete", "/v1/jobs/nope"),
                         ("get", "/v1/jobs/nope/events"), ("get", "/v1/jobs/nope/plots/histogram.svg"),
                         ("get", "/v1/jobs/nope/tables/histogram")]:
        r = getattr(client, method)(path)
        assert r.status_code == 404, path
        assert r.json()["title"] == "Not Found" and r.headers["content-type"].startswith("application/problem+json")


def test_list_pages_newest_first_with_status_filter(client):
    ids = [client.post("/v1/jobs", json={**SMALL_JOB, "seed": s}).json()["id"] for s in range(5)]
    for i in ids:
        wait_for(client, i)
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/jobs", params=params).json()
        assert len(page["items"]) <= 2
        seen += [j["id"] for j in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert seen[:5] == ids[::-1]
    done = client.get("/v1/jobs", params={"status": "succeeded", "limit": 200}).json()["items"]
    assert {j["status"] for j in done} == {"succeeded"} and set(ids) <= {j["id"] for j in done}
    assert client.get("/v1/jobs", params={"cursor": "abc"}).status_code == 422


def test_idempotency_key_replays_and_refuses_other_body(client):
    h = {"Idempotency-Key": "abc-123"}
    a = client.post("/v1/jobs", json=SMALL_JOB, headers=h)
    b = client.post("/v1/jobs", json=SMALL_JOB, headers=h)
    assert a.status_code == 202 and b.status_code == 200 and a.json()["id"] == b.json()["id"]
    c = client.post("/v1/jobs", json={**SMALL_JOB, "seed": 7}, headers=h)
    assert c.status_code == 422 and c.json()["errors"][0]["field"] == "Idempotency-Key"


def test_density_evolution_job(client):
    job = client.post("/v1/jobs", json={**SMALL_JOB, "kind": "density_evolution", "steps": 300,
                                        "grid": {"points": 200},
                                        "observe": {"histogram": {"snapshots": [0, 100, 300]}}}).json()
    doc = wait_for(client, job["id"])
    assert doc["status"] == "succeeded", doc["error"]
    res = client.get(f"/v1/jobs/{job['id']}/result").json()
    kl = [float("inf") if v is None else v for v in res["kl_to_stationary"]]   # null: infinite KL
    assert kl[-1] < kl[0] and all(b <= a * (1 + 1e-9) + 1e-12 for a, b in zip(kl, kl[1:]))
    assert [s["step"] for s in res["histograms"]["snapshots"]] == [0, 100, 300]


def test_health_ready_metrics(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    text = client.get("/metrics").text
    for name in ("sgdlab_jobs{", "sgdlab_queue_depth", "sgdlab_job_duration_seconds_bucket",
                 "sgdlab_job_queue_wait_seconds_bucket", "sgdlab_particle_steps_total",
                 "sgdlab_http_requests_total{", "sgdlab_http_request_duration_seconds_bucket"):
        assert name in text, name
    assert 'route="/v1/jobs/{job_id}"' in text
    # no job id ever appears in a label
    import re
    assert not re.search(r'="[0-9a-f]{32}"', text)
