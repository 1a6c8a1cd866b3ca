"""The durable job store: SQLite in WAL mode holding spec, status, progress, timestamps, error and result."""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    spec TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    idempotency_key TEXT,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    error TEXT,
    result TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    warnings TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idem ON jobs(owner, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, seq);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs(owner, seq);
CREATE TABLE IF NOT EXISTS artifacts (
    job_id TEXT NOT NULL, name TEXT NOT NULL, content_type TEXT NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (job_id, name)
);
CREATE TABLE IF NOT EXISTS sweep_points (
    job_id TEXT NOT NULL, k INTEGER NOT NULL, attempt INTEGER NOT NULL, finished_at TEXT NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (job_id, k)
);
"""

ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled")


def json_safe(obj: Any) -> Any:
    """A copy of a JSON-like structure with every non-finite float replaced by None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    return obj


def now_iso() -> str:
    """UTC now as ISO 8601 with a Z."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def spec_hash(spec: dict) -> str:
    """A stable hash of a normalised spec (for Idempotency-Key checks)."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class JobStatusRecord:
    """One row of the job table without its result. `spec` is None for an SSE poll (the status only) and the spec
    without its inline data (`landscape.finite_sum.data`) for status reads and lists: cheap however large the
    data; JobRecord carries the whole spec."""

    seq: int
    id: str
    owner: str
    kind: str
    status: str
    progress: float
    spec_hash: str
    idempotency_key: Optional[str]
    created_at: str
    started_at: Optional[str]
    finished_at: Optional[str]
    error: Optional[dict]
    attempts: int
    spec: Optional[dict] = None
    warnings: Optional[list] = None     # what the theory will not cover, known at submission (the 202's list)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass
class JobRecord(JobStatusRecord):
    """One row of the job table with its whole spec (result excluded)."""


