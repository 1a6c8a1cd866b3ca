"""Fixtures of the client tests: a patched sleep that records the delays."""

from __future__ import annotations

import pytest

from sgdlab_client import retry


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """Record the delays the client would sleep (sync and async) instead of sleeping."""
    delays: list[float] = []

    async def fake_async_sleep(d: float) -> None:
        delays.append(d)

    monkeypatch.setattr(retry, "sleep", delays.append)
    monkeypatch.setattr(retry, "async_sleep", fake_async_sleep)
    return delays
