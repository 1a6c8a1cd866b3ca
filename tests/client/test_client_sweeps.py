"""The client's sweeps: `client.sweep(...)`, `result.to_pandas()` (the service's points table, same names and
values), and `sgdlab-client sweep spec.json --wait --csv`."""

from __future__ import annotations

import csv
import json

import httpx

from sgdlab_client import Client, SweepResult, cli, simulation
from sgdlab_client import tables as client_tables
from sgdlab.tables.point_summary import SUMMARY_FIELDS

BASE = {"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}}, "dynamics": {"batch_size": 2},
        "particles": 500, "steps": 100, "seed": 9, "observe": {"exit_times": {"from": 1, "to": 0}}}
AXES = [{"path": "dynamics.lr", "values": [0.02, 0.05]}, {"path": "dynamics.batch_size", "values": [1, 2]}]


def test_client_sweep_to_pandas_is_the_services_points_table(live_server):
    with Client(live_server) as client:
        job = client.sweep(BASE, axes=AXES, repeats=2)
        assert job.wait(timeout=120, progress=False).status == "succeeded"
        result = job.result()
    assert isinstance(result, SweepResult) and len(result.points) == 8
    frame = result.to_pandas()
    served = httpx.get(f"{live_server}/v1/jobs/{job.id}/tables/points", timeout=30).json()
    assert len(frame) == 8 and list(frame.columns) == list(served[0])
    assert frame.to_dict("records")[5]["exit_mean_steps"] == served[5]["exit_mean_steps"]
    assert list(frame["dynamics.lr"]) == [0.02] * 4 + [0.05] * 4
    assert list(frame["dynamics.batch_size"]) == [1, 1, 2, 2] * 2


def test_client_summary_fields_are_the_services():
    assert client_tables.SUMMARY_FIELDS == SUMMARY_FIELDS


def test_client_sweep_takes_a_jobspec_base(live_server):
    base = simulation({"builtin": "double_well"}, lr=0.05, particles=300, steps=50, seed=1)
    with Client(live_server) as client:
        job = client.sweep(base, axes=[{"path": "temperature", "values": [0.01, 0.02]}], mode="zip")
        assert job.wait(timeout=120, progress=False).status == "succeeded"
        points = job.result().points
    assert [p["params"] for p in points] == [{"temperature": 0.01}, {"temperature": 0.02}]


def test_cli_sweep_wait_writes_the_points_csv(live_server, tmp_path, capsys):
    spec = tmp_path / "sweep.json"
    spec.write_text(json.dumps({"base": BASE, "axes": AXES[:1]}))
    out_csv = tmp_path / "points.csv"
    code = cli.main(["--url", live_server, "sweep", str(spec), "--wait", "--no-progress", "--csv", str(out_csv)])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert json.loads(out.out)["kind"] == "sweep"
    rows = list(csv.DictReader(out_csv.open()))
    assert [r["dynamics.lr"] for r in rows] == ["0.02", "0.05"] and "exit_mean_steps" in rows[0]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"base": BASE, "axes": [{"path": "dynamics.lr", "values": []}]}))
    code = cli.main(["--url", live_server, "sweep", str(bad)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_API_ERROR and "axes[0].values" in err


def test_async_client_sweep_and_point_result(live_server):
    import asyncio

    from sgdlab_client import AsyncClient

    async def go():
        async with AsyncClient(live_server) as client:
            job = await client.sweep(BASE, axes=AXES[:1], mode="zip")
            await job.wait(timeout=120)
            result = await job.result()
            point = await job.point_result(1)
            return result, point
    result, point = asyncio.run(go())
    assert isinstance(result, SweepResult) and len(result.to_pandas()) == 2
    assert point.spec["dynamics"]["lr"] == 0.05 and point.spec["seed"] == result.points[1]["seed"]
