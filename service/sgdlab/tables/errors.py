"""Errors of the table layer: an unknown table name, or a result without the block a table needs."""

from __future__ import annotations


class UnknownTable(KeyError):
    """No table has this name (the API maps it to 404)."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        from .columns import TABLE_NAMES
        return f"unknown table {self.name!r}; known: {', '.join(TABLE_NAMES)}"


class BlockUnavailable(LookupError):
    """A result lacks the block an artifact (table or plot) is made from (the API maps it to 404 with the reason)."""

    kind = "artifact"

    def __init__(self, name: str, reason: str):
        super().__init__(name, reason)
        self.name = name
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.kind} {self.name!r} is not available: {self.reason}"


class TableUnavailable(BlockUnavailable):
    """The result lacks the block this table is built from."""

    kind = "table"


class TableTooLarge(ValueError):
    """A table would have more rows than the `max_table_rows` limit (the API maps it to 413 with a hint)."""

    def __init__(self, name: str, limit: int, hint: str):
        super().__init__(name, limit, hint)
        self.name, self.limit, self.hint = name, limit, hint

    def __str__(self) -> str:
        return f"table {self.name!r} has more than max_table_rows={self.limit} rows; {self.hint}"
