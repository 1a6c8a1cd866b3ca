"""Bounded attacks on a real `sgdlab serve` (loopback only): a slowloris, a connection flood, an SSE flood on a job
with megabytes of inline data, and a large table. While each runs, /healthz answers within 100 ms at p99 (measured
by a probe in its own process, on a new connection per request)."""

from __future__ import annotations

import json
import math
import os
import selectors
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import pytest

from server_process import ServerProcess

HEADER_TIMEOUT, BODY_TIMEOUT, MAX_CONNECTIONS = 1.0, 1.5, 350
P99_MS = 100.0
PROBE = Path(__file__).with_name("healthz_probe.py")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {"SGDLAB_HTTP_HEADER_TIMEOUT": str(HEADER_TIMEOUT), "SGDLAB_HTTP_BODY_TIMEOUT": str(BODY_TIMEOUT),
           "SGDLAB_HTTP_MAX_CONNECTIONS": str(MAX_CONNECTIONS), "SGDLAB_PROGRESS_INTERVAL": "0.5"}
    srv = ServerProcess(tmp_path_factory.mktemp("edge"), env=env, workers=1).start()
    yield srv
    srv.kill("term")


class Probe:
    """The latency probe process (healthz_probe.py): its samples arrive as it takes them; stopped by a file (and
    killed by `no_probe_left`)."""

    running: list["Probe"] = []

    def __init__(self, srv: ServerProcess, *paths: str, max_seconds: float = 120):
        self.paths = paths or ("/healthz",)
        self.stop_file = srv.data_dir / f"stop-{uuid.uuid4().hex}"
        self.proc = subprocess.Popen([sys.executable, str(PROBE), "127.0.0.1", str(srv.port), str(self.stop_file),
                                      str(max_seconds), *self.paths], stdout=subprocess.PIPE, text=True)
        self.ms: dict[str, list[float]] = {p: [] for p in self.paths}
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        Probe.running.append(self)

    def _read(self) -> None:
        for line in self.proc.stdout:
            path, ms = line.split()
            self.ms[path].append(float(ms))

    def count(self) -> int:
        return len(self.ms[self.paths[0]])

    def stop(self) -> dict[str, list[float]]:
        self.stop_file.touch()
        self.proc.wait(timeout=60)
        self._reader.join(timeout=10)
        return self.ms


def quiet_p99(srv: ServerProcess, samples: int = 150) -> float:
    """/healthz p99 of the idle server; when the machine is too loaded for it to be under 50 ms, no latency bound
    can be checked, and the test is skipped (saying so) rather than failed."""
    probe = Probe(srv)
    deadline = time.monotonic() + 30
    while probe.count() < samples and time.monotonic() < deadline:
        time.sleep(0.05)
    value = p99(probe.stop()["/healthz"])
    if value > P99_MS / 2:
        pytest.skip(f"the machine is too loaded to measure latency: idle /healthz p99 {value:.0f} ms")
    return value


def run_until(probe: Probe, samples: int, at_least: float, at_most: float, step=None) -> None:
    """Call `step()` (or sleep) until the probe has `samples` samples and `at_least` seconds passed."""
    start = time.monotonic()
    while time.monotonic() - start < at_most and (probe.count() < samples or time.monotonic() - start < at_least):
        step() if step else time.sleep(0.05)


@pytest.fixture(autouse=True)
def no_probe_left():
    """A test that fails mid-way leaves no probe process behind."""
    yield
    while Probe.running:
        p = Probe.running.pop()
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.communicate()


def p99(ms: list[float]) -> float:
    s = sorted(ms)
    return s[max(0, math.ceil(0.99 * len(s)) - 1)]


def report(name: str, ms: list[float], quiet: float) -> float:
    """p99 of the latencies, printed for the record (pytest -s shows it)."""
    value = p99(ms)
    print(f"\n{name}: /healthz p99 {value:.1f} ms, median {sorted(ms)[len(ms) // 2]:.1f} ms over {len(ms)} requests "
          f"(idle server: p99 {quiet:.1f} ms)")
    return value


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setblocking(False)
    return s