INLINE_DATA_PATHS = ("$.landscape.finite_sum.data", "$.base.landscape.finite_sum.data")
"""Where a spec holds inline data (megabytes at most): status reads leave it out, in SQLite, before Python parses."""


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with another body."""


class StoreClosed(RuntimeError):
    """The store was closed (the service is shutting down); the API answers 503."""


class _OpenLock:
    """The store's lock; entering it once the store is closed raises StoreClosed (not sqlite's ProgrammingError)."""

    def __init__(self):
        self._lock = threading.RLock()
        self.closed = False

    def __enter__(self):
        self._lock.acquire()
        if self.closed:
            self._lock.release()
            raise StoreClosed("the job store is closed: the service is shutting down")
        return self

    def __exit__(self, *exc):
        self._lock.release()


class JobStore:
    """Thread-safe access to the SQLite job store (one connection, serialised by a lock, WAL journal)."""

    STATUS_COLUMNS = ("seq, id, owner, kind, status, progress, spec_hash, idempotency_key, created_at, "
                      "started_at, finished_at, error, attempts, warnings")
    LIGHT_COLUMNS = STATUS_COLUMNS + ", json_remove(spec, " + ", ".join(f"'{p}'" for p in INLINE_DATA_PATHS) + ")"
    COLUMNS = STATUS_COLUMNS + ", spec"

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = _OpenLock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        if "warnings" not in {r[1] for r in self._db.execute("PRAGMA table_info(jobs)")}:   # a store made before
            self._db.execute("ALTER TABLE jobs ADD COLUMN warnings TEXT")

    def close(self) -> None:
        """Close the database; later calls raise StoreClosed (closing twice is fine)."""
        try:
            with self._lock:
                self._lock.closed = True
                self._db.close()
        except StoreClosed:
            pass

    def ping(self) -> bool:
        """True when the database answers."""
        with self._lock:
            return self._db.execute("SELECT 1").fetchone() == (1,)

    @staticmethod
    def _status_row(row: tuple | None, cls: type = JobStatusRecord) -> JobStatusRecord | None:
        """A record from STATUS_COLUMNS, and from a last `spec` column when the row has one."""
        if row is None:
            return None
        (seq, id_, owner, kind, status, progress, sh, idem, created, started, finished, error, attempts,
         warnings) = row[:14]
        spec = json.loads(row[14]) if len(row) > 14 else None
        return cls(seq, id_, owner, kind, status, progress, sh, idem, created, started, finished,
                   json.loads(error) if error else None, attempts, spec,
                   json.loads(warnings) if warnings is not None else None)

    def _row(self, row: tuple | None) -> JobRecord | None:
        return self._status_row(row, JobRecord)

    def create(self, owner: str, kind: str, spec: dict, idempotency_key: str | None = None,
               warnings: list | None = None) -> tuple[JobStatusRecord, bool]:
        """Insert a queued job (with its submission warnings); with a known Idempotency-Key and the same spec return
        the existing one (created=False)."""
        h = spec_hash(spec)
        with self._lock:
            if idempotency_key is not None:
                old = self.get_by_idempotency(owner, idempotency_key)
                if old is not None:
                    if old.spec_hash != h:
                        raise IdempotencyConflict(idempotency_key)
                    return old, False
            job_id = uuid.uuid4().hex
            self._db.execute("INSERT INTO jobs (id, owner, kind, status, spec, spec_hash, idempotency_key, created_at, "
                             "warnings) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?)",
                             (job_id, owner, kind, json.dumps(spec), h, idempotency_key, now_iso(),
                              None if warnings is None else json.dumps(json_safe(warnings))))
            return self.get_status(job_id), True

    def get_by_idempotency(self, owner: str, key: str) -> JobStatusRecord | None:
        """The owner's job made with this Idempotency-Key, if any (without its spec)."""
        with self._lock:
            return self._status_row(self._db.execute(f"SELECT {self.LIGHT_COLUMNS} FROM jobs WHERE owner=? AND "
                                                     "idempotency_key=?", (owner, key)).fetchone())

    def get(self, job_id: str, owner: str | None = None) -> JobRecord | None:
        """The job with its spec, or None (also when it belongs to another owner)."""
        with self._lock:
            rec = self._row(self._db.execute(f"SELECT {self.COLUMNS} FROM jobs WHERE id=?", (job_id,)).fetchone())
        if rec is None or (owner is not None and rec.owner != owner):
            return None
        return rec

    def get_status(self, job_id: str, owner: str | None = None) -> JobStatusRecord | None:
        """The job with its spec but not the spec's inline data (cheap however large the data): status reads."""
        with self._lock:
            rec = self._status_row(self._db.execute(f"SELECT {self.LIGHT_COLUMNS} FROM jobs WHERE id=?",
                                                    (job_id,)).fetchone())
        if rec is None or (owner is not None and rec.owner != owner):
            return None
        return rec

    def poll_status(self, job_id: str) -> JobStatusRecord | None:
        """The job's status row only (spec None): what each SSE poll reads."""
        with self._lock:
            return self._status_row(self._db.execute(f"SELECT {self.STATUS_COLUMNS} FROM jobs WHERE id=?",
                                                     (job_id,)).fetchone())

    def list(self, owner: str | None, status: str | None = None, limit: int = 50,
             before_seq: int | None = None) -> list[JobStatusRecord]:
        """Jobs (specs without inline data) newest first, optionally by owner and status, older than `before_seq`."""
        q, args = f"SELECT {self.LIGHT_COLUMNS} FROM jobs WHERE 1=1", []
        if owner is not None:
            q += " AND owner=?"
            args.append(owner)
        if status is not None:
            q += " AND status=?"
            args.append(status)
        if before_seq is not None:
            q += " AND seq<?"
            args.append(before_seq)
        q += " ORDER BY seq DESC LIMIT ?"
        args.append(limit)
        with self._lock:
            return [self._status_row(r) for r in self._db.execute(q, args).fetchall()]

    def count(self, status: Iterable[str], owner: str | None = None) -> int:
        """How many jobs have one of these statuses (optionally of one owner)."""
        st = tuple(status)
        q = f"SELECT COUNT(*) FROM jobs WHERE status IN ({','.join('?' * len(st))})"
        args: list[Any] = list(st)
        if owner is not None:
            q += " AND owner=?"
            args.append(owner)
        with self._lock:
            return self._db.execute(q, args).fetchone()[0]

    def counts_by_status(self) -> dict[str, int]:
        with self._lock:
            return dict(self._db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall())

    def claim_next(self, skip_owners: Iterable[str] = ()) -> JobRecord | None:
        """Atomically move the oldest queued job (of an owner not in `skip_owners`) to running and return it."""
        skip = sorted(set(skip_owners))
        where = f" AND owner NOT IN ({','.join('?' * len(skip))})" if skip else ""
        with self._lock:
            row = self._db.execute(f"SELECT id FROM jobs WHERE status='queued'{where} ORDER BY seq LIMIT 1",
                                   skip).fetchone()
            if row is None:
                return None
            cur = self._db.execute("UPDATE jobs SET status='running', started_at=?, progress=0, "
                                   "attempts=attempts+1 WHERE id=? AND status='queued'", (now_iso(), row[0]))
            return self.get(row[0]) if cur.rowcount == 1 else None

    def set_progress(self, job_id: str, progress: float) -> None:
        with self._lock:
            self._db.execute("UPDATE jobs SET progress=? WHERE id=? AND status='running'",
                             (min(max(progress, 0.0), 1.0), job_id))

    def finish(self, job_id: str, status: str, result: dict | None = None, error: dict | None = None) -> bool:
        """Record the end of a running job; False when it was no longer running (e.g. cancelled meanwhile).

        Non-finite numbers in a result become null (JSON has no NaN or infinity)."""
        # serialise outside the lock: a large result must not stall every other request on the store
        result_text = json.dumps(json_safe(result), allow_nan=False) if result is not None else None
        error_text = json.dumps(error) if error is not None else None
        with self._lock:
            cur = self._db.execute(
                "UPDATE jobs SET status=?, finished_at=?, result=?, error=?, progress=CASE WHEN ?='succeeded' "
                "THEN 1 ELSE progress END WHERE id=? AND status='running'",
                (status, now_iso(), result_text, error_text, status, job_id))
            return cur.rowcount == 1

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job; False when it had already finished."""
        with self._lock:
            cur = self._db.execute("UPDATE jobs SET status='cancelled', finished_at=? WHERE id=? AND status IN "
                                   "('queued', 'running')", (now_iso(), job_id))
            return cur.rowcount == 1

    def requeue_running(self) -> int:
        """On start-up: jobs left running by a crash go back to the queue (their results are deterministic)."""
        with self._lock:
            return self._db.execute("UPDATE jobs SET status='queued', progress=0, started_at=NULL "
                                    "WHERE status='running'").rowcount

    def result(self, job_id: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT result FROM jobs WHERE id=?", (job_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def result_text(self, job_id: str) -> str | None:
        """The stored result JSON as text (served without re-encoding)."""
        with self._lock:
            row = self._db.execute("SELECT result FROM jobs WHERE id=?", (job_id,)).fetchone()
        return row[0] if row else None

    def get_artifact(self, job_id: str, name: str) -> tuple[str, bytes] | None:
        with self._lock:
            row = self._db.execute("SELECT content_type, body FROM artifacts WHERE job_id=? AND name=?",
                                   (job_id, name)).fetchone()
        return (row[0], bytes(row[1])) if row else None

    def put_artifact(self, job_id: str, name: str, content_type: str, body: bytes) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO artifacts VALUES (?, ?, ?, ?)", (job_id, name, content_type, body))

    def put_point(self, job_id: str, k: int, result: dict, attempt: int) -> None:
        """Store the result of a sweep's point k as it finishes (a restart skips the points stored here)."""
        text = json.dumps(json_safe(result), allow_nan=False)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO sweep_points VALUES (?, ?, ?, ?, ?)",
                             (job_id, k, attempt, now_iso(), text))

    def finished_points(self, job_id: str) -> dict[int, dict]:
        """{k: {"attempt", "finished_at"}} of the sweep's stored points."""
        with self._lock:
            rows = self._db.execute("SELECT k, attempt, finished_at FROM sweep_points WHERE job_id=?",
                                    (job_id,)).fetchall()
        return {k: {"attempt": a, "finished_at": f} for k, a, f in rows}

    def has_point(self, job_id: str, k: int) -> bool:
        """Whether the sweep's point k has a stored result."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM sweep_points WHERE job_id=? AND k=?", (job_id, k)).fetchone() \
                is not None

    def point_result_text(self, job_id: str, k: int) -> str | None:
        """The stored result JSON of a sweep's point k, or None."""
        with self._lock:
            row = self._db.execute("SELECT result FROM sweep_points WHERE job_id=? AND k=?", (job_id, k)).fetchone()
        return row[0] if row else None

    def point_results(self, job_id: str) -> Iterator[tuple[int, dict]]:
        """(k, result document) of the sweep's stored points, one at a time (a sweep's results together may
        not fit in memory)."""
        with self._lock:
            ks = [k for (k,) in self._db.execute("SELECT k FROM sweep_points WHERE job_id=? ORDER BY k",
                                                 (job_id,)).fetchall()]
        for k in ks:
            text = self.point_result_text(job_id, k)
            if text is not None:
                yield k, json.loads(text)


