"""The exceptions searchkit reports to users without a traceback.

Everything the CLI should show as one clear line derives from `SearchkitError`; the
exception owns its exit status. Anything else escaping is a bug and shows a traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    FAILURE = 1  # a file skipped, a record not found, no index yet
    USAGE = 2  # a bad option, argument or query
    INDEX_DAMAGED = 3  # index files missing or unreadable, a format this version cannot read
    INDEX_UNTRUSTED = 4  # an index this user's searchkit did not write (see trust.py)
    INDEX_BUSY = 5  # another process is updating the index
    NO_SPACE = 6  # the disk (or quota) is full; nothing was changed
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


class SearchkitError(Exception):
    """A failure to report as one line on standard error."""

    exit_status = ExitStatus.FAILURE


class ParseError(SearchkitError):
    """An issue file that cannot be read as a bulletin issue."""

    def __init__(self, path, reason: str, line: int | None = None):
        self.path = str(path)
        self.reason = reason
        self.line = line
        from .i18n import _

        where = f"{self.path}:{line}" if line else self.path
        super().__init__(_("{where}: {reason}").format(where=where, reason=reason))


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

    exit_status = ExitStatus.INDEX_DAMAGED


class IndexDamagedError(IndexVersionError):
    """Files of the index are missing or unreadable."""


class IndexUntrustedError(SearchkitError):
    """An index folder this user's searchkit did not write, or one changed since: not opened."""

    exit_status = ExitStatus.INDEX_UNTRUSTED


class NoSpaceError(SearchkitError):
    """The disk filled up while writing; what was half written is removed."""

    exit_status = ExitStatus.NO_SPACE


class IndexLockedError(SearchkitError):
    """Another process is updating the index."""

    exit_status = ExitStatus.INDEX_BUSY
