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
            # workers compile concurrently, each kernel at most once per process: the longest is the wall cost
            "compile_seconds": max((r.get("compile_seconds", 0.0) for r in results), default=0.0)}
