"""Sweeps against separate jobs, on a real `sgdlab serve` on loopback (2 workers by default).

1. 16 small points as one sweep against the same 16 jobs submitted separately (all at once): wall time ratio
   (target: the sweep within 1.2x), and how busy the workers were (sum of the points' worker seconds over
   wall time x workers).
2. Per-point overhead: a sweep of 16 one-particle, one-step points; its wall time per point (target < 50 ms),
   beside the same 16 tiny jobs submitted separately.

    python bench/bench_sweeps.py [--points 16] [--particles 40000] [--steps 400] [--workers 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import httpx

sys.path.insert(0, os.path.dirname(__file__))
from bench_load import start_server  # noqa: E402

BASE = {"landscape": {"builtin": "double_well", "params": {"tilt": 0.1}}, "dynamics": {"batch_size": 2},
        "observe": {"histogram": {"bins": 50}}}
BARE = {**BASE, "observe": {"histogram": None, "basins": False, "gibbs": False}}
"""Observing nothing: a point's own work is next to nothing, what is left of its wall time is overhead."""


def wait_all(client: httpx.Client, ids: list[str]) -> None:
    pending = set(ids)
    while pending:
        for job_id in list(pending):
            if client.get(f"/v1/jobs/{job_id}").json()["status"] in ("succeeded", "failed", "cancelled"):
                pending.discard(job_id)
        time.sleep(0.01)


def separate(client: httpx.Client, lrs: list[float], particles: int, steps: int, base: dict = BASE
             ) -> tuple[float, float]:
    """Wall seconds of the jobs submitted all at once, and their summed worker seconds."""
    t0 = time.perf_counter()
    ids = [client.post("/v1/jobs", json={**base, "dynamics": {**base["dynamics"], "lr": lr}, "particles": particles,
                                         "steps": steps, "seed": k}).json()["id"] for k, lr in enumerate(lrs)]
    wait_all(client, ids)
    wall = time.perf_counter() - t0
    work = sum(client.get(f"/v1/jobs/{i}/result").json()["performance"]["worker_seconds"] for i in ids)
    return wall, work


def sweep(client: httpx.Client, lrs: list[float], particles: int, steps: int, base: dict = BASE
          ) -> tuple[float, float]:
    """Wall seconds of one sweep over the same points, and its points' summed worker seconds."""
    t0 = time.perf_counter()
    r = client.post("/v1/jobs", json={"kind": "sweep", "base": {**base, "particles": particles, "steps": steps},
                                      "axes": [{"path": "dynamics.lr", "values": lrs}]})
    job_id = r.json()["id"]
    wait_all(client, [job_id])
    wall = time.perf_counter() - t0
    res = client.get(f"/v1/jobs/{job_id}/result").json()
    work = sum(client.get(p["result"]).json()["performance"]["worker_seconds"] for p in res["points"])
    return wall, work


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=16)
    ap.add_argument("--particles", type=int, default=40_000)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3, help="alternate runs of each; the fastest of each is shown "
                                                           "(the machine may be shared)")
    args = ap.parse_args()
    os.environ["SGDLAB_WORKERS"] = str(args.workers)
    lrs = [round(0.01 + 0.004 * k, 6) for k in range(args.points)]
    with tempfile.TemporaryDirectory() as data:
        proc, url = start_server(data, 1000)
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                separate(client, lrs[:2], 1000, 10)                       # warm up (numba caches, pools)
                runs = [(sweep(client, lrs, args.particles, args.steps),
                         separate(client, lrs, args.particles, args.steps)) for _ in range(args.repeats)]
                (sw, sw_work), (sep, sep_work) = min(r[0] for r in runs), min(r[1] for r in runs)
                print(f"{args.points} points of {args.particles} particles x {args.steps} steps, "
                      f"{args.workers} workers, fastest of {args.repeats} alternating runs")
                print(f"  separate jobs: {sep:7.3f} s   workers busy {sep_work / (sep * args.workers):6.1%}")
                print(f"  one sweep:     {sw:7.3f} s   workers busy {sw_work / (sw * args.workers):6.1%}")
                print(f"  sweep / separate = {sw / sep:.3f}  (target <= 1.2)")
                tiny_sw, _ = sweep(client, lrs, 1, 1, BARE)
                tiny_sep, _ = separate(client, lrs, 1, 1, BARE)
                print(f"{args.points} one-particle, one-step points observing nothing")
                print(f"  one sweep:     {tiny_sw:7.3f} s = {1000 * tiny_sw / args.points:6.1f} ms per point "
                      "(target < 50 ms)")
                print(f"  separate jobs: {tiny_sep:7.3f} s = {1000 * tiny_sep / args.points:6.1f} ms per job")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
