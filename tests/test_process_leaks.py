"""The suite fails when it leaves a process behind, and a SIGKILLed server takes its whole process group along."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from server_process import ServerProcess

TESTS = Path(__file__).resolve().parent

LEAKY = '''
import subprocess, sys
def test_starts_a_process_and_forgets_it(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    (tmp_path.parent.parent / "leaked.pid").write_text(str(proc.pid))
'''


def test_a_run_that_leaves_a_process_behind_fails_and_kills_it(tmp_path):
    (tmp_path / "test_leaky.py").write_text(LEAKY)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
           "SGDLAB_LEAK_GRACE_SECONDS": "0.5"}
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "process_leaks", "-p", "no:cacheprovider", "-q",
                           "--basetemp", str(tmp_path / "base"), str(tmp_path / "test_leaky.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert "1 passed" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode == 1, proc.stdout
    assert "left 1 process(es) behind (now killed)" in proc.stdout and "time.sleep(120)" in proc.stdout
    leaked = int((tmp_path / "leaked.pid").read_text())
    assert not psutil.pid_exists(leaked) or psutil.Process(leaked).status() == psutil.STATUS_ZOMBIE


def test_kill_ends_the_servers_whole_process_group(tmp_path):
    server = ServerProcess(tmp_path, workers=2).start()
    try:
        # a job makes the pool start its workers (forkserver children, in the server's process group)
        job = {"landscape": {"builtin": "double_well"}, "dynamics": {"lr": 0.05, "batch_size": 1},
               "particles": 2000, "steps": 50, "seed": 1}
        job_id = httpx.post(f"{server.url}/v1/jobs", json=job, timeout=30).json()["id"]
        deadline = time.monotonic() + 60
        while httpx.get(f"{server.url}/v1/jobs/{job_id}", timeout=30).json()["status"] != "succeeded":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        group = [p for p in psutil.Process(server.proc.pid).children(recursive=True)]
        assert len(group) >= 3  # forkserver, manager, resource tracker, workers
    finally:
        server.kill("kill")
    _, alive = psutil.wait_procs(group, timeout=10)
    assert alive == []
