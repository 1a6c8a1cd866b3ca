"""The `sgdlab-client` command end to end against the live server: JSON out, readable errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sgdlab_client import cli
from sgdlab_client.errors import Problem, ValidationError

SPEC = {"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}}, "dynamics": {"lr": 0.05, "batch_size": 2},
        "particles": 500, "steps": 200, "seed": 9}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_submit_wait_result_status_list(live_server, tmp_path, capsys):
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC))
    out_file = tmp_path / "result.json"
    code, out, err = run(capsys, "--url", live_server, "submit", str(spec), "--wait", "-o", str(out_file))
    assert code == 0, err
    status = json.loads(out)
    assert status["status"] == "succeeded" and "100.0%" in err and "submitted job" in err
    result = json.loads(out_file.read_text())
    assert result["job_id"] == status["id"] and result["spec"]["particles"] == 500

    again = tmp_path / "again.json"
    code, _, _ = run(capsys, "--url", live_server, "result", status["id"], "-o", str(again))
    assert code == 0 and json.loads(again.read_text())["job_id"] == status["id"]
    code, out, _ = run(capsys, "--url", live_server, "status", status["id"])
    assert code == 0 and json.loads(out)["status"] == "succeeded"
    code, out, _ = run(capsys, "--url", live_server, "list", "--status", "succeeded")
    assert code == 0 and status["id"] in out
    code, out, err = run(capsys, "--url", live_server, "cancel", status["id"])
    assert code == cli.EXIT_API_ERROR and "409" in err and out == ""


def test_markov_and_landscapes(live_server, tmp_path, capsys):
    matrix = tmp_path / "p.json"
    matrix.write_text(json.dumps([[0.1, 0.4, 0.5], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3]]))
    code, out, _ = run(capsys, "--url", live_server, "markov", str(matrix), "--steps", "5")
    assert code == 0 and json.loads(out)["stationary"] == pytest.approx([29 / 133, 53 / 133, 51 / 133])
    code, out, _ = run(capsys, "--url", live_server, "landscapes")
    assert code == 0 and "double_well" in out and "tilt=" in out


def test_invalid_spec_gives_a_readable_message(live_server, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**SPEC, "dynamics": {"lr": 0.05, "batch_size": 0}}))
    code, out, err = run(capsys, "--url", live_server, "submit", str(bad))
    assert code == cli.EXIT_API_ERROR and out == ""
    assert err.startswith("error: 422") and "dynamics.batch_size" in err and "Traceback" not in err
    # the server reports every schema error; the CLI prints each of them exactly once (not again in the detail)
    several = tmp_path / "several.json"
    several.write_text(json.dumps({**SPEC, "dynamics": {"lr": -1, "batch_size": 0}, "particles": 0}))
    code, _, err = run(capsys, "--url", live_server, "submit", str(several))
    assert code == cli.EXIT_API_ERROR
    assert err.count("Input should be greater than 0") == 1, err
    for field in ("dynamics.lr", "dynamics.batch_size", "particles"):
        assert err.count(f"- {field}: ") == 1 and err.count(field) == 1, err
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    code, _, err = run(capsys, "--url", live_server, "submit", str(broken))
    assert code == cli.EXIT_USAGE and "not valid JSON" in err and "line 1" in err
    code, _, err = run(capsys, "--url", live_server, "status", "no-such-job")
    assert code == cli.EXIT_API_ERROR and "404" in err


def test_describe_error_keeps_a_detail_that_says_more_and_drops_repeated_errors():
    errors = [{"field": "a", "message": "bad"}, {"field": "a", "message": "bad"}, {"field": "b", "message": "worse"}]
    repeated = ValidationError(422, Problem(title="Validation Error", detail="a: bad; b: worse", errors=errors))
    assert cli.describe_error(repeated) == "error: 422 Validation Error\n  - a: bad\n  - b: worse"
    informative = ValidationError(422, Problem(title="Validation Error", detail="the body was refused", errors=errors))
    assert cli.describe_error(informative).splitlines()[1] == "  the body was refused"


def test_wrong_url_is_a_readable_connection_error(tmp_path):
    env = {**os.environ, "SGDLAB_URL": "http://127.0.0.1:9"}
    proc = subprocess.run([sys.executable, "-m", "sgdlab_client.cli", "--max-retries", "1", "landscapes"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == cli.EXIT_UNREACHABLE
    assert "cannot reach sgdlab at http://127.0.0.1:9" in proc.stderr and "Traceback" not in proc.stderr


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "sgdlab-client"
    proc = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "submit" in proc.stdout and "markov" in proc.stdout
