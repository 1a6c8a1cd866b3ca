"""Limits enforced while the service runs: the queue bound (429 + Retry-After), jobs per key, job wall time."""

from sgdlab.limits import Limits

from .conftest import LONG_JOB, SMALL_JOB, make_client, wait_for


def test_queue_full_is_429_with_retry_after_and_jobs_per_key(tmp_path):
    with make_client(tmp_path, concurrent_jobs=1, limits=Limits(max_queue=1, max_jobs_per_key=3)) as c:
        first = c.post("/v1/jobs", json=LONG_JOB).json()
        wait_for(c, first["id"], ("running",))
        assert c.post("/v1/jobs", json=SMALL_JOB).status_code == 202          # queued: the queue is now full
        r = c.post("/v1/jobs", json={**SMALL_JOB, "seed": 2})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert r.json()["limit"] == "max_queue" and r.json()["limit_value"] == 1
        c.delete(f"/v1/jobs/{first['id']}")


def test_jobs_per_key_bound(tmp_path):
    with make_client(tmp_path, concurrent_jobs=1, api_keys="k",
                     limits=Limits(max_queue=100, max_jobs_per_key=2)) as c:
        h = {"Authorization": "Bearer k"}
        ids = [c.post("/v1/jobs", json={**LONG_JOB, "seed": s}, headers=h).json()["id"] for s in range(2)]
        r = c.post("/v1/jobs", json=SMALL_JOB, headers=h)
        assert r.status_code == 429 and r.json()["limit"] == "max_jobs_per_key"
        for i in ids:
            c.delete(f"/v1/jobs/{i}", headers=h)


def test_wall_time_is_enforced(tmp_path):
    with make_client(tmp_path, limits=Limits(job_wall_seconds=4.0)) as c:
        job = c.post("/v1/jobs", json=LONG_JOB).json()
        doc = wait_for(c, job["id"], timeout=60)
        assert doc["status"] == "failed"
        assert doc["error"]["status"] == 422 and "job_wall_seconds=4" in doc["error"]["detail"]
        # the workers are free again afterwards
        small = c.post("/v1/jobs", json=SMALL_JOB).json()
        assert wait_for(c, small["id"], timeout=60)["status"] == "succeeded"
