"""A real `sgdlab serve` child process on loopback, for end-to-end tests (start, wait until ready, kill)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A `python -m sgdlab serve` child process on loopback; start, wait until ready, kill."""

    def __init__(self, data_dir: Path, port: int | None = None, env: dict[str, str] | None = None, workers: int = 2):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.workers = workers
        self.proc: subprocess.Popen | None = None
        self.log_path = self.data_dir / f"server-{self.port}.log"

    def start(self, timeout: float = 60.0) -> "ServerProcess":
        """Start the process and block until /readyz answers 200."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sgdlab", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--data-dir", str(self.data_dir), "--workers", str(self.workers)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/readyz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"server not ready after {timeout}s: {self.log_path.read_text()[-3000:]}")

    def kill(self, sig: str = "kill") -> None:
        """Stop the process: `kill` (SIGKILL, a crash) or `term` (graceful)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill() if sig == "kill" else self.proc.terminate()
            self.proc.wait(timeout=30)
        if self.proc:   # its worker processes too (after a SIGKILL they would outlive it as orphans)
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
