"""Problem documents (RFC 9457) for jobs that failed while running; stored in the job's `error` field."""

from __future__ import annotations

PROBLEM_BASE = "https://sgdlab.dev/problems/"


def failure_problem(kind: str, title: str, detail: str, status: int, field: str | None = None) -> dict:
    """A problem document describing why a job failed."""
    doc = {"type": PROBLEM_BASE + kind, "title": title, "status": status, "detail": detail}
    if field:
        doc["errors"] = [{"field": field, "message": detail}]
    return doc
