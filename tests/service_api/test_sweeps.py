"""Sweeps (kind "sweep"): linear scaling and Arrhenius on real runs, bad grids as 422s naming the axis, the points
table and point results, cancel, and a kill -9 mid-sweep that resumes without rerunning finished points."""

from __future__ import annotations

import time

import httpx
import jsonschema
import numpy as np
import pytest

from sgdlab.core.simulation.run import simulate
from sgdlab.jobs.store import JobStore
from sgdlab.tables.point_summary import SUMMARY_FIELDS
from sgdlab.theory.sweep_analyses import two_sample_chi2

from .conftest import SMALL_JOB, wait_for
from server_process import ServerProcess

T = 1000  # steps of the (0.04, 2) point of the linear-scaling sweep
SCALING = {"kind": "sweep", "mode": "zip",
           "base": {"landscape": {"builtin": "double_well", "params": {"tilt": 0.05, "height": 0.5, "width": 2.0}},
                    "particles": 20000, "seed": 3},
           "axes": [{"path": "dynamics.lr", "values": [0.02, 0.04, 0.08, 0.04]},
                    {"path": "dynamics.batch_size", "values": [1, 2, 4, 1]},
                    {"path": "steps", "values": [2 * T, T, T // 2, T]}]}


def _run(client, body: dict, timeout: float = 300) -> dict:
    r = client.post("/v1/jobs", json=body)
    assert r.status_code == 202, r.text
    doc = wait_for(client, r.json()["id"], timeout=timeout)
    assert doc["status"] == "succeeded", doc["error"]
    return client.get(f"/v1/jobs/{doc['id']}/result").json()


def test_linear_scaling_equal_lr_over_b_agree_and_doubled_lr_differs(client):
    res = _run(client, SCALING)
    assert [p["params"] for p in res["points"]] == [
        {"dynamics.lr": 0.02, "dynamics.batch_size": 1, "steps": 2000},
        {"dynamics.lr": 0.04, "dynamics.batch_size": 2, "steps": 1000},
        {"dynamics.lr": 0.08, "dynamics.batch_size": 4, "steps": 500},
        {"dynamics.lr": 0.04, "dynamics.batch_size": 1, "steps": 1000}]
    pairs = {(p["a"], p["b"]): p for p in res["analyses"]["linear_scaling"]["pairs"]}
    assert set(pairs) == {(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)}   # all four at lr*steps = 40
    for ab in [(0, 1), (0, 2), (1, 2)]:
        assert pairs[ab]["same_ratio"] and pairs[ab]["pvalue"] > 1e-3, pairs[ab]
    for ab in [(0, 3), (1, 3), (2, 3)]:
        assert not pairs[ab]["same_ratio"] and pairs[ab]["pvalue"] < 1e-30, pairs[ab]
    # the doubled lr/B runs twice as hot: the in-well variance doubles (histogram-based, so only roughly)
    points = {p["index"]: p for p in res["points"]}
    assert set(points[0]["summary"]) == set(SUMMARY_FIELDS)
    # /openapi.json describes the sweep result as it is (and the check is not vacuous)
    root = {"$ref": "#/components/schemas/SweepResult", "components": client.get("/openapi.json").json()["components"]}
    jsonschema.Draft202012Validator(root).validate(res)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(root).validate({**res, "points": [{**points[0], "summary": None}]})
    # the table has one row per point, the axes as columns, the same numbers as the summaries
    table = client.get(f"/v1/jobs/{res['job_id']}/tables/points?format=json").json()
    assert [row["index"] for row in table] == [0, 1, 2, 3]
    assert table[3]["dynamics.lr"] == 0.04 and table[3]["kl_divergence"] == points[3]["summary"]["kl_divergence"]
    csv = client.get(f"/v1/jobs/{res['job_id']}/tables/points?format=csv").text.splitlines()
    assert csv[0].startswith("index,seed,dynamics.lr,dynamics.batch_size,steps,basin_fractions_0") and len(csv) == 5
    full = client.get(points[2]["result"]).json()
    assert full["spec"]["dynamics"]["lr"] == 0.08 and full["spec"]["steps"] == 500
    assert full["spec"]["seed"] == points[2]["seed"]
    assert full["histograms"]["final"]["counts"] and sum(full["histograms"]["final"]["counts"]) > 19000
    for plot in ("scaling", "basins_vs_beta", "heatmap"):
        r = client.get(f"/v1/jobs/{res['job_id']}/plots/{plot}.svg")
        assert r.status_code == 200 and r.content.lstrip().startswith((b"<?xml", b"<svg")), (plot, r.text[:300])
    assert client.get(f"/v1/jobs/{res['job_id']}/plots/heatmap.png?stat=variance").status_code == 422
    assert client.get(f"/v1/jobs/{res['job_id']}/plots/arrhenius.svg").status_code == 404   # no exit times
    bad = client.get(f"/v1/jobs/{res['job_id']}/plots/heatmap.svg?stat=nonsense").json()
    assert bad["status"] == 422 and bad["errors"][0]["field"] == "stat"
    for view in ("scaling", "basins_vs_beta", "heatmap"):
        spec = client.get(f"/v1/jobs/{res['job_id']}/vega/{view}").json()
        assert spec["$schema"].endswith("vega-lite/v5.json") and spec["data"]["values"], view
    heat = client.get(f"/v1/jobs/{res['job_id']}/vega/heatmap").json()
    assert heat["data"]["values"] == table                   # the points table itself
    assert heat["encoding"]["x"]["field"] == "dynamics\\.lr" and heat["params"][0]["value"] == "kl_divergence"
    scaling = client.get(f"/v1/jobs/{res['job_id']}/vega/scaling").json()["data"]["values"]
    assert {r["pair"]: r["same_ratio"] for r in scaling} == {f"{a}-{b}": p["same_ratio"] for (a, b), p in pairs.items()}


def test_two_sample_chi2_is_calibrated_and_detects_a_shift():
    rng = np.random.default_rng(0)
    edges = np.linspace(-4, 4, 81)
    pv = [two_sample_chi2(np.histogram(rng.normal(size=3000), edges)[0],
                          np.histogram(rng.normal(size=5000), edges)[0])["pvalue"] for _ in range(300)]
    # under the null the p-values are uniform: about 10% below 0.1 (binomial sd 1.7%)
    assert 0.05 < np.mean(np.array(pv) < 0.1) < 0.15
    shifted = two_sample_chi2(np.histogram(rng.normal(size=5000), edges)[0],
                              np.histogram(rng.normal(0.3, size=5000), edges)[0])
    assert shifted["pvalue"] < 1e-6


def test_arrhenius_slope_is_one_over_beta_dl_2_to_6(client):
    xs = [2, 3, 4, 5, 6]
    base = {"landscape": {"builtin": "double_well", "params": {"width": 4.0}}, "particles": 2000, "seed": 7,
            "init": {"minimum": 0},
            "observe": {"histogram": None, "basins": False, "gibbs": False, "exit_times": {"from": 0, "to": 1}}}
    # run each point about 3 mean exit times (exact MFPT of the continuous model, in steps at lr = 2T)
    steps = [int(3 * 22926 * np.exp(x - 6) * 6 / x) for x in xs]
    res = _run(client, {"kind": "sweep", "mode": "zip", "base": base,
                        "axes": [{"path": "temperature", "values": [1 / x for x in xs]},
                                 {"path": "steps", "values": steps}]})
    assert [p["params"]["temperature"] for p in res["points"]] == [1 / x for x in xs]
    arr = res["analyses"]["arrhenius"]
    assert [round(p["beta_dl"], 9) for p in arr["points"]] == xs           # height 1: beta dL = beta = 1/T
    assert abs(arr["slope"] - 1) < 0.05, arr
    assert arr["slope_ci95"][0] < 1 < arr["slope_ci95"][1]
    # the fitted prefactor matches Kramers' 2 pi / sqrt(L''(min) |L''(saddle)|) = 2 pi / sqrt(0.5 * 0.25)
    assert arr["kramers_prefactor"] == pytest.approx(2 * np.pi / np.sqrt(0.5 * 0.25), rel=1e-6)
    kramers = arr["kramers_prefactor"]
    assert arr["prefactor_ci95"][0] < 1.15 * kramers and arr["prefactor"] > 0.7 * kramers
    assert client.get(f"/v1/jobs/{res['job_id']}/plots/arrhenius.png").status_code == 200
    vega = client.get(f"/v1/jobs/{res['job_id']}/vega/arrhenius").json()
    assert [r["beta_dl"] for r in vega["data"]["values"]] == [p["beta_dl"] for p in arr["points"]]
    summary = res["points"][0]["summary"]
    assert summary["exit_mean_steps"] > 0 and summary["kramers_steps"] > 0 and summary["basin_fractions"] is None


def test_derived_axes_set_lr_and_steps(client):
    from sgdlab.jobs.sweep_points import expand_sweep
    from sgdlab.spec import SweepRequest
    req = SweepRequest.model_validate({"kind": "sweep", "base": {**SMALL_JOB, "dynamics": {"batch_size": 4}},
                                       "axes": [{"path": "lr_over_b", "values": [0.01, 0.02]},
                                                {"path": "time", "values": [10.0]}], "repeats": 2})
    points = expand_sweep(req)
    assert [(p.spec.dynamics.lr, p.spec.steps) for p in points] == [(0.04, 250)] * 2 + [(0.08, 125)] * 2
    assert len({p.seed for p in points}) == 4
    t = SweepRequest.model_validate({"kind": "sweep", "base": {**SMALL_JOB, "dynamics": {"batch_size": 4}},
                                     "axes": [{"path": "temperature", "geomspace": [0.01, 0.04, 3]}]})
    assert [p.spec.dynamics.lr for p in expand_sweep(t)] == pytest.approx([0.08, 0.16, 0.32])


@pytest.mark.parametrize("axes, mode, field, words", [
    ([{"path": "dynamics.learning_rate", "values": [0.1]}], "product", "axes[0].path", "unknown"),
    ([{"path": "dynamics.lr", "values": [0.1]}, {"path": "steps", "values": []}], "product", "axes[1].values",
     "at least one"),
    ([{"path": "dynamics.lr", "values": [0.1, 0.2]}, {"path": "steps", "values": [10, 20, 30]}], "zip", "axes[1]",
     "equal length"),
    ([{"path": "dynamics.lr", "values": [0.1, -0.2]}], "product", "axes[0].values", "point 1"),
    ([{"path": "particles", "values": [4000, 4500]}, {"path": "steps", "values": [1_000_000]},
      {"path": "dynamics.lr", "values": [0.01, 0.02, 0.03]}], "product", "axes[0].values", "max_sweep_particle_steps"),
    ([{"path": "steps", "values": [2_000_000]}], "product", "axes[0].values", "max_steps"),
    ([{"path": "dynamics.lr", "linspace": [0.01, 0.1, 2000]}], "product", "axes", "max_sweep_points"),
    # the temperature axis overwrote the lr axis's values silently (the points table showed lr 0.01, it ran 0.02)
    ([{"path": "temperature", "values": [0.01, 0.02]}, {"path": "dynamics.lr", "values": [0.01]}], "product",
     "axes[1].path", "overwritten"),
    ([{"path": "steps", "values": [10, 20]}, {"path": "time", "values": [1.0, 2.0]}], "zip", "axes[1].path",
     "overwritten"),
    ([{"path": "kind", "values": ["simulation"]}], "product", "axes[0].path", "share base.kind"),   # said 'seeds'
    # n = 1e12 was a 500 (numpy tried to allocate 7 TiB before the points were counted)
    ([{"path": "dynamics.lr", "linspace": [0.01, 0.1, 10 ** 12]}], "product", "axes", "max_sweep_points"),
    ([{"path": "dynamics.lr", "values": [0.01]}, {"path": "steps", "geomspace": [10, 100, 10 ** 12]}], "zip", "axes",
     "max_sweep_points"),
])
def test_bad_grids_are_422_naming_the_axis(client, axes, mode, field, words):
    r = client.post("/v1/jobs", json={"kind": "sweep", "base": SMALL_JOB, "axes": axes, "mode": mode})
    assert r.status_code == 422, r.text
    doc = r.json()
    assert doc["errors"][0]["field"] == field, doc
    assert words in doc["detail"], doc


def test_a_sweeps_202_names_the_points_whose_lr_is_unstable(client):
    """double_well(tilt 0.1): lambda_max ~ 8.3, so lr 1.5 (lr lambda ~ 12) is past the edge 2 and lr 0.05 is not."""
    body = {"kind": "sweep", "base": {**SMALL_JOB, "steps": 10}, "repeats": 2,
            "axes": [{"path": "dynamics.lr", "values": [0.05, 1.5]}]}
    r = client.post("/v1/jobs", json=body)
    assert r.status_code == 202, r.text
    unstable = [w for w in r.json()["warnings"] if w["code"] == "unstable_lr"]
    assert [w["point"] for w in unstable] == [2]         # point k = grid index x repeats + r: once per lr
    assert unstable[0]["value"] > unstable[0]["threshold"] == 2
    client.delete(f"/v1/jobs/{r.json()['id']}")


def test_sweep_sse_reports_points_and_cancel_stops_it(client):
    body = {"kind": "sweep", "base": {**SMALL_JOB, "particles": 200_000, "steps": 2000},
            "axes": [{"path": "dynamics.lr", "geomspace": [0.01, 0.05, 12]}]}
    job_id = client.post("/v1/jobs", json=body).json()["id"]
    wait_for(client, job_id, statuses=("running",))
    with client.stream("GET", f"/v1/jobs/{job_id}/events") as s:
        for line in s.iter_lines():
            if line.startswith("data:") and '"points"' in line:
                break
    assert '"total": 12' in line
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 200
    time.sleep(1.0)
    assert client.get(f"/v1/jobs/{job_id}").json()["status"] == "cancelled"
    r = client.get(f"/v1/jobs/{job_id}/points/11/result")
    assert r.status_code == 404


def _stored(tmp_path, job_id: str) -> dict:
    """The sweep's stored points, read straight from the server's SQLite store ({k: attempt, finished_at})."""
    store = JobStore(tmp_path / "store" / "jobs.sqlite3")
    try:
        return store.finished_points(job_id)
    finally:
        store.close()


def test_kill_9_mid_sweep_resumes_without_rerunning_finished_points(tmp_path):
    base = {"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}}, "dynamics": {"batch_size": 2},
            "particles": 20_000, "steps": 300, "seed": 11, "observe": {"histogram": {"bins": 40}}}
    body = {"kind": "sweep", "base": base, "axes": [{"path": "dynamics.lr", "linspace": [0.02, 0.08, 4]}],
            "repeats": 2}
    server = ServerProcess(tmp_path / "store").start()
    try:
        job_id = httpx.post(f"{server.url}/v1/jobs", json=body, timeout=60).json()["id"]
        deadline = time.monotonic() + 120
        while True:  # until a few points are stored, but not all
            done = _stored(tmp_path, job_id)
            if len(done) >= 2:
                break
            assert time.monotonic() < deadline
            time.sleep(0.02)
        server.kill("kill")
    finally:
        server.kill("kill")
    before = _stored(tmp_path, job_id)
    assert 2 <= len(before) < 8
    again = ServerProcess(tmp_path / "store", port=server.port).start()
    try:
        deadline = time.monotonic() + 180
        while (doc := httpx.get(f"{again.url}/v1/jobs/{job_id}", timeout=10).json())["status"] != "succeeded":
            assert doc["status"] in ("queued", "running") and time.monotonic() < deadline, doc
            time.sleep(0.2)
        after = _stored(tmp_path, job_id)
        assert sorted(after) == list(range(8))
        for k, row in before.items():                      # stored before the kill: never run again
            assert after[k] == row and row["attempt"] == 1
        assert all(after[k]["attempt"] == 2 for k in set(after) - set(before))
        res = httpx.get(f"{again.url}/v1/jobs/{job_id}/result", timeout=60).json()
        for p in res["points"]:                            # every point equals an uninterrupted run of its spec
            full = httpx.get(f"{again.url}{p['result']}", timeout=60).json()
            reference = simulate(full["spec"])
            assert full["histograms"] == reference["histograms"] and full["basins"] == reference["basins"]
    finally:
        again.kill("term")
