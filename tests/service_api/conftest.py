"""Fixtures for API tests: the real app (SQLite store, local process pool) driven by httpx through TestClient."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from sgdlab.api.app import create_app
from sgdlab.config import Settings

SMALL_JOB = {"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}},
             "dynamics": {"lr": 0.05, "batch_size": 2}, "particles": 2000, "steps": 200}
LONG_JOB = {**SMALL_JOB, "particles": 100_000, "steps": 40_000}


def make_client(tmp_path, **settings) -> TestClient:
    """A TestClient over a fresh app whose store lives in tmp_path (lifespan runs on enter)."""
    app = create_app(Settings(data_dir=tmp_path, workers=2, progress_interval=0.1, **settings))
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with make_client(tmp_path_factory.mktemp("api")) as c:
        yield c


def wait_for(client, job_id: str, statuses=("succeeded", "failed", "cancelled"), timeout: float = 120,
             headers=None) -> dict:
    """Poll a job until its status is one of `statuses`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = client.get(f"/v1/jobs/{job_id}", headers=headers).json()
        if doc["status"] in statuses:
            return doc
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {doc['status']} after {timeout}s")
