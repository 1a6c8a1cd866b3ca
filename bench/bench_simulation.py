"""Simulation throughput: the Langevin loop against NumPy's fastest normal draws, worker scaling, minibatch SGD
cost per sample, and peak memory for 10^7 particles. Prints figures and ratios measured in this run.
These are the NumPy backend's figures (`dynamics.backend: "numpy"`); bench_kernels.py compares the compiled one.

    python bench/bench_simulation.py            # full sizes (about three minutes on 2 cores)
    python bench/bench_simulation.py --quick    # 10x smaller
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time

import numpy as np


def normals_rate(count: int, block: int) -> float:
    """Normals per second drawn in place by the fastest Generator (SFC64, float64, `out=`), same blocking."""
    rng = np.random.Generator(np.random.SFC64(1))
    buf = np.empty((block, 1))
    draws = count // block
    t = time.perf_counter()
    for _ in range(draws):
        rng.standard_normal(out=buf)
    return draws * block / (time.perf_counter() - t)


def simulate_rate(spec: dict) -> tuple[float, float, float]:
    """One-core in-process simulation: particle-steps/s of the shard loop (observers included), end-to-end
    particle-steps/s (planning and the result document included), and wall seconds."""
    from sgdlab.core.simulation.run import simulate
    t = time.perf_counter()
    r = simulate(spec)
    secs = time.perf_counter() - t
    perf = r["performance"]
    return perf["particle_steps"] / perf["worker_seconds"], perf["particle_steps"] / secs, secs


def executor_seconds(spec: dict, workers: int) -> float:
    """Wall seconds of a job on the local executor with `workers` processes (pool already started)."""
    from sgdlab.jobs.executors.local import LocalExecutor
    from sgdlab.jobs.work import make_work
    from sgdlab.spec import JobRequest
    ex = LocalExecutor(workers)
    try:
        # warm every worker as a running service's are (started, preloaded, kernels loaded): a small job first
        warm = make_work(JobRequest.model_validate({**spec, "particles": 200_000, "steps": 2}))
        for _ in range(2):
            warm.finish(ex.run(warm, "warm", lambda p: None, threading.Event(), time.time() + 3600), 1.0, "warm")
        work = make_work(JobRequest.model_validate(spec))
        t = time.perf_counter()
        results = ex.run(work, "bench", lambda p: None, threading.Event(), time.time() + 3600)
        work.finish(results, 1.0, "bench")
        return time.perf_counter() - t
    finally:
        ex.close()


def peak_memory_mib(particles: int, steps: int) -> float:
    """Peak resident memory (MiB) of a fresh process simulating `particles` in 1-D."""
    code = ("import resource, sys; from sgdlab.core.simulation.run import simulate; "
            f"simulate({{'landscape': {{'builtin': 'double_well'}}, 'dynamics': {{'backend': 'numpy'}}, "
            f"'particles': {particles}, 'steps': {steps}, "
            "'observe': {'histogram': {'bins': 200}, 'basins': True, 'gibbs': True}}); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    scale = 10 if a.quick else 1
    particles, steps = 1_000_000 // scale, 1000
    figures: dict = {}

    dw = {"landscape": {"builtin": "double_well"}, "dynamics": {"method": "langevin", "lr": 0.01, "backend": "numpy"},
          "particles": particles, "steps": steps, "observe": {"histogram": {"bins": 200}, "basins": True,
                                                              "gibbs": False}}
    from sgdlab.core.dynamics.methods import block_size_for
    from sgdlab.core.simulation.plan import landscape_of
    from sgdlab.spec import JobRequest
    spec = JobRequest.model_validate(dw)
    block = block_size_for(landscape_of(spec.landscape), spec.dynamics)
    simulate_rate({**dw, "particles": 1000, "steps": 10})            # warm imports and caches
    # interleaved, best of two each: this machine's neighbours make single runs vary by +-15%
    rate_normals = rate_sim = rate_e2e = 0.0
    for _ in range(2):
        rate_normals = max(rate_normals, normals_rate(particles * steps, block))
        loop, e2e, secs = simulate_rate(dw)
        rate_sim, rate_e2e = max(rate_sim, loop), max(rate_e2e, e2e)
    figures["langevin_1d"] = {"particles": particles, "steps": steps, "block": block,
                              "loop_particle_steps_per_s": round(rate_sim), "end_to_end_per_s": round(rate_e2e),
                              "normals_per_s": round(rate_normals),
                              "ratio_to_normals": round(rate_sim / rate_normals, 3), "goal": ">= 0.7"}
    print(f"langevin 1-D double well, {particles:.0e} x {steps}: loop {rate_sim / 1e6:.1f} M particle-steps/s "
          f"(end to end {rate_e2e / 1e6:.1f} M/s); normal draws alone {rate_normals / 1e6:.1f} M/s; "
          f"ratio {rate_sim / rate_normals:.2f} (goal >= 0.7)")

    if (os.cpu_count() or 1) >= 2:
        one = executor_seconds(dw, 1)
        two = executor_seconds(dw, 2)
        figures["workers"] = {"one_worker_s": round(one, 2), "two_workers_s": round(two, 2),
                              "speedup": round(one / two, 2), "goal": ">= 1.8"}
        print(f"local executor: 1 worker {one:.2f} s, 2 workers {two:.2f} s, speedup {one / two:.2f}x (goal 1.8x)")

    from sgdlab.core.landscapes.datasets import linear_regression
    data = linear_regression(1000, 2, 0.5, 0)
    mb_particles, mb_steps, B = 20_000 // scale, 200, 32
    mb = {"landscape": {"finite_sum": {"per_sample": "0.5*(x1*w1 + x2*w2 - y)**2", "variables": ["w1", "w2"],
                                       "data": {k: list(map(float, v)) for k, v in data.items()}}},
          "dynamics": {"method": "minibatch_sgd", "lr": 0.05, "batch_size": B, "backend": "numpy"},
          "particles": mb_particles,
          "steps": mb_steps, "init": {"normal": {"mean": [0, 0], "std": 1}},
          "observe": {"histogram": {"bins": 50}, "basins": False, "gibbs": False}}
    for repl in (True, False):
        spec_mb = {**mb, "dynamics": {**mb["dynamics"], "replacement": repl}}
        r, _, _ = simulate_rate(spec_mb)
        ns = 1e9 / (r * B)
        figures[f"minibatch_sgd_replacement_{repl}"] = {"particle_steps_per_s": round(r),
                                                        "ns_per_particle_sample": round(ns, 2)}
        print(f"minibatch_sgd n=1000 B=32 d=2 replacement={repl}: {r / 1e6:.2f} M particle-steps/s, "
              f"{ns:.1f} ns per particle-sample")

    big = 10_000_000 // scale
    mib = peak_memory_mib(big, 20)
    figures["peak_memory"] = {"particles": big, "peak_rss_mib": round(mib), "goal": "< 1024"}
    print(f"peak memory, {big:.0e} particles in 1-D: {mib:.0f} MiB (goal < 1024)")
    print("JSON " + json.dumps(figures))


if __name__ == "__main__":
    main()
