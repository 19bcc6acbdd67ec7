"""Serve step 1, params: a request's query parameters -> the arguments of `search()`.

The same options as `searchkit search` and `searchkit export`, under the same names
(`district`, `section`, `year`, `issue`, `since`, `until`, `author`, `org`, `exact`,
`within`, `sort`; repeat a parameter to allow several values, as with the options), plus
`page` and `size` for paging. Validation is the library's (`Filters.check`,
`parse_query`), so a bad value is the same `UsageError` the CLI reports; on top of it,
limits that keep one request small: text values of at most `MAX_VALUE_CHARS`, at most
`MAX_VALUES` values per parameter, pages of at most `MAX_SIZE` hits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from ..errors import UsageError
from ..export import COLUMNS, parse_columns
from ..i18n import _
from ..query import WITHIN, Filters, parse_query

MAX_VALUE_CHARS = 200  # a district, a date, an author; the query has its own limit (MAX_QUERY_CHARS)
MAX_VALUES = 20  # values of one repeated parameter
MAX_QUERY_STRING = 8192  # characters of the whole query string
DEFAULT_SIZE = 10
MAX_SIZE = 100  # hits on one page
MAX_LIMIT = 1000  # hits in one /api/search answer
MAX_PAGE = 1000
FILTERS = ("district", "section", "year", "issue", "since", "until", "author", "org")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


@dataclass
class SearchOptions:
    """What one search request asks for, in the CLI's terms."""

    q: str = ""
    district: tuple[str, ...] = ()
    section: tuple[str, ...] = ()
    year: int | None = None
    issue: tuple[int, ...] = ()
    since: str | None = None
    until: str | None = None
    author: tuple[str, ...] = ()
    org: tuple[str, ...] = ()
    exact: bool = False
    within: str | None = None
    sort: str | None = None  # relevance, date or oldest; None: relevance with a query, else date (as the CLI)
    page: int = 1
    size: int = DEFAULT_SIZE
    partial: bool = False  # exports: also the partial tier (`export --partial`)
    facets: bool = False  # /api/search: `--facets`
    columns: tuple[str, ...] = field(default=COLUMNS)

    @property
    def filters(self) -> Filters:
        return Filters(districts=self.district, sections=self.section, year=self.year, issues=self.issue,
                       since=self.since, until=self.until, authors=self.author, orgs=self.org)

    @property
    def order(self) -> str:
        return self.sort or ("relevance" if self.q else "date")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def search_args(self, limit: int | None = None) -> dict:
        """Keyword arguments of `search()` (after the snapshot and the query) for this page."""
        return dict(filters=self.filters, sort=self.order, exact=self.exact, within=self.within,
                    limit=self.size if limit is None else limit, offset=self.offset if limit is None else 0)

    def pairs(self, **changes) -> list[tuple[str, str]]:
        """The options as query parameters (defaults left out), with `changes` applied:
        a value of None or () removes the parameter."""
        values = {
            "q": self.q, "district": self.district, "section": self.section, "year": self.year,
            "issue": self.issue, "since": self.since, "until": self.until, "author": self.author, "org": self.org,
            "exact": "1" if self.exact else None, "within": self.within,
            "sort": self.sort,
            "size": None if self.size == DEFAULT_SIZE else self.size,
            "page": None if self.page == 1 else self.page,
        }
        values.update(changes)
        out = []
        for name, value in values.items():
            if value is None or value == "" or value == ():
                continue
            for v in value if isinstance(value, tuple) else (value,):
                out.append((name, str(v)))
        return out

    def query_string(self, **changes) -> str:
        return urlencode(self.pairs(**changes))


def _text(params, name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:
        raise UsageError(_("{name} is given {n} times; give it once").format(name=name, n=len(values)))
    if not values or not values[0].strip():
        return None
    value = values[0].strip()
    _check_text(name, value)
    return value


def _check_text(name: str, value: str) -> None:
    if len(value) > MAX_VALUE_CHARS:
        raise UsageError(_("{name} is too long: {n} characters, at most {max}").format(
            name=name, n=len(value), max=MAX_VALUE_CHARS))


def _many(params, name: str) -> tuple[str, ...]:
    values = [v.strip() for v in params.getlist(name) if v.strip()]
    if len(values) > MAX_VALUES:
        raise UsageError(_("{name} is given {n} times; at most {max}").format(name=name, n=len(values), max=MAX_VALUES))
    for v in values:
        _check_text(name, v)
    return tuple(dict.fromkeys(values))


def _int(name: str, value: str | None, low: int, high: int) -> int | None:
    if value is None:
        return None
    try:
        n = int(value)
    except ValueError:
        raise UsageError(_("{name} must be a whole number, not {value!r}").format(name=name, value=value)) from None
    if not low <= n <= high:
        raise UsageError(_("{name} must be between {low} and {high}, not {n}").format(name=name, low=low, high=high,
                                                                                       n=n))
    return n


def _flag(params, name: str) -> bool:
    value = (_text(params, name) or "").lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise UsageError(_("{name} takes 1 or 0, not {value!r}").format(name=name, value=value))


def _choice(params, name: str, choices, default):
    value = _text(params, name)
    if value is None:
        return default
    if value not in choices:
        raise UsageError(_("{name} takes {choices}, not {value!r}").format(
            name=name, choices=_(" or ").join(choices), value=value))
    return value


def parse_search(params, max_size: int = MAX_SIZE, size_name: str = "size") -> SearchOptions:
    """Read and check a search's parameters (a Starlette `QueryParams`, or anything with
    `getlist`); raise `UsageError` for what the CLI would refuse, or what is over a limit."""
    q = params.getlist("q")
    if len(q) > 1:
        raise UsageError(_("{name} is given {n} times; give it once").format(name="q", n=len(q)))
    query = q[0].strip() if q else ""
    if query:
        parse_query(query)  # a syntax error, or too long (MAX_QUERY_CHARS)
    issues = tuple(_int("issue", v, 1, 2_147_483_647) for v in _many(params, "issue"))
    opts = SearchOptions(
        q=query, district=_many(params, "district"), section=_many(params, "section"),
        year=_int("year", _text(params, "year"), 1, 9999), issue=issues,
        since=_text(params, "since"), until=_text(params, "until"),
        author=_many(params, "author"), org=_many(params, "org"),
        exact=_flag(params, "exact"), within=_choice(params, "within", tuple(WITHIN), None),
        sort=_choice(params, "sort", ("relevance", "date", "oldest"), None),
        page=_int("page", _text(params, "page"), 1, MAX_PAGE) or 1,
        size=_int(size_name, _text(params, size_name), 1, max_size) or DEFAULT_SIZE,
        partial=_flag(params, "partial"), facets=_flag(params, "facets"),
    )
    columns = _text(params, "columns")
    if columns is not None:
        opts.columns = parse_columns(columns)
    opts.filters.check()
    return opts


__all__ = ["SearchOptions", "parse_search", "FILTERS", "MAX_SIZE", "MAX_LIMIT", "DEFAULT_SIZE", "MAX_QUERY_STRING"]
