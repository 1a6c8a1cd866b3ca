"""Observers record what particles do. Each is mergeable across shards: counts add, records concatenate.

Protocol (duck-typed): `begin_block(w, offset)`, `after_step(t, w)` (t = steps done, only when `per_step`),
`end_block(w)`, `state() -> dict of arrays` (one shard's record), `merge(states) -> dict` (static), and
`summarise(merged) -> JSON block`.
"""
