"""A plain-text progress bar on stderr (tqdm-like, no dependency)."""

from __future__ import annotations

import sys
import time
from typing import Callable, Optional, TextIO


def format_bar(fraction: float, width: int = 30) -> str:
    """`[#####.....]` filled in proportion to `fraction` (clamped to [0, 1])."""
    fraction = min(1.0, max(0.0, fraction))
    filled = int(round(fraction * width))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def format_elapsed(seconds: float) -> str:
    """mm:ss (or h:mm:ss)."""
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class ProgressBar:
    """Redraws one line `label [####....]  42.0% running 00:03` at most every `min_interval` seconds."""

    def __init__(self, label: str, stream: Optional[TextIO] = None, width: int = 30, min_interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.min_interval = min_interval
        self.clock = clock
        self.started = clock()
        self.fraction = 0.0
        self.status = ""
        self._last_draw = -float("inf")
        self._drawn = False

    def update(self, fraction: float, status: Optional[str] = None) -> None:
        """Record progress; redraw when the status changed or enough time passed."""
        changed = status is not None and status != self.status
        self.fraction = max(self.fraction, min(1.0, max(0.0, float(fraction))))
        if status is not None:
            self.status = status
        now = self.clock()
        if changed or now - self._last_draw >= self.min_interval:
            self._draw(now)

    def close(self, status: Optional[str] = None) -> None:
        """Draw the final state and end the line."""
        if status is not None:
            self.status = status
        if status == "succeeded":
            self.fraction = 1.0
        self._draw(self.clock())
        self.stream.write("\n")
        self.stream.flush()

    def _draw(self, now: float) -> None:
        line = (f"{self.label} {format_bar(self.fraction, self.width)} {100 * self.fraction:5.1f}% "
                f"{self.status:<9} {format_elapsed(now - self.started)}")
        self.stream.write("\r" + line)
        self.stream.flush()
        self._last_draw = now
        self._drawn = True
