"""Query step 0, filters: district, section, year, issue, dates, author and unit.

Filters narrow the documents before any text is matched; district, section, issue and
dates go to Whoosh's keyword and numeric fields (a date is a YYYY-MM-DD term, a range of
dates a range of terms), author and unit to the store's byline keys (`author` an exact
name, `org` part of the unit's name).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, replace

from ..bulletin import BRIEF_SECTION, CITY_LEVEL, DISTRICT_NAMES, DISTRICTS, KNOWN_SECTIONS
from ..errors import UsageError
from ..i18n import _, enumerate_items
from ..normalize import search_key
from ..store import SEPARATOR

_CITY_ALIASES = ("市本级", "市级", "市人大", "市", "本级", "杭州市")


def canonical_district(value: str) -> str:
    v = search_key(value)
    if v in _CITY_ALIASES:
        return CITY_LEVEL
    for stem, suffix in DISTRICTS.items():
        if v in (stem, stem + "区", stem + "县", stem + "市"):
            return stem + suffix
    raise UsageError(_("unknown district {value!r}; valid: {names}, {city} (市级, 市人大)").format(
        value=value, names=enumerate_items(DISTRICT_NAMES), city=CITY_LEVEL))


def canonical_section(value: str, known=KNOWN_SECTIONS) -> str:
    v = search_key(value)
    if v in ("简讯", "摘登", "briefs", "brief"):
        return BRIEF_SECTION
    for s in known:
        if v == s:
            return s
    raise UsageError(_("unknown section {value!r}; valid: {names}").format(value=value, names=enumerate_items(known)))


def parse_date(value: str, end: bool = False) -> dt.date:
    """`2024`, `2024-06` or `2024-06-28` -> the first (or with `end`, last) day it covers."""
    m = re.fullmatch(r"\s*(\d{4})(?:[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?月?)?年?\s*", value)
    try:
        if not m:
            raise ValueError
        year = int(m.group(1))
        month = int(m.group(2)) if m.group(2) else (12 if end else 1)
        if m.group(3):
            day = int(m.group(3))
        else:
            day = calendar.monthrange(year, month)[1] if end else 1
        return dt.date(year, month, day)
    except ValueError:
        raise UsageError(_("invalid date {value!r}: use YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2024-06").format(
            value=value)) from None


@dataclass
class Filters:
    districts: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    year: int | None = None
    issues: tuple[int, ...] = ()
    since: str | None = None
    until: str | None = None
    authors: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()

    def any(self) -> bool:
        return bool(self.districts or self.sections or self.year is not None or self.issues
                    or self.since is not None or self.until is not None or self.authors or self.orgs)

    _OPTIONS = (("districts", "district"), ("sections", "section"), ("year", "year"), ("issues", "issue"),
                ("since", "since"), ("until", "until"), ("authors", "author"), ("orgs", "org"))

    def each(self):
        """Every filter value as (option as typed, these filters without it): `--district 余杭`, ..."""
        for attr, option in self._OPTIONS:
            value = getattr(self, attr)
            if isinstance(value, tuple):
                for v in value:
                    yield f"--{option} {v}", replace(self, **{attr: tuple(x for x in value if x != v)})
            elif value is not None:
                yield f"--{option} {value}", replace(self, **{attr: None})

    def describe(self) -> list[str]:
        """The filters as option strings, for messages."""
        return [option for option, _ in self.each()]

    def byline_docs(self, store, universe) -> set[int]:
        """Of `universe`, the documents whose byline names one of the authors and one of the units."""
        docs = set(universe)
        if self.authors:
            names = {search_key(a) for a in self.authors}
            keys = store.docs["authors"]
            docs = {d for d in docs if names.intersection(keys[d].split(SEPARATOR))}
        if self.orgs:
            docs = set().union(*(store.docs_containing(search_key(o), "org", docs) for o in self.orgs))
        return docs

    def check(self) -> None:
        """Raise `UsageError` for an unknown district or an invalid date, before any searching.
        (Sections are checked against the index, which may know more than the usual six.)"""
        for d in self.districts:
            canonical_district(d)
        for value, end in ((self.since, False), (self.until, True)):
            if value is not None:
                parse_date(value, end)
        if self.year is not None:
            parse_date(str(self.year))

    def dates(self) -> tuple[dt.date | None, dt.date | None]:
        """The first and last day that --year, --since and --until together allow (None: open)."""
        lo = hi = None
        if self.year is not None:
            lo, hi = parse_date(str(self.year)), parse_date(str(self.year), end=True)
        if self.since is not None:
            d = parse_date(self.since)
            lo = max(lo, d) if lo else d
        if self.until is not None:
            d = parse_date(self.until, end=True)
            hi = min(hi, d) if hi else d
        return lo, hi

    def whoosh_query(self, known_sections=KNOWN_SECTIONS):
        """These filters as one Whoosh query over the keyword and numeric fields, or None."""
        from whoosh import query as wq

        parts = []
        if self.districts:
            parts.append(wq.Or([wq.Term("district", canonical_district(d)) for d in self.districts]))
        if self.sections:
            parts.append(wq.Or([wq.Term("section", canonical_section(s, known_sections)) for s in self.sections]))
        if self.issues:
            parts.append(wq.Or([wq.Or([wq.Term("issue", n), wq.Term("issue_total", n)]) for n in self.issues]))
        lo, hi = self.dates()
        if lo or hi:  # dates are YYYY-MM-DD terms, in the order of their text
            parts.append(wq.TermRange("date", lo.isoformat() if lo else None, hi.isoformat() if hi else None))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)


