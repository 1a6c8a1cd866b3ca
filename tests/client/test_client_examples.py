"""Every example runs against the live server with --small and prints numbers that say what the example claims."""

from __future__ import annotations

import json
import math
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "clients" / "python" / "examples"


def run_example(name: str, url: str, terminal: bool = False) -> dict:
    """Run one example script with small sizes; return its `RESULT` JSON. With `terminal`, its stderr is a
    pseudo-terminal (as for a user at a shell) and must show progress bars; otherwise it must show none."""
    env = {**os.environ, "SGDLAB_URL": url}
    if terminal:
        stdout, stderr, code = _run_with_terminal_stderr([sys.executable, str(EXAMPLES / name), "--small"], env)
        assert " queued" in stderr and "100.0%" in stderr and "[" + "#" * 30 + "]" in stderr, stderr[-2000:]
    else:
        proc = subprocess.run([sys.executable, str(EXAMPLES / name), "--small"], env=env, capture_output=True,
                              text=True, timeout=300)
        stdout, stderr, code = proc.stdout, proc.stderr, proc.returncode
        assert "\r" not in stderr and "%" not in stderr, stderr[-2000:]   # no bars into a pipe or a log file
    assert code == 0, stderr[-3000:]
    lines = [l for l in stdout.splitlines() if l.startswith("RESULT ")]
    assert len(lines) == 1 and stdout.rstrip().splitlines()[-1] == lines[0]
    return json.loads(lines[0][len("RESULT "):])


def _run_with_terminal_stderr(argv: list[str], env: dict[str, str]) -> tuple[str, str, int]:
    """Run argv with stderr on a pseudo-terminal (drained by a thread), stdout on a pipe."""
    master, slave = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO once the child closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=slave, text=True, timeout=300)
    finally:
        os.close(slave)
        reader.join(timeout=10)
        os.close(master)
    return proc.stdout, b"".join(chunks).decode(errors="replace"), proc.returncode


def test_double_well_matches_gibbs_and_cools_into_the_deep_well(live_server):
    rows = run_example("01_double_well_gibbs.py", live_server, terminal=True)["rows"]
    temperatures = [r["temperature"] for r in rows]
    deep = [r["deep_fraction"] for r in rows]
    assert temperatures == sorted(temperatures) and deep == sorted(deep, reverse=True)
    assert deep[0] > 0.95 and deep[-1] < 0.8  # cold concentrates, hot flattens
    for r in rows:  # sampling error plus a small allowance for the finite-lr bias
        assert abs(r["deep_fraction"] - r["deep_fraction_gibbs"]) < 4 * r["stderr"] + 0.01


def test_linear_scaling_rule(live_server):
    out = run_example("02_linear_scaling.py", live_server)
    assert abs(out["same_temperature"]["deep_fraction_z"]) < 4
    assert abs(out["same_temperature"]["variance_z"]) < 4
    assert abs(out["double_temperature"]["deep_fraction_z"]) > 8
    assert abs(out["double_temperature"]["variance_z"]) > 8
    assert out["chi2_pvalues"]["0-1"] > 1e-3 and out["chi2_pvalues"]["0-2"] < 1e-6 and out["chi2_pvalues"]["1-2"] < 1e-6


def test_escape_times_follow_arrhenius_and_theory(live_server):
    out = run_example("03_escape_times.py", live_server)
    assert out["slopes"]["measured"] == pytest.approx(1.0, abs=0.15)
    assert max(r["beta_barrier"] for r in out["rows"] if r["method"] == "splitting") >= 30
    assert out["sweep_fit"]["slope"] == pytest.approx(1.0, abs=0.15)
    for r in out["rows"]:
        assert r["ci95"][0] < r["mean_steps"] < r["ci95"][1]
        assert math.isclose(r["mean_steps"], r["exact_steps"], rel_tol=0.2)
        assert math.isclose(r["mean_steps"], r["kramers_steps"], rel_tol=0.3)
    coldest = max(out["rows"], key=lambda r: r["beta_barrier"])
    assert coldest["cost_particle_steps"] < 1e-4 * coldest["exact_steps"]     # far cheaper than one direct escape


def test_schedules_escape_bad_minima(live_server):
    f = run_example("04_escaping_bad_minima.py", live_server)["fractions"]

    def z(a: str, b: str) -> float:
        return (f[a]["global_fraction"] - f[b]["global_fraction"]) / math.hypot(f[a]["stderr"], f[b]["stderr"])

    assert f["constant"]["global_fraction"] < 0.05
    assert z("cyclic", "constant") > 10 and z("cosine_restarts", "constant") > 10
    assert z("inverse_log", "exponential") > 4


def test_markov_chain_converges_with_monotone_kl(live_server):
    out = run_example("05_markov_chain.py", live_server)
    assert out["stationary"] == pytest.approx([29 / 133, 53 / 133, 51 / 133], abs=1e-12)
    assert out["stationarity_residual"] < 1e-12 and out["kl_increases"] == 0
    assert out["kl_to_stationary"][0] == pytest.approx(math.log(133 / 29), rel=1e-9)  # KL(delta_0 || pi)
    assert out["kl_to_stationary"][-1] < 1e-12


def test_sgd_noise_picks_the_quieter_well_and_sets_the_temperature(live_server):
    out = run_example("06_sgd_noise.py", live_server)
    well, temp = out["well"], out["temperature"]
    assert well["stationary_law"] == "fokker_planck" and well["mixed"] and "not_mixed" not in well["warnings"]
    assert well["gibbs"] == pytest.approx(0.5, abs=0.01)          # equal losses: Gibbs cannot choose
    assert well["measured"] > 0.6 and well["stationary"] > 0.6     # the noise does
    # sampling error plus 0.005 for particles still in the loud well: its exit time is ~1e4 steps, so after the
    # run's 8 exit times about 0.5 exp(-8) = 2e-4 of the mass is left there (about 0.4 of 2000 particles)
    assert abs(well["measured"] - well["stationary"]) < 4 * well["stderr"] + 0.005
    se = temp["beta_fit_stderr"]
    assert temp["beta_theory"] == pytest.approx(temp["beta_data_noise"], rel=1e-9)   # 2B/(lr Var)
    # within 3 stderr of 2B/(lr Var), plus the chain's O(lr) gap to its own discrete-time variance (exact here)
    assert abs(temp["beta_fit"] - temp["beta_data_noise"]) < 3 * se + abs(temp["beta_data_noise"] - temp["beta_discrete"])
    assert abs(temp["beta_fit"] - temp["beta_discrete"]) < 3 * se
    assert abs(temp["beta_fit"] - temp["beta_contract"]) > 50 * se                     # not the contract's 2B/lr
