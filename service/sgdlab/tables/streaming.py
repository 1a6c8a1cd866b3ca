"""Tables written row by row to a file (JSON array or CSV), under a bound on the number of rows."""

from __future__ import annotations

import csv
import json
import math
from typing import IO, Iterable, Iterator

from .csv_text import csv_cells
from .errors import TableTooLarge

SELECTABLE_TABLES = ("histogram", "basins")
"""Tables with `which` and `step` columns: `?which=` and `?step=` select their rows."""

CHUNK_ROWS = 2000
"""Rows encoded per write."""


def finite_row(row: dict) -> dict:
    """The row with every NaN and infinity as None (JSON has no NaN; CSV writes an empty field)."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


def size_hint(name: str) -> str:
    """What to ask for instead of a table that is too large."""
    if name in SELECTABLE_TABLES:
        return ("ask for part of it: ?which=final (or time_average, snapshot) and/or ?step=S selects one recorded "
                "histogram; or record fewer bins or snapshots")
    return "record less: fewer trajectories, points (a larger `every`) or cells"


def _bounded(rows: Iterable[dict], name: str, max_rows: int) -> Iterator[dict]:
    for n, row in enumerate(rows, 1):
        if n > max_rows:
            raise TableTooLarge(name, max_rows, size_hint(name))
        yield row


def write_table(rows: Iterable[dict], fmt: str, out: IO[str], name: str, max_rows: int,
                columns: list[str] | None = None) -> int:
    """Write `rows` to `out` as a JSON array or CSV (header: `columns`, else the first row's keys); the number of
    rows written. TableTooLarge past `max_rows` (what was written is then incomplete: discard it)."""
    it = _bounded(rows, name, max_rows)
    count = 0
    if fmt == "csv":
        writer = None
        for row in it:
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=columns or list(row), extrasaction="ignore",
                                        lineterminator="\n")
                writer.writeheader()
            writer.writerow(csv_cells(row))
            count += 1
        if writer is None and columns:
            csv.DictWriter(out, fieldnames=columns, lineterminator="\n").writeheader()
        return count
    out.write("[")
    chunk: list[str] = []
    for row in it:
        chunk.append(json.dumps(row, allow_nan=False, separators=(",", ":")))
        count += 1
        if len(chunk) >= CHUNK_ROWS:
            out.write(("," if count > len(chunk) else "") + ",".join(chunk))
            chunk = []
    if chunk:
        out.write(("," if count > len(chunk) else "") + ",".join(chunk))
    out.write("]")
    return count
