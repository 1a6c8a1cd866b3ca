"""Bearer auth with SGDLAB_API_KEYS: 401 without a known key, and jobs visible only to the key that made them."""

import pytest

from .conftest import SMALL_JOB, make_client, wait_for

A = {"Authorization": "Bearer key-a"}
B = {"Authorization": "Bearer key-b"}


@pytest.fixture(scope="module")
def keyed(tmp_path_factory):
    with make_client(tmp_path_factory.mktemp("auth"), api_keys="key-a, key-b") as c:
        yield c


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic a2V5LWE="},
                                     {"Authorization": "Bearer"}])
def test_v1_needs_a_known_key(keyed, headers):
    for path in ("/v1/jobs", "/v1/landscapes"):
        r = keyed.get(path, headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.headers["content-type"].startswith("application/problem+json")
    assert keyed.post("/v1/jobs", json=SMALL_JOB, headers=headers).status_code == 401


def test_health_and_metrics_stay_open(keyed):
    assert keyed.get("/healthz").status_code == 200
    assert keyed.get("/metrics").status_code == 200


def test_jobs_are_isolated_between_keys(keyed):
    job = keyed.post("/v1/jobs", json=SMALL_JOB, headers=A).json()
    wait_for(keyed, job["id"], headers=A)
    for path in ("", "/result", "/events", "/plots/histogram.svg", "/tables/histogram"):
        assert keyed.get(f"/v1/jobs/{job['id']}{path}", headers=B).status_code == 404, path
        assert keyed.get(f"/v1/jobs/{job['id']}{path}", headers=A).status_code == 200, path
    assert keyed.delete(f"/v1/jobs/{job['id']}", headers=B).status_code == 404
    assert job["id"] in [j["id"] for j in keyed.get("/v1/jobs", headers=A).json()["items"]]
    assert job["id"] not in [j["id"] for j in keyed.get("/v1/jobs", headers=B).json()["items"]]


def test_idempotency_keys_are_per_api_key(keyed):
    h = {"Idempotency-Key": "same"}
    a = keyed.post("/v1/jobs", json=SMALL_JOB, headers={**A, **h})
    b = keyed.post("/v1/jobs", json={**SMALL_JOB, "seed": 9}, headers={**B, **h})
    assert a.status_code == 202 and b.status_code == 202 and a.json()["id"] != b.json()["id"]
