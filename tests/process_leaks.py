"""A pytest plugin that fails the run when it leaves processes behind (servers, pool workers, clusters).

Every process the run starts inherits the environment variable SGDLAB_TEST_SESSION with a value unique to this
run; at the end of the session any live process carrying it, other than pytest itself and the multiprocessing
helpers that exit with it, is reported, killed, and makes the exit status 1.
"""

from __future__ import annotations

import os
import time
import uuid

import psutil
import pytest

TAG = "SGDLAB_TEST_SESSION"
GRACE_ENV = "SGDLAB_LEAK_GRACE_SECONDS"
#: children of pytest itself that multiprocessing keeps for the interpreter's lifetime and that exit with it
OWN_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def pytest_configure(config: pytest.Config) -> None:
    """Tag this run: every child process inherits the tag through its environment."""
    os.environ[TAG] = uuid.uuid4().hex


def tagged_processes(tag: str) -> list[psutil.Process]:
    """Live processes (not zombies) carrying `tag`, except pytest and its own multiprocessing helpers."""
    me = os.getpid()
    found = []
    for proc in psutil.process_iter(["pid", "ppid", "cmdline", "status"]):
        if proc.pid == me or proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        try:
            if proc.environ().get(TAG) != tag:
                continue
        except (psutil.Error, OSError):
            continue
        cmdline = " ".join(proc.info["cmdline"] or [])
        if proc.info["ppid"] == me and any(helper in cmdline for helper in OWN_HELPERS):
            continue
        found.append(proc)
    return found


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After all fixtures are torn down: wait briefly for stragglers, then report, kill and fail on leftovers."""
    tag = os.environ.get(TAG)
    if not tag:
        return
    deadline = time.monotonic() + float(os.environ.get(GRACE_ENV, "10"))
    left = tagged_processes(tag)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = tagged_processes(tag)
    if not left:
        return
    lines = []
    for proc in left:
        try:
            lines.append(f"pid {proc.pid} (parent {proc.ppid()}): {' '.join(proc.cmdline())[:160]}")
            proc.kill()
        except psutil.Error:
            continue
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    header = f"the test run left {len(lines)} process(es) behind (now killed)"
    if reporter is not None:
        reporter.write_sep("=", header, red=True)
        for line in lines:
            reporter.write_line(line)
    else:  # pragma: no cover - run without the terminal plugin
        print(header, *lines, sep="\n")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
