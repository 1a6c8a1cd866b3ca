"""Progress and cancellation hooks a shard calls between chunks; executors supply their own."""

from __future__ import annotations

from typing import Protocol


class ShardHooks(Protocol):
    """What a running shard may tell its executor and ask it."""

    def progress(self, shard: int, fraction: float) -> None:
        """The shard has done `fraction` (0..1) of its particle-steps."""

    def cancelled(self) -> bool:
        """True when the job was cancelled; the shard stops at the next chunk boundary."""


class NoHooks:
    """Hooks that record nothing and never cancel (direct, in-process runs)."""

    def progress(self, shard: int, fraction: float) -> None:
        return None

    def cancelled(self) -> bool:
        return False
