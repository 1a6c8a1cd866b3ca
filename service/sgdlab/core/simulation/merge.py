"""Merge shard records into one: counts add, first-passage records and subsamples concatenate in shard order."""

from __future__ import annotations

from .observers_for_plan import observers_for
from .plan import SimulationPlan


def merge_shards(plan: SimulationPlan, shard_results: list[dict]) -> dict:
    """One merged record from all shards (in shard order, so the result does not depend on who ran them)."""
    results = sorted(shard_results, key=lambda r: r["shard"])
    prototypes = observers_for(plan, 0)
    states: dict = {}
    for name, proto in prototypes.items():
        parts = [r["states"][name] for r in results if name in r["states"]]
        states[name] = type(proto).merge(parts)
    return {"states": states, "observers": prototypes,
            "diverged": sum(r["diverged"] for r in results),
            "particles": sum(r["particles"] for r in results),
            "particle_steps": sum(r["particle_steps"] for r in results),
            "worker_seconds": sum(r["seconds"] for r in results),
            # the job's own run time: first shard's start (compiling included) to the last shard's end; not the
            # time the job or its tasks waited in a queue, nor the landscape analysis before the shards
            "run_seconds": (max(r["ended"] for r in results) - min(r["began"] for r in results)
                            if results and all("began" in r for r in results) else None),
            # workers compile concurrently, each kernel at most once per process: the longest is the wall cost
            "compile_seconds": max((r.get("compile_seconds", 0.0) for r in results), default=0.0)}
