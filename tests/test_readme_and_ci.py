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


NUMBER = r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"


def last_digit(token: str) -> float:
    """The value of one unit in the last digit written: 0.73 -> 0.01, 1.9e5 -> 1e4, 269 -> 1."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def assert_shows(comment: str, values: list[float]) -> None:
    """Every number of a README comment is the value that ran, rounded to the digits the comment writes."""
    tokens = re.findall(NUMBER, comment)
    assert len(tokens) == len(values), (comment, values)
    for token, value in zip(tokens, values):
        assert abs(value - float(token)) <= 0.5 * last_digit(token) * (1 + 1e-9), (comment, token, value)


def test_readme_python_example_runs_against_a_live_service(live_server, monkeypatch, capsys):
    block = re.search(r"```python\n(.*?)```", README, flags=re.S).group(1)
    monkeypatch.setenv("SGDLAB_URL", live_server)
    exec(compile(block, "README.md", "exec"), {})          # the README's own example, as a user would run it
    lines = capsys.readouterr().out.strip().splitlines()
    comments = [line.split("# -> ")[1] for line in block.splitlines() if "print(" in line]
    assert len(comments) == 3
    printed = lines[-3:]
    fractions = ast.literal_eval(printed[0])
    assert set(fractions) == {0, 1} and abs(sum(fractions.values()) - 1) < 0.01
    assert fractions[0] > 0.2          # the cyclic schedule carried particles out of the shallow well 1
    assert_shows(comments[0].split("}")[0], [0, fractions[0], 1, fractions[1]])
    assert_shows(comments[1], [float(v) for v in printed[1].split()])
    warnings = ast.literal_eval(printed[2])
    assert list(warnings) == ["schedule", "not_mixed"]     # the gap the README explains, in the result's words
    assert_shows(comments[2], list(warnings.values()))


def test_readme_curl_job_gives_the_numbers_the_readme_shows(live_server):
    import json
    import time

    import httpx
    body = json.loads(re.search(r"/v1/jobs -H 'Content-Type: application/json' -d '(\{.*?\})'", README,
                                flags=re.S).group(1))
    def run(spec: dict) -> tuple[dict, dict]:
        job = httpx.post(f"{live_server}/v1/jobs", json=spec, timeout=60).json()
        deadline = time.monotonic() + 300
        while httpx.get(f"{live_server}/v1/jobs/{job['id']}").json()["status"] in ("queued", "running"):
            assert time.monotonic() < deadline
            time.sleep(0.5)
        return job, httpx.get(f"{live_server}/v1/jobs/{job['id']}/result", timeout=60).json()

    job, r = run(body)
    shown_202 = re.search(r'"warnings": \[\{"code": "large_lr", "value": ([0-9.]+), "threshold": ([0-9.]+)', README)
    warned = {w["code"]: w for w in job["warnings"]}
    assert list(warned) == ["large_lr"]
    assert_shows(" ".join(shown_202.groups()), [warned["large_lr"]["value"], warned["large_lr"]["threshold"]])
    assert r["beta"] == 20.0
    assert [b["fraction"] for b in r["basins"]["final"]] == [0.0, 1.0]
    assert [round(f, 3) for f in r["gibbs"]["basin_fractions_theory"]] == [0.981, 0.019]
    e = r["exit_times"]
    assert e["escaped"] == 0 and e["censored"] == 100000
    assert round(e["kramers_steps"] / 1e8, 1) == 7.7 and round(e["exact_steps"] / 1e8, 1) == 7.9

    # the README's splitting variant of the same job: the escape at beta*dL ~ 18 measured, against the theory
    lines = re.search(r"by rare-event splitting.*?\n((?:    #   .*\n)+)", README).group(1).splitlines()
    request = [ln.split("#", 1)[1].strip() for ln in lines]
    cut = next(i for i, ln in enumerate(request) if ln.startswith("->"))
    splitting = {**body, **json.loads("{" + " ".join(request[:cut]) + "}")}
    _, rs = run(splitting)
    x = rs["exit_times"]
    assert x["method"] == "splitting"
    assert_shows(" ".join(request[cut:]), [x["mean_steps"], *x["ci95"], x["transition_probability"],
                                           x["kramers_steps"], x["exact_steps"]])
