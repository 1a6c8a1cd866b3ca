"""Shared fixtures: a real `sgdlab serve` process on loopback for end-to-end, client and dashboard tests; and a
check that the run leaves no process behind (tests/process_leaks.py)."""

from __future__ import annotations

import pytest

from server_process import ServerProcess

pytest_plugins = ["process_leaks"]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> str:
    """Base URL of a real `sgdlab serve` process (open, no API keys) shared by the whole session."""
    server = ServerProcess(tmp_path_factory.mktemp("live-server")).start()
    yield server.url
    server.kill("term")
