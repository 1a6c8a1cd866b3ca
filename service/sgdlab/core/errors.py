"""Errors raised by the core and theory layers; the API maps them to HTTP in one place."""

from __future__ import annotations


class SgdlabError(Exception):
    """Base class of every error sgdlab raises on purpose."""


class SpecError(SgdlabError):
    """A request is invalid; `field` is the dotted path of the offending field (e.g. `landscape.expression`)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def at(self, prefix: str) -> "SpecError":
        """Return a copy whose field path is prefixed by `prefix` (e.g. `landscape`)."""
        field = prefix if not self.field else f"{prefix}.{self.field}"
        err = type(self).__new__(type(self))
        err.__dict__.update(self.__dict__)
        Exception.__init__(err, self.message)
        err.field = field
        return err

    def copy(self) -> "SpecError":
        """A copy to raise again (a remembered refusal: raising one instance repeatedly chains tracebacks)."""
        err = type(self).__new__(type(self))
        Exception.__init__(err, *self.args)
        err.__dict__.update(self.__dict__)
        return err

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class LimitExceeded(SpecError):
    """A request asks for more than a configured bound allows; names the limit and its value."""

    def __init__(self, field: str, limit: str, value: float, got: float | None = None):
        msg = f"exceeds the limit {limit}={value:g}" + (f" (got {got:g})" if got is not None else "")
        super().__init__(msg, field)
        self.limit = limit
        self.value = value
        self.got = got


class Cancelled(SgdlabError):
    """A running computation was cancelled between chunks."""