def _read_only(db_path: Path | str) -> sqlite3.Connection:
    """A read-only connection to the store (for other threads and processes than the store's own)."""
    return sqlite3.connect(f"file:{Path(db_path).resolve()}?mode=ro", uri=True, check_same_thread=False, timeout=30)


def read_result(db_path: Path | str, job_id: str) -> dict | None:
    """A job's result document, read through a connection of its own (worker processes use this)."""
    db = _read_only(db_path)
    try:
        row = db.execute("SELECT result FROM jobs WHERE id=?", (job_id,)).fetchone()
    finally:
        db.close()
    return json.loads(row[0]) if row and row[0] else None


RESULT_CHUNK_BYTES = 1 << 20


def _iter_blob(db_path: Path | str, table: str, rowid_query: str, args: tuple, chunk: int) -> Iterator[bytes]:
    """The `result` column of the row `rowid_query` finds, in chunks, read incrementally (SQLite blob I/O)."""
    db = _read_only(db_path)
    try:
        row = db.execute(rowid_query, args).fetchone()
        if row is None:
            return
        with db.blobopen(table, "result", row[0], readonly=True) as blob:
            while True:
                data = blob.read(chunk)
                if not data:
                    return
                yield data
    finally:
        db.close()


def iter_result_bytes(db_path: Path | str, job_id: str, chunk: int = RESULT_CHUNK_BYTES) -> Iterator[bytes]:
    """A job's stored result JSON in chunks, read incrementally (SQLite blob I/O): never whole in memory."""
    return _iter_blob(db_path, "jobs", "SELECT seq FROM jobs WHERE id=? AND result IS NOT NULL", (job_id,), chunk)


def iter_point_result_bytes(db_path: Path | str, job_id: str, k: int,
                            chunk: int = RESULT_CHUNK_BYTES) -> Iterator[bytes]:
    """A sweep point's stored result JSON in chunks, like iter_result_bytes."""
    return _iter_blob(db_path, "sweep_points", "SELECT rowid FROM sweep_points WHERE job_id=? AND k=?",
                      (job_id, k), chunk)
