"""Tidy rows -> CSV text (header from the documented columns, None as an empty field)."""

from __future__ import annotations

import csv
import io
from typing import Iterable


def to_csv(rows: list[dict], columns: Iterable[str] | None = None) -> str:
    """CSV text of `rows`: a header line (`columns`, else the keys in first-seen order) and one line per row."""
    if columns is None:
        seen: dict[str, None] = {}
        for row in rows:
            seen.update(dict.fromkeys(row))
        columns = list(seen)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(csv_cells(row))
    return out.getvalue()


def csv_cells(row: dict) -> dict:
    """A row's CSV fields: None as empty, floats in full precision (repr)."""
    return {k: ("" if v is None else repr(v) if isinstance(v, float) else v) for k, v in row.items()}
