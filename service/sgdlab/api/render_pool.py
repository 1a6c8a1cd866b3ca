"""Tables, Vega-Lite specs and plots of stored results, built in worker processes, off the API's event loop.

A maximum-size result is a JSON document of about 150 MB: parsing it and building millions of rows holds the
interpreter for seconds. Done in the API process, that blocks every other request (and a list of rows of such a
result took gigabytes). Here a small process pool reads the result from the store itself, builds the artifact
row by row into a file, and the API streams the file back in chunks: the API process holds one chunk at a time.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import threading
import uuid
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Iterator, Optional

from .. import plots, tables
from ..jobs.store import read_result
from .problems import Problem

STREAM_CHUNK_BYTES = 1 << 20
WAITING_PER_WORKER = 16
"""Artifacts being built (or waiting for a worker) or downloaded, per worker process; beyond, requests get a 503
with Retry-After. A dashboard page asks for a handful of plots at once: they wait their turn."""


def _result_or_gone(db_path: str, job_id: str) -> dict:
    result = read_result(db_path, job_id)
    if result is None:
        raise tables.TableUnavailable("result", "the job has no stored result")
    return result


def build_table_file(db_path: str, job_id: str, name: str, fmt: str, which: Optional[str], step: Optional[int],
                     max_rows: int, out_path: str) -> int:
    """Worker: write table `name` of a job's result to `out_path` (JSON or CSV); the number of rows."""
    result = _result_or_gone(db_path, job_id)
    tables.check_table_size(name, result, which, step, max_rows)
    try:
        with open(out_path, "w", encoding="utf-8", newline="") as out:
            return tables.write_table(tables.iter_table(name, result, which, step), fmt, out, name, max_rows)
    except BaseException:
        os.unlink(out_path)
        raise


def build_vega_file(db_path: str, job_id: str, name: str, out_path: str) -> int:
    """Worker: write the Vega-Lite spec `name` of a job's result to `out_path`; its size in bytes."""
    spec = plots.vega_lite(name, _result_or_gone(db_path, job_id))
    text = json.dumps(spec, allow_nan=False, separators=(",", ":"))
    with open(out_path, "w", encoding="utf-8") as out:
        out.write(text)
    return len(text)


def render_plot_bytes(db_path: str, job_id: str, name: str, fmt: str, dpi: Optional[int],
                      stat: Optional[str] = None) -> bytes:
    """Worker: the plot `name` of a job's result as SVG or PNG bytes (`dpi`: PNG resolution, None for the default;
    `stat`: a sweep heatmap's summary statistic)."""
    return plots.render_plot(name, _result_or_gone(db_path, job_id), fmt, dpi, stat)


def _warm_up() -> bool:
    return True


def stream_file(path: Path, on_close) -> Iterator[bytes]:
    """The file's bytes in chunks; the file is unlinked once open (the open handle keeps the data until closed)."""
    try:
        f = open(path, "rb")
    except OSError:
        on_close()
        raise
    try:
        os.unlink(path)
        while chunk := f.read(STREAM_CHUNK_BYTES):
            yield chunk
    finally:
        f.close()
        on_close()


class RenderPool:
    """A small process pool (forkserver) building artifacts of stored results; bounded waiting (503 beyond)."""

    def __init__(self, db_path: Path, workers: int, tmp_dir: Path):
        self.db_path, self.workers, self.tmp_dir = str(db_path), workers, Path(tmp_dir)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.tmp_dir.glob("*.part"):  # left by a crash
            stale.unlink(missing_ok=True)
        self.max_open = workers * WAITING_PER_WORKER
        self._open = 0
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                ctx = mp.get_context("forkserver")
                self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx)
            return self._pool

    def _acquire(self) -> None:
        with self._lock:
            if self._open >= self.max_open:
                raise Problem(503, "Service Unavailable", f"{self._open} tables, plots or specs are being built or "
                              "sent; retry shortly", "busy", headers={"Retry-After": "5"})
            self._open += 1

    def release(self) -> None:
        with self._lock:
            self._open = max(0, self._open - 1)

    async def _run(self, fn, *args):
        pool = self._get_pool()
        try:
            return await asyncio.wrap_future(pool.submit(fn, *args))
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = None
            raise Problem(503, "Service Unavailable", "the process building this artifact died (out of memory?); "
                          "retry, or ask for less", "render-failed", headers={"Retry-After": "5"}) from None

    def _part(self) -> Path:
        return self.tmp_dir / f"{uuid.uuid4().hex}.part"

    async def table(self, job_id: str, name: str, fmt: str, which: Optional[str], step: Optional[int],
                    max_rows: int) -> tuple[Iterator[bytes], int]:
        """(chunks, size) of table `name` as JSON or CSV; the slot is released when the chunks are consumed."""
        self._acquire()
        path = self._part()
        try:
            await self._run(build_table_file, self.db_path, job_id, name, fmt, which, step, max_rows, str(path))
            size = path.stat().st_size
        except BaseException:
            path.unlink(missing_ok=True)
            self.release()
            raise
        return stream_file(path, self.release), size

    async def vega(self, job_id: str, name: str) -> tuple[Iterator[bytes], int]:
        """(chunks, size) of the Vega-Lite spec `name`."""
        self._acquire()
        path = self._part()
        try:
            size = await self._run(build_vega_file, self.db_path, job_id, name, str(path))
        except BaseException:
            path.unlink(missing_ok=True)
            self.release()
            raise
        return stream_file(path, self.release), size

    async def plot(self, job_id: str, name: str, fmt: str, dpi: Optional[int] = None,
                   stat: Optional[str] = None) -> bytes:
        """The plot `name` as SVG or PNG bytes (`stat`: a sweep heatmap's summary statistic)."""
        self._acquire()
        try:
            return await self._run(render_plot_bytes, self.db_path, job_id, name, fmt, dpi, stat)
        finally:
            self.release()

    def warm_up(self) -> None:
        """Start the worker processes now (tests and benchmarks; the pool otherwise starts on first use)."""
        for f in [self._get_pool().submit(_warm_up) for _ in range(self.workers)]:
            f.result()

    def close(self) -> None:
        """Stop the workers now (a render still running is abandoned: the server is shutting down)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is None:
            return
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join(timeout=5)
