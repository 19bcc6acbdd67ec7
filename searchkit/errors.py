"""The exceptions searchkit reports to users without a traceback.

Everything the CLI should show as one clear line derives from `SearchkitError`; the
exception owns its exit status. Anything else escaping is a bug and shows a traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2


class SearchkitError(Exception):
    """A failure to report as one line on standard error."""

    exit_status = ExitStatus.FAILURE


class ParseError(SearchkitError):
    """An issue file that cannot be read as a bulletin issue."""

    def __init__(self, path, reason: str, line: int | None = None):
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {reason}")


class QuerySyntaxError(SearchkitError):
    """A query that cannot be parsed; the message says where and why."""

    exit_status = ExitStatus.USAGE


class UsageError(SearchkitError):
    """A bad option value (unknown district, invalid date, ...)."""

    exit_status = ExitStatus.USAGE


class IndexMissingError(SearchkitError):
    """There is no index where one was expected."""


class IndexVersionError(SearchkitError):
    """The folder holds something other than an index this version can read."""


class IndexLockedError(SearchkitError):
    """Another process is updating the index."""
