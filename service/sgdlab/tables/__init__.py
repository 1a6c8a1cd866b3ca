"""Tidy tables of a result document, for dashboards (Grafana Infinity, pandas, spreadsheets).

`build_table(name, result)` returns flat rows; `to_csv(rows)` renders them. Columns are documented in
`sgdlab.tables.columns` (`TABLE_COLUMNS`, `TABLE_COLUMNS_2D`), the one source of truth.
"""

from __future__ import annotations

from .builders import TABLE_BUILDERS
from .columns import TABLE_COLUMNS, TABLE_COLUMNS_2D, TABLE_NAMES, table_columns
from .csv_text import to_csv
from .errors import TableUnavailable, UnknownTable
from .point_summary import SWEEP_TABLES

SWEEP_TABLE_NAMES: tuple[str, ...] = tuple(SWEEP_TABLES)


def build_table(name: str, result: dict) -> list[dict]:
    """The tidy rows of table `name` for a result document; UnknownTable or TableUnavailable otherwise."""
    builder = TABLE_BUILDERS.get(name) or SWEEP_TABLES.get(name)
    if builder is None:
        raise UnknownTable(name)
    return builder(result)


__all__ = ["build_table", "to_csv", "TABLE_COLUMNS", "TABLE_COLUMNS_2D", "TABLE_NAMES", "table_columns",
           "UnknownTable", "TableUnavailable", "SWEEP_TABLE_NAMES"]