def test_slowloris_is_cut_off_while_healthz_stays_fast(server):
    """150 sockets trickle header bytes, 150 send headers and one body byte of a promised 1000: every one is cut off
    with a 408 once its deadline passes, and reopened, for 5 s or more (at most 3000 sockets in all)."""
    quiet = quiet_p99(server)
    fds_before = open_fds(server.proc.pid)
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
    body = (b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"
            b"\r\n{")
    sel = selectors.DefaultSelector()
    cut = {"headers": [], "body": []}
    opened = 0

    def open_one(kind: str) -> None:
        nonlocal opened
        s = _connect(server.port)
        s.send(head if kind == "headers" else body)
        sel.register(s, selectors.EVENT_READ, (kind, time.monotonic()))
        opened += 1

    probe = Probe(server)
    for _ in range(150):
        open_one("headers")
        open_one("body")
    next_trickle = 0.0

    def attack() -> None:
        nonlocal next_trickle
        for key, _ in sel.select(timeout=0.05):
            kind, t0 = key.data
            try:
                answer = key.fileobj.recv(4096)
            except ConnectionError:
                answer = b""
            cut[kind].append((time.monotonic() - t0, answer[:40]))
            sel.unregister(key.fileobj)
            key.fileobj.close()
            if opened < 3000:
                open_one(kind)
        if time.monotonic() > next_trickle:  # a slowloris keeps its headers coming, one byte at a time
            next_trickle = time.monotonic() + 0.3
            for key in list(sel.get_map().values()):
                if key.data[0] == "headers":
                    try:
                        key.fileobj.send(b"a")
                    except OSError:
                        pass

    run_until(probe, 300, 5.0, 30.0, attack)
    ms = probe.stop()["/healthz"]
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    sel.close()

    assert report("slowloris (300 sockets)", ms, quiet) < P99_MS
    assert max(ms) < 1e9, "a /healthz request failed"
    for kind, deadline in (("headers", HEADER_TIMEOUT), ("body", BODY_TIMEOUT)):
        assert len(cut[kind]) >= 150, (kind, len(cut[kind]))  # every first-round socket was cut off
        waits = [w for w, _ in cut[kind]]
        assert min(waits) > deadline * 0.8 and max(waits) < deadline + 1.5, (kind, min(waits), max(waits))
        assert all(a.startswith(b"HTTP/1.1 408") for _, a in cut[kind]), {a for _, a in cut[kind]}
    time.sleep(HEADER_TIMEOUT + 0.5)
    assert open_fds(server.proc.pid) <= fds_before + 5  # every descriptor came back


def test_connections_over_the_cap_are_closed_at_once(server):
    """350 connections is the cap: of 400 opened, 50 are closed at once (no answer: a reset or an EOF), the others
    wait for their header deadline (a 408), and a connection opened before keeps being served."""
    with httpx.Client(base_url=server.url, timeout=5) as kept:
        assert kept.get("/healthz").status_code == 200
        socks = [_connect(server.port) for _ in range(MAX_CONNECTIONS + 49)]  # with `kept`: 50 over the cap
        time.sleep(0.2)
        assert kept.get("/healthz").status_code == 200  # at the cap, on a connection already open
        time.sleep(HEADER_TIMEOUT + 1.0)
        refused, timed_out = 0, 0
        for s in socks:
            try:
                answer = s.recv(200)
            except BlockingIOError:
                answer = None
            except ConnectionError:
                answer = b""
            refused += answer == b""
            timed_out += bool(answer) and answer.startswith(b"HTTP/1.1 408")
            s.close()
    assert refused == 50 and timed_out == MAX_CONNECTIONS - 1, (refused, timed_out)
    assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200


def _insert_job(srv: ServerProcess, status: str, spec: dict, result: str | None = None) -> str:
    """A job row written straight into the server's store (a running one that costs no CPU, or a finished one)."""
    job_id = uuid.uuid4().hex
    now = "2026-01-01T00:00:00.000Z"
    db = sqlite3.connect(srv.data_dir / "jobs.sqlite3", timeout=30)
    with db:
        db.execute("INSERT INTO jobs (id, owner, kind, status, progress, spec, spec_hash, created_at, started_at, "
                   "finished_at, result) VALUES (?, '-', 'simulation', ?, 0.25, ?, 'x', ?, ?, ?, ?)",
                   (job_id, status, json.dumps(spec), now, now, now if status == "succeeded" else None, result))
    db.close()
    return job_id


