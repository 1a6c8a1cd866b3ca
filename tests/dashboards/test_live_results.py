"""Real results from the live server: every plot, table and Vega-Lite view of a small 1-D and 2-D job."""

from __future__ import annotations

import io
import time

import httpx
import pandas as pd
import pytest

from sgdlab.plots import SIMULATION_PLOT_NAMES, VEGA_NAMES, render_plot, vega_lite
from sgdlab.tables import build_table, table_columns

from test_plots import png_size, svg_size

JOB_1D = {"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}},
          "dynamics": {"method": "langevin", "lr": 0.1, "batch_size": 1},
          "init": {"minimum": 0}, "particles": 400, "steps": 300, "seed": 7,
          "observe": {"histogram": {"bins": 40, "snapshots": [50]}, "exit_times": {"from": 0, "to": 1},
                      "loss_trace": {"every": 20}, "trajectories": {"count": 4, "every": 10},
                      "arrival": {"bins": 10}}}


def run_job(base: str, body: dict, timeout: float = 120.0) -> tuple[str, dict]:
    """Submit a job, wait for it to finish, return (id, result)."""
    r = httpx.post(base + "/v1/jobs", json=body, timeout=30)
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = httpx.get(f"{base}/v1/jobs/{job_id}", timeout=10).json()
        if status["status"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(0.3)
    assert status["status"] == "succeeded", status
    return job_id, httpx.get(f"{base}/v1/jobs/{job_id}/result", timeout=30).json()


@pytest.fixture(scope="module")
def live_1d(live_api):
    return run_job(live_api, JOB_1D)


@pytest.fixture(scope="module")
def live_2d(live_api):
    catalog = httpx.get(live_api + "/v1/landscapes", timeout=10).json()["landscapes"]
    two_d = next((l for l in catalog if l["dim"] == 2), None)
    if two_d is None:
        pytest.skip("the catalog has no 2-D landscape")
    return run_job(live_api, {"landscape": {"builtin": two_d["name"]}, "particles": 300, "steps": 100, "seed": 3,
                              "dynamics": {"lr": 0.01}, "observe": {"histogram": {"bins": [20, 20]},
                                                                    "arrival": {"bins": 6},
                                                                    "trajectories": {"count": 3, "every": 10}}})


def test_pure_renderers_on_a_real_1d_result(live_1d):
    _, result = live_1d
    for name in SIMULATION_PLOT_NAMES:
        svg_size(render_plot(name, result, "svg"))
    for name in VEGA_NAMES:
        assert vega_lite(name, result)["data"]["values"]
    for name in SIMULATION_PLOT_NAMES:
        df = pd.DataFrame(build_table(name, result))
        assert list(df.columns) == table_columns(name, 1) and len(df) > 0, name


def test_plot_and_table_endpoints_on_a_real_1d_job(live_api, live_1d):
    job_id, _ = live_1d
    base = f"{live_api}/v1/jobs/{job_id}"
    for name in SIMULATION_PLOT_NAMES:
        r = httpx.get(f"{base}/plots/{name}.png", timeout=60)
        assert r.status_code == 200 and r.headers["content-type"] == "image/png", (name, r.text[:200])
        png_size(r.content)
        r = httpx.get(f"{base}/tables/{name}", params={"format": "csv"}, timeout=30)
        assert r.status_code == 200
        assert list(pd.read_csv(io.StringIO(r.text)).columns) == table_columns(name, 1)
        r = httpx.get(f"{base}/tables/{name}", params={"format": "json"}, timeout=30)
        assert list(pd.DataFrame(r.json()).columns) == table_columns(name, 1)
    assert httpx.get(f"{base}/plots/nope.svg", timeout=10).status_code == 404


def test_real_2d_result_renders(live_2d):
    _, result = live_2d
    assert result["landscape"]["dim"] == 2
    for name in ("histogram", "basins", "arrival", "trajectories"):
        png_size(render_plot(name, result, "png"))
        assert list(pd.DataFrame(build_table(name, result)).columns) == table_columns(name, 2)


def test_png_dpi_parameter_is_bounded_and_named(live_api, live_1d):
    job_id, _ = live_1d
    url = f"{live_api}/v1/jobs/{job_id}/plots/histogram.png"
    assert png_size(httpx.get(url, timeout=60).content)[0] >= 1200          # sized for a slide by default
    assert png_size(httpx.get(url, params={"dpi": 100}, timeout=60).content)[0] == 700
    for bad in (10, 100_000):
        r = httpx.get(url, params={"dpi": bad}, timeout=30)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "dpi", r.text
    assert "dpi" in str(httpx.get(f"{live_api}/openapi.json", timeout=30).json()["paths"]
                        ["/v1/jobs/{job_id}/plots/{name}.{fmt}"]["get"]["parameters"])


def test_status_documents_carry_the_summary(live_api, live_1d):
    job_id, _ = live_1d
    status = httpx.get(f"{live_api}/v1/jobs/{job_id}", timeout=10).json()
    assert status["summary"] == {"landscape": "double_well", "method": "langevin", "lr": 0.1, "batch_size": 1,
                                 "particles": 400, "steps": 300, "axes": None}
    listed = httpx.get(f"{live_api}/v1/jobs", params={"status": "succeeded"}, timeout=10).json()["items"]
    assert any(item["id"] == job_id and item["summary"]["steps"] == 300 for item in listed)
