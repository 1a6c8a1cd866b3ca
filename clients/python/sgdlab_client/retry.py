"""Retry policy: which outcomes are retried and how long to wait (exponential backoff, full jitter, Retry-After)."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Optional

RETRYABLE_STATUS = frozenset({429, 503})

# Indirections so tests can patch the waiting without slowing down (monkeypatch `sgdlab_client.retry.sleep`).
sleep = time.sleep
async_sleep = asyncio.sleep


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)] for attempt 0, 1, ..."""
    ceiling = min(cap, base * (2 ** attempt))
    return (rng or random).uniform(0.0, ceiling)


def parse_retry_after(value: Optional[str], now: Optional[datetime] = None) -> Optional[float]:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def retry_delay(attempt: int, retry_after: Optional[float], base: float, cap: float) -> float:
    """How long to wait before retry number `attempt` (0-based): the server's Retry-After when given (honoured as
    is; the attempt count bounds the total), else full-jitter backoff capped at `cap`."""
    if retry_after is not None:
        return retry_after
    return backoff_delay(attempt, base, cap)