def test_sse_flood_on_a_job_with_megabytes_of_inline_data(server):
    """80 event streams on a running job whose spec holds 3 MB of inline data: each poll reads the status only."""
    rng = np.random.default_rng(0)
    x = [round(float(v), 12) for v in rng.normal(size=90_000)]
    spec = {"landscape": {"finite_sum": {"per_sample": "(w - x)**2", "data": {"x": x, "y": x}}}, "particles": 10,
            "steps": 10}
    assert len(json.dumps(spec)) > 2_900_000
    quiet = quiet_p99(server)
    job = _insert_job(server, "running", spec)
    streams = []
    for _ in range(80):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(f"GET /v1/jobs/{job}/events HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        streams.append(s)
    time.sleep(0.5)
    probe = Probe(server, "/healthz", f"/v1/jobs/{job}")
    run_until(probe, 300, 4.0, 30.0)
    lat = probe.stop()
    assert httpx.delete(f"{server.url}/v1/jobs/{job}", timeout=10).status_code == 200
    ended = 0
    for s in streams:
        data, deadline = b"", time.monotonic() + 10
        while b"event: status" not in data and time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        ended += b"event: status" in data and b'"cancelled"' in data and b"event: progress" in data
        s.close()
    assert report("SSE flood (80 streams, 3 MB spec)", lat["/healthz"], quiet) < P99_MS
    assert p99(lat[f"/v1/jobs/{job}"]) < P99_MS, p99(lat[f"/v1/jobs/{job}"])
    assert ended == 80


def _histogram(rng, n: int, step: int | None) -> dict:
    edges = np.linspace(-2.0, 2.0, n + 1).tolist()
    counts = rng.integers(0, 50, size=n * n)
    density = counts / (counts.sum() * (4.0 / n) ** 2)
    return {"step": step, "edges": [edges, edges], "counts": counts.tolist(), "density": density.tolist()}


def test_large_table_streams_off_the_event_loop(server):
    """A 2-D histogram table of 500,000 rows (8 histograms of 250 x 250 bins, about 100 MB of JSON)."""
    rng = np.random.default_rng(1)
    snapshots = [_histogram(rng, 250, s) for s in range(10, 80, 10)]
    final = _histogram(rng, 250, None)
    result = {"job_id": "x", "spec": {"steps": 100, "particles": 1000}, "landscape": {"dim": 2, "minima": []},
              "histograms": {"final": final, "snapshots": snapshots}}
    text = json.dumps(result)
    job = _insert_job(server, "succeeded", {"steps": 100}, text)
    quiet = quiet_p99(server)
    rss_before = peak_rss_mb(server.proc.pid)
    probe = Probe(server)
    row, k = b'{"which":', 8  # k: bytes of a row start that can sit before a chunk boundary
    rows, size, tail = 0, 0, b""
    with httpx.stream("GET", f"{server.url}/v1/jobs/{job}/tables/histogram", timeout=300) as r:
        assert r.status_code == 200
        for chunk in r.iter_bytes():
            rows += chunk.count(row) + (tail + chunk[:k]).count(row)
            tail, size = chunk[-k:], size + len(chunk)
    got = httpx.get(f"{server.url}/v1/jobs/{job}/result", timeout=120)
    ms = probe.stop()["/healthz"]
    assert report(f"large table ({size / 1e6:.0f} MB of JSON)", ms, quiet) < P99_MS
    assert rows == 8 * 250 * 250 and size == int(r.headers["content-length"])
    assert got.content == text.encode()
    assert peak_rss_mb(server.proc.pid) - rss_before < 150  # the API never held the table (nor the parsed result)
    one = httpx.get(f"{server.url}/v1/jobs/{job}/tables/histogram", params={"step": 30}, timeout=120).json()
    assert len(one) == 250 * 250 and [r["count"] for r in one] == snapshots[2]["counts"]
    assert [r["density"] for r in one] == snapshots[2]["density"]


def test_serve_prints_where_it_listens(server):
    log = server.log_path.read_text()
    assert f"listening on http://127.0.0.1:{server.port} (dashboard /, API docs /docs)" in log


def test_a_request_in_flight_at_shutdown_gets_503(tmp_path):
    """SIGTERM while a large table is being built: past the grace period the request is answered 503, not 500."""
    srv = ServerProcess(tmp_path, env={"SGDLAB_SHUTDOWN_GRACE": "0.5"}, workers=1).start()
    try:
        rng = np.random.default_rng(2)
        result = {"spec": {"steps": 100}, "landscape": {"dim": 2, "minima": []},
                  "histograms": {"final": _histogram(rng, 250, None),
                                 "snapshots": [_histogram(rng, 250, s) for s in range(10, 40, 10)]}}
        job = _insert_job(srv, "succeeded", {"steps": 100}, json.dumps(result))
        answer = {}

        def fetch():
            answer["r"] = httpx.get(f"{srv.url}/v1/jobs/{job}/tables/histogram", timeout=120)

        t = threading.Thread(target=fetch)
        t.start()
        time.sleep(1.0)  # the table is being built in the render pool
        srv.proc.terminate()
        t.join(timeout=60)
        r = answer["r"]
        assert r.status_code == 503, (r.status_code, r.text[:200])
        assert r.json()["type"].endswith("shutting-down") and r.headers["retry-after"]
        srv.proc.wait(timeout=30)
    finally:
        srv.kill("term")
