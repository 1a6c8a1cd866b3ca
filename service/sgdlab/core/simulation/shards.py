"""Shard layout and random streams: both depend only on the spec, never on how many workers run them."""

from __future__ import annotations

import math

import numpy as np

MAX_SHARDS = 16
MIN_SHARD_PARTICLES = 4096


def shard_layout(particles: int) -> list[tuple[int, int]]:
    """(offset, count) of each shard: at most MAX_SHARDS near-equal shards of at least MIN_SHARD_PARTICLES."""
    n = max(1, min(MAX_SHARDS, math.ceil(particles / MIN_SHARD_PARTICLES)))
    base, extra = divmod(particles, n)
    out, offset = [], 0
    for i in range(n):
        c = base + (1 if i < extra else 0)
        out.append((offset, c))
        offset += c
    return out


def shard_seeds(seed: int, n_shards: int) -> list[np.random.SeedSequence]:
    """One independent SeedSequence per shard, spawned from the job seed."""
    return np.random.SeedSequence(seed).spawn(n_shards)


def shard_generator(seed_seq: np.random.SeedSequence) -> np.random.Generator:
    """The shard's Generator (SFC64: the fastest of NumPy's bit generators for normal draws)."""
    return np.random.Generator(np.random.SFC64(seed_seq))
