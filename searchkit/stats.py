"""Stage 4b, describe: what an index holds (issues, gaps, counts by year, section, district).

Everything here is read from the live generation's manifest and exact-text store, so it
costs no Whoosh search and no stored-field reads.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class IssueInfo:
    issue: int
    issue_total: int
    date: str
    records: int
    source: str
    warnings: tuple[str, ...] = ()


@dataclass
class IndexStats:
    location: str
    generation: str
    updated: str
    size_bytes: int
    issues: list[IssueInfo]
    records: int
    gaps: list[tuple[int, int]]  # missing running numbers, as (first, last) ranges
    per_year: list[tuple[str, int]]
    per_section: list[tuple[str, int]]
    per_district: list[tuple[str, int]]

    @property
    def missing(self) -> int:
        """How many running numbers are missing."""
        return sum(b - a + 1 for a, b in self.gaps)

    @property
    def first(self) -> IssueInfo | None:
        return self.issues[0] if self.issues else None

    @property
    def last(self) -> IssueInfo | None:
        return self.issues[-1] if self.issues else None


def list_issues(snapshot) -> list[IssueInfo]:
    """The indexed issues, oldest first by running number."""
    out = [IssueInfo(e["issue"], e["issue_total"], e["date"], len(e["ids"]), e["source"], tuple(e.get("warnings", ())))
           for e in snapshot.manifest["files"].values()]
    return sorted(out, key=lambda i: (i.issue_total, i.date))


def issue_years(snapshot, number: int) -> list[str]:
    """The years whose issue `number` (the number within the year) is indexed, when the
    number is not also a running number: `--issue 4` then means several issues."""
    issues = list_issues(snapshot)
    if any(i.issue_total == number for i in issues):
        return []
    return sorted({i.date[:4] for i in issues if i.issue == number})


def missing_ranges(numbers) -> list[tuple[int, int]]:
    """Running numbers absent between the first and the last one present, as (first, last)
    ranges: one typo (总第 69700000 期) is one range, not 70 million numbers."""
    have = sorted(set(numbers))
    return [(a + 1, b - 1) for a, b in zip(have, have[1:]) if b - a > 1]


def index_stats(snapshot) -> IndexStats:
    issues = list_issues(snapshot)
    rows = [r for r in snapshot.store.rows if r is not None]
    size = sum(f.stat().st_size for f in snapshot.gen_dir.iterdir() if f.is_file())
    return IndexStats(
        location=str(snapshot.root),
        generation=snapshot.gen_dir.name,
        updated=snapshot.updated,
        size_bytes=size,
        issues=issues,
        records=len(rows),
        gaps=missing_ranges(i.issue_total for i in issues),
        per_year=sorted(Counter(r.date[:4] for r in rows).items()),
        per_section=Counter(r.section or "(none)" for r in rows).most_common(),
        per_district=Counter(r.district for r in rows).most_common(),
    )
