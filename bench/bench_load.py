"""Load: 500 submissions from 50 concurrent clients against a real `sgdlab serve` on loopback.

Prints submission latency (p50, p99), the status codes (only 202 and intended 429s are acceptable), and checks
that every accepted job finishes `succeeded` (none lost). The queue bound is lowered so the 429 path is exercised.

    python bench/bench_load.py [--clients 50] [--per-client 10] [--max-queue 150]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx

JOB = {"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}}, "dynamics": {"lr": 0.05},
       "particles": 2000, "steps": 200, "observe": {"histogram": {"bins": 50}}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: str, max_queue: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "SGDLAB_LIMITS__MAX_QUEUE": str(max_queue), "SGDLAB_LOG_LEVEL": "warning"}
    proc = subprocess.Popen([sys.executable, "-m", "sgdlab", "serve", "--port", str(port), "--data-dir", data_dir],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not become ready")


async def client_loop(client: httpx.AsyncClient, n: int, seed0: int, out: list) -> None:
    for k in range(n):
        t = time.perf_counter()
        r = await client.post("/v1/jobs", json={**JOB, "seed": seed0 + k})
        out.append((r.status_code, time.perf_counter() - t, r.json().get("id") if r.status_code == 202 else None,
                    r.headers.get("retry-after")))


async def run(url: str, clients: int, per_client: int) -> list:
    out: list = []
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as c:
        await asyncio.gather(*(client_loop(c, per_client, 1000 * i, out) for i in range(clients)))
    return out


def server_side_quantiles(url: str, qs=(0.5, 0.99)) -> dict:
    """Upper bucket bounds of the server's own POST /v1/jobs latency histogram (excludes client-side queueing)."""
    buckets = []
    for line in httpx.get(url + "/metrics", timeout=30).text.splitlines():
        if line.startswith("sgdlab_http_request_duration_seconds_bucket{") and 'route="/v1/jobs"' in line \
                and 'method="POST"' in line:
            le = line.split('le="')[1].split('"')[0]
            buckets.append((float("inf") if le == "+Inf" else float(le), float(line.rsplit(" ", 1)[1])))
    buckets.sort()
    total = buckets[-1][1] if buckets else 0
    return {q: next((le for le, c in buckets if c >= q * total), None) for q in qs}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--per-client", type=int, default=10)
    ap.add_argument("--max-queue", type=int, default=150)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        proc, url = start_server(d, a.max_queue)
        try:
            # baseline in the same run: one client, one submission at a time, on the idle service
            base = asyncio.run(run(url, 1, 20))
            base_p50 = sorted(l for _, l, *_ in base)[len(base) // 2] * 1000
            for _, _, job_id, _ in base:
                while httpx.get(f"{url}/v1/jobs/{job_id}", timeout=30).json()["status"] in ("queued", "running"):
                    time.sleep(0.2)
            t0 = time.perf_counter()
            out = asyncio.run(run(url, a.clients, a.per_client))
            wall = time.perf_counter() - t0
            server_q = server_side_quantiles(url)
            codes = collections.Counter(s for s, *_ in out)
            lat = sorted(l for _, l, *_ in out)
            p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
            accepted = [i for s, _, i, _ in out if s == 202]
            bad_429 = [ra for s, _, _, ra in out if s == 429 and not ra]
            deadline = time.monotonic() + 600
            pending = set(accepted)
            statuses = collections.Counter()
            while pending and time.monotonic() < deadline:
                for job_id in list(pending):
                    st = httpx.get(f"{url}/v1/jobs/{job_id}", timeout=30).json()["status"]
                    if st in ("succeeded", "failed", "cancelled"):
                        statuses[st] += 1
                        pending.discard(job_id)
                time.sleep(0.5)
            drained = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(30)
    unexpected = {k: v for k, v in codes.items() if k not in (202, 429)}
    print(f"{len(out)} submissions from {a.clients} clients in {wall:.2f} s ({len(out) / wall:.0f}/s)")
    print(f"submission latency p50 {p(0.5):.1f} ms, p99 {p(0.99):.1f} ms, max {lat[-1] * 1000:.1f} ms; "
          f"baseline (1 client, idle) p50 {base_p50:.1f} ms; ratio p50/baseline {p(0.5) / base_p50:.0f}x")
    print(f"server-side POST /v1/jobs time (from its own histogram, bucket upper bounds): "
          f"p50 <= {server_q[0.5] * 1000:.0f} ms, p99 <= {server_q[0.99] * 1000:.0f} ms")
    print(f"status codes: {dict(codes)} (429 = queue full, max_queue={a.max_queue}; all carry Retry-After: "
          f"{not bad_429})")
    print(f"accepted {len(accepted)}: {dict(statuses)}; still pending {len(pending)}; all done after {drained:.1f} s")
    ok = not unexpected and not bad_429 and not pending and statuses.get("succeeded", 0) == len(accepted)
    print("RESULT " + json.dumps({"submissions": len(out), "p50_ms": round(p(0.5), 1), "p99_ms": round(p(0.99), 1),
                                  "baseline_p50_ms": round(base_p50, 1),
                                  "server_p50_le_ms": server_q[0.5] * 1000, "server_p99_le_ms": server_q[0.99] * 1000,
                                  "codes": dict(codes), "accepted": len(accepted), "succeeded": statuses["succeeded"],
                                  "lost": len(pending), "ok": ok}))
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
