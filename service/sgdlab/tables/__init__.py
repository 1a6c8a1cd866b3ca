"""Tidy tables of a result document, for dashboards (Grafana Infinity, pandas, spreadsheets).

`iter_table(name, result)` yields flat rows one at a time (NaN and infinities as None); `build_table` lists them;
`write_table` streams them to a file as JSON or CSV, under a row bound. Columns are documented in
`sgdlab.tables.columns` (`TABLE_COLUMNS`, `TABLE_COLUMNS_2D`), the one source of truth.
"""

from __future__ import annotations

from typing import Iterator, Optional

from .builders import TABLE_BUILDERS, table_rows
from .columns import TABLE_COLUMNS, TABLE_COLUMNS_2D, TABLE_NAMES, table_columns
from .csv_text import to_csv
from .errors import TableTooLarge, TableUnavailable, UnknownTable
from .point_summary import SWEEP_TABLES
from .streaming import SELECTABLE_TABLES, finite_row, size_hint, write_table

SWEEP_TABLE_NAMES: tuple[str, ...] = tuple(SWEEP_TABLES)
"""Tables of a sweep's result (their columns follow the sweep's axes)."""


def iter_table(name: str, result: dict, which: Optional[str] = None, step: Optional[int] = None) -> Iterator[dict]:
    """The tidy rows of table `name` (optionally only the records with this `which`/`step`), NaN and infinities
    as None; UnknownTable or TableUnavailable otherwise (raised on the first row)."""
    if name in SWEEP_TABLES:  # one row per point (bounded by max_sweep_points): every row gets every column
        rows = SWEEP_TABLES[name](result)
        columns = dict.fromkeys(k for r in rows for k in r)
        return (finite_row({k: r.get(k) for k in columns}) for r in rows)
    builder = TABLE_BUILDERS.get(name)
    if builder is None:
        raise UnknownTable(name)
    if name == "histogram":  # selected per record: the others are never built
        rows = builder(result, which, step)
    else:
        rows = (r for r in builder(result)
                if (which is None or r.get("which") == which) and (step is None or r.get("step") == step))
    return (finite_row(r) for r in rows)


def check_table_size(name: str, result: dict, which: Optional[str], step: Optional[int], max_rows: int) -> None:
    """TableTooLarge, before any row is built, when table `name` would have more than `max_rows` rows."""
    n = table_rows(name, result, which, step)
    if n is not None and n > max_rows:
        raise TableTooLarge(name, max_rows, size_hint(name))


def build_table(name: str, result: dict, which: Optional[str] = None, step: Optional[int] = None) -> list[dict]:
    """The tidy rows of table `name` for a result document, as a list (see `iter_table`)."""
    return list(iter_table(name, result, which, step))


__all__ = ["build_table", "iter_table", "table_rows", "write_table", "to_csv", "finite_row", "TABLE_COLUMNS",
           "TABLE_COLUMNS_2D", "TABLE_NAMES", "SELECTABLE_TABLES", "SWEEP_TABLE_NAMES", "check_table_size",
           "table_columns", "UnknownTable", "TableUnavailable", "TableTooLarge"]
