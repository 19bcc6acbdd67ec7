"""Query results: hits with their tier, snippets and highlights; the result with how the
query was understood. `to_dict` is the JSON of `searchkit search --format json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TIERS = ("exact", "words", "partial")


@dataclass
class Snippet:
    text: str
    highlights: list[tuple[int, int]]
    start: int = 0  # where `text` starts in the body
    at_end: bool = True  # whether `text` runs to the end of the body


@dataclass
class Hit:
    docnum: int
    id: str
    score: float
    title: str
    toc_title: str
    kind: str
    district: str
    section: str
    issue: int
    issue_total: int
    date: str
    org: str
    authors: list[str]
    source: str
    snippets: list[Snippet] = field(default_factory=list)
    title_highlights: list[tuple[int, int]] = field(default_factory=list)
    match: str = "exact"  # the tier: "exact", "words" or "partial"
    proximity: str = ""  # words tier: "sentence", "paragraph" or "" (scattered)

    def to_dict(self) -> dict:
        return {
            "id": self.id, "score": round(self.score, 4), "title": self.title, "toc_title": self.toc_title,
            "kind": self.kind, "district": self.district, "section": self.section, "issue": self.issue,
            "issue_total": self.issue_total, "date": self.date, "org": self.org, "authors": self.authors,
            "source": self.source, "match": self.match, **({"proximity": self.proximity} if self.proximity else {}),
            "title_highlights": [list(h) for h in self.title_highlights],
            "snippets": [{"text": s.text, "highlights": [list(h) for h in s.highlights], "start": s.start}
                         for s in self.snippets],
        }


@dataclass
class SearchResult:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]] | None = None
    understood: "object | None" = None  # understand.Understanding
    tiers: dict[str, int] = field(default_factory=dict)  # hits per tier, of `total`
    proximity: dict[str, int] = field(default_factory=dict)  # words tier: sentence, paragraph, anywhere
    suggestions: list = field(default_factory=list)  # suggest.Suggestion, when nothing (or little) was found
    offset: int = 0  # how many ranked hits come before `hits`
    # The partial tier was asked for but not looked for (the higher tiers filled the page):
    # `total` counts the exact and words tiers only, and looser matches may follow.
    partial_pending: bool = False

    def to_dict(self) -> dict:
        out = {"query": self.query, "total": self.total, "offset": self.offset, "hits": [h.to_dict() for h in self.hits]}
        if self.understood is not None:
            out["understood"] = self.understood.to_dict()
        out["tiers"] = {t: self.tiers.get(t, 0) for t in TIERS}
        if self.partial_pending:
            out["partial_pending"] = True
        if self.proximity:
            out["proximity"] = dict(self.proximity)
        if self.suggestions:
            out["suggestions"] = [s.to_dict() for s in self.suggestions]
        if self.facets is not None:
            out["facets"] = {k: [[name, n] for name, n in v] for k, v in self.facets.items()}
        return out


