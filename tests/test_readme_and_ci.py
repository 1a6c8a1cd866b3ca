"""README's two commands, .ci/run, and the settings table stay in step with the code."""

import ast
import re
import shlex
from pathlib import Path

from sgdlab.config import Settings
from sgdlab.limits import Limits

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def commands() -> list[str]:
    return [line.strip() for line in README.splitlines() if line.startswith("    python3 -m venv .venv")]


def test_readme_has_a_serve_command_and_a_test_command_that_build_their_environment():
    cmds = commands()
    assert len(cmds) == 2
    serve, test = cmds
    assert serve.startswith("python3 -m venv .venv && ") and serve.endswith("sgdlab serve")
    assert test.startswith("python3 -m venv .venv && ") and test.endswith("-m pytest")


def test_each_command_says_in_one_line_what_the_silent_install_does():
    for cmd in commands():
        steps = [step.strip() for step in cmd.split(" && ")]
        quiet = next(i for i, step in enumerate(steps) if " install -q " in step)
        say = [i for i, step in enumerate(steps) if step.startswith("echo ")]
        assert len(say) == 1 and say[0] == quiet - 1, cmd           # one line, right before the silent step
        words = shlex.split(steps[say[0]])[1:]
        assert len(words) == 1 and words[0].startswith("installing ") and "minute" in words[0]


def test_ci_runs_exactly_the_readme_test_command():
    lines = [ln.strip() for ln in (ROOT / ".ci/run").read_text().splitlines()
             if ln.strip() and not ln.strip().startswith("#")]
    assert lines[-1] == commands()[1]
    assert shlex.split(lines[-1])  # well-formed shell words


def test_settings_table_lists_every_setting_with_its_default():
    rows = dict(re.findall(r"^\| `(SGDLAB_[A-Z0-9_]+)` \| `([^`]*)` \|", README, flags=re.M))
    for name, field in Settings.model_fields.items():
        if name != "limits":
            assert f"SGDLAB_{name.upper()}" in rows, name
    for name, field in Limits.model_fields.items():
        key = f"SGDLAB_LIMITS__{name.upper()}"
        assert key in rows, key
        d = field.default
        assert rows[key] == (f"{d:g}" if isinstance(d, float) else str(d)), key


def test_limits_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("SGDLAB_LIMITS__MAX_PARTICLES", "123")
    monkeypatch.setenv("SGDLAB_API_KEYS", "a, b,")
    s = Settings()
    assert s.limits.max_particles == 123 and s.key_set == {"a", "b"}


def test_readme_table_columns_match_the_tables_module():
    from sgdlab.tables import TABLE_COLUMNS
    rows = dict(re.findall(r"^  \| (\w+) \| ([a-z0-9_, ()]+) \|$", README, flags=re.M))
    for name, cols in TABLE_COLUMNS.items():
        documented = [c.split(" (")[0].strip() for c in re.sub(r"\([^)]*\)", "", rows[name]).split(",")]
        assert documented == list(cols), name


def test_readme_python_example_runs_against_a_live_service(live_server, monkeypatch, capsys):
    block = re.search(r"```python\n(.*?)```", README, flags=re.S).group(1)
    monkeypatch.setenv("SGDLAB_URL", live_server)
    exec(compile(block, "README.md", "exec"), {})          # the README's own example, as a user would run it
    lines = capsys.readouterr().out.strip().splitlines()
    fractions = ast.literal_eval(lines[-2])
    assert set(fractions) == {0, 1} and abs(sum(fractions.values()) - 1) < 0.01
    assert fractions[0] > 0.2          # the cyclic schedule carried particles out of the shallow well 1


def test_readme_curl_job_gives_the_numbers_the_readme_shows(live_server):
    import json
    import time

    import httpx
    body = json.loads(re.search(r"/v1/jobs -H 'Content-Type: application/json' -d '(\{.*?\})'", README,
                                flags=re.S).group(1))
    job = httpx.post(f"{live_server}/v1/jobs", json=body, timeout=60).json()
    deadline = time.monotonic() + 300
    while httpx.get(f"{live_server}/v1/jobs/{job['id']}").json()["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.5)
    r = httpx.get(f"{live_server}/v1/jobs/{job['id']}/result", timeout=60).json()
    assert r["beta"] == 20.0
    assert [b["fraction"] for b in r["basins"]["final"]] == [0.0, 1.0]
    assert [round(f, 3) for f in r["gibbs"]["basin_fractions_theory"]] == [0.981, 0.019]
    e = r["exit_times"]
    assert e["escaped"] == 0 and e["censored"] == 100000
    assert round(e["kramers_steps"] / 1e8, 1) == 7.7 and round(e["exact_steps"] / 1e8, 1) == 7.9
