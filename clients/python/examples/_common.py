"""Shared plumbing of the examples: arguments (--small, --url), the client, and the final `RESULT {json}` line."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # run from a checkout

import sgdlab_client as sc  # noqa: E402


def parse_args(description: str) -> argparse.Namespace:
    """--small (or SGDLAB_EXAMPLES_SMALL=1) for fast test sizes, --url / --api-key for the service, and
    --progress / --no-progress (default: progress bars when stderr is a terminal)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--small", action="store_true", default=os.environ.get("SGDLAB_EXAMPLES_SMALL") == "1",
                   help="small sizes for a quick run (tests use this)")
    p.add_argument("--url", default=None, help="service URL (default $SGDLAB_URL or http://127.0.0.1:8000)")
    p.add_argument("--api-key", default=None)
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bars on stderr (default: on when stderr is a terminal)")
    args = p.parse_args()
    if args.progress is None:
        args.progress = sys.stderr.isatty()
    return args


def connect(args: argparse.Namespace) -> sc.Client:
    """A client for the service named by the arguments or the environment."""
    return sc.Client(args.url, args.api_key, timeout=60)


def wait_for_sweep(job: sc.Job, progress: bool = False) -> Any:
    """Wait for a sweep job (its points run concurrently on the service) and fetch its result."""
    if progress:
        print(f"sweep {job.id} queued; its progress over all its points:", file=sys.stderr, flush=True)
    job.wait(timeout=600, progress=progress)
    return job.result()


def global_minimum(result: Any) -> int:
    """Index of the deepest minimum of a result's landscape."""
    return min(result.landscape.minima, key=lambda m: m.loss).index


def moments(result: Any) -> tuple[float, float, float]:
    """Mean, variance and fourth central moment of the final 1-D histogram (from counts and bin centres)."""
    h = result.histogram("final")
    weights = h.counts if h.counts is not None else h.density * h.widths
    total = float(weights.sum())
    mean = float((weights * h.centers).sum() / total)
    var = float((weights * (h.centers - mean) ** 2).sum() / total)
    m4 = float((weights * (h.centers - mean) ** 4).sum() / total)
    return mean, var, m4


def variance_stderr(var: float, m4: float, n: int) -> float:
    """Standard error of a sample variance from n particles: sqrt((m4 - var^2) / n), valid for any shape."""
    return math.sqrt(max(m4 - var * var, 0.0) / n)


def binomial_stderr(p: float, n: int) -> float:
    """Standard error of a fraction p estimated from n independent particles."""
    return math.sqrt(max(p * (1 - p), 1e-12) / n)


def report(values: dict[str, Any]) -> None:
    """Print the machine-readable last line."""
    print("RESULT " + json.dumps(values))
