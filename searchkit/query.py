"""Stage 4, query: a query string -> grep-exact hits, ranked by BM25F, with exact highlights.

Syntax (see README): terms separated by spaces must all match; `OR`, `NOT` / `-term`,
`( )` for grouping, `"quoted phrase"` (its spaces are ignored like all whitespace), and
the field prefixes `title:`, `author:`, `district:`, `section:`. A colon after any other
word is ordinary text, so a pasted title is a plain query. Only ASCII `( ) " :` are
syntax; fullwidth `（ ）` and curly quotes are text.

Matching is decided on the text, not on words: a term matches a record whose title (or
table-of-contents title) or body contains the term, compared by `normalize.search_key`
(whitespace, ASCII case and fullwidth/halfwidth ignored), which is what `grep` would find
in the rejoined text. `index.TextStore` answers that per term: character signatures rule out
most documents, and one `in` per remaining document decides.

Ranking: records whose title holds more of the query's terms come first; within that,
BM25F (title boosted) over the jieba words that the query shares with the index's
vocabulary; records that share no word (a match inside a longer word) follow, newest
first. Query words are read off the index's vocabulary by longest match, so searching
never loads jieba.

Highlights are the exact occurrences of the query's terms, mapped back through the
normalisation to the displayed text.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

from .errors import QuerySyntaxError, UsageError
from .normalize import key_offsets, search_key
from .bulletin import BRIEF_SECTION, CITY_LEVEL, DISTRICT_NAMES, DISTRICTS, KNOWN_SECTIONS

FIELDS = ("title", "author", "district", "section")
MAX_QUERY_CHARS = 1000
SNIPPET_CHARS = 100
MAX_SNIPPETS = 3
_CITY_ALIASES = ("市本级", "市级", "市人大", "市", "本级", "杭州市")
_MAX_WORD = 12

# --------------------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Term:
    field: str  # "" (title or body), or one of FIELDS
    text: str  # as typed

    @property
    def key(self) -> str:
        return search_key(self.text)


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _tokens(text: str):
    """Yield (kind, value, column): kinds LP, RP, OR, AND, NOT, TERM (value = (field, text))."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "(":
            yield "LP", "(", i
            i += 1
        elif c == ")":
            yield "RP", ")", i
            i += 1
        elif c == "-" and text[i + 1 : i + 2] in ('"', "("):
            yield "NOT", "-", i  # -"phrase", -(group)
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError(f'unbalanced quote: the " at position {i + 1} is never closed')
            yield "TERM", ("", text[i + 1 : end], True), i
            i = end + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()"':
                j += 1
            word = text[i:j]
            if word in ("OR", "AND", "NOT"):
                yield word, word, i
                i = j
                continue
            negate = word.startswith("-") and len(word) > 1
            if negate:
                yield "NOT", "-", i
                word, i = word[1:], i + 1
            m = re.match(r"^([A-Za-z]+)[:：](.*)$", word)  # a Chinese input method types ：
            if m and m.group(1).lower() in FIELDS:
                name, rest = m.group(1).lower(), m.group(2)
                if not rest:
                    if j < n and text[j] == '"':
                        end = text.find('"', j + 1)
                        if end < 0:
                            raise QuerySyntaxError(f'unbalanced quote: the " at position {j + 1} is never closed')
                        yield "TERM", (name, text[j + 1 : end], True), i
                        i = end + 1
                        continue
                    raise QuerySyntaxError(f"{name}: at position {i + 1} needs a term right after it, e.g. {name}:西湖")
                yield "TERM", (name, rest, False), i
            else:
                yield "TERM", ("", word, False), i
            i = j


MAX_DEPTH = 40  # nesting of parentheses and NOTs


class _Parser:
    def __init__(self, text: str):
        self.toks = list(_tokens(text))
        self.i = 0
        self.depth = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None, None)

    def take(self):
        tok = self.peek()
        self.i += 1
        return tok

    def parse(self):
        if not self.toks:
            raise QuerySyntaxError("empty query: type a word to search for, e.g. 西湖龙井")
        node = self.or_expr()
        kind, _, col = self.peek()
        if kind == "RP":
            raise QuerySyntaxError(f"unbalanced parenthesis: the ) at position {col + 1} has no (")
        return node

    def or_expr(self):
        items = [self.and_expr()]
        while self.peek()[0] == "OR":
            _, _, col = self.take()
            if self.peek()[0] in (None, "RP", "OR"):
                raise QuerySyntaxError(f"OR at position {col + 1} needs a term after it")
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self):
        items = []
        while True:
            kind, _, col = self.peek()
            if kind == "AND":
                self.take()
                if not items or self.peek()[0] in (None, "RP", "OR", "AND"):
                    raise QuerySyntaxError(f"AND at position {col + 1} needs a term on each side")
                continue
            if kind in (None, "RP", "OR"):
                break
            items.append(self.unary())
        if not items:
            kind, _, col = self.peek()
            if kind == "OR":
                raise QuerySyntaxError(f"OR at position {col + 1} needs a term before it")
            if kind == "RP":
                raise QuerySyntaxError(f"unbalanced parenthesis: the ) at position {col + 1} has no (")
            raise QuerySyntaxError("empty query: type a word to search for, e.g. 西湖龙井")
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self):
        kind, value, col = self.take()
        if kind in ("NOT", "LP"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QuerySyntaxError(f"query nested too deeply at position {col + 1} (at most {MAX_DEPTH} levels)")
            try:
                return self._nested(kind, value, col)
            finally:
                self.depth -= 1
        return self._nested(kind, value, col)

    def _nested(self, kind, value, col):
        if kind == "NOT":
            if self.peek()[0] in (None, "RP", "OR", "AND"):
                raise QuerySyntaxError(f"{value} at position {col + 1} needs a term after it")
            return Not(self.unary())
        if kind == "LP":
            if self.peek()[0] == "RP":
                raise QuerySyntaxError(f"empty parentheses at position {col + 1}")
            node = self.or_expr()
            if self.take()[0] != "RP":
                raise QuerySyntaxError(f"unbalanced parenthesis: the ( at position {col + 1} is never closed")
            return node
        if kind == "TERM":
            name, text, quoted = value
            term = Term(name, text)
            if not term.key:
                raise QuerySyntaxError(f"empty phrase at position {col + 1}")
            return term
        raise QuerySyntaxError(f"unexpected {value} at position {col + 1}")  # pragma: no cover


def parse_query(text: str):
    """Query string -> syntax tree; `QuerySyntaxError` with a one-line reason."""
    if len(text) > MAX_QUERY_CHARS:
        raise QuerySyntaxError(f"query too long: {len(text)} characters, at most {MAX_QUERY_CHARS}")
    # Control characters go, but those that are whitespace (form feed from a PDF page
    # break, vertical tab, ...) still separate terms.
    return _Parser(_CONTROL.sub(lambda m: " " if m.group().isspace() else "", text)).parse()


def positive_terms(node, negated: bool = False) -> list[Term]:
    """The terms a hit contains (those not under NOT): what is highlighted and scored."""
    if isinstance(node, Term):
        return [] if negated else [node]
    if isinstance(node, Not):
        return positive_terms(node.item, not negated)
    return [t for item in node.items for t in positive_terms(item, negated)]


# --------------------------------------------------------------------------- filters


def canonical_district(value: str) -> str:
    v = search_key(value)
    if v in _CITY_ALIASES:
        return CITY_LEVEL
    for stem, suffix in DISTRICTS.items():
        if v in (stem, stem + "区", stem + "县", stem + "市"):
            return stem + suffix
    raise UsageError(f"unknown district {value!r}; valid: {', '.join(DISTRICT_NAMES)}, {CITY_LEVEL} (市级, 市人大)")


def canonical_section(value: str, known=KNOWN_SECTIONS) -> str:
    v = search_key(value)
    if v in ("简讯", "摘登", "briefs", "brief"):
        return BRIEF_SECTION
    for s in known:
        if v == s:
            return s
    raise UsageError(f"unknown section {value!r}; valid: {', '.join(known)}")


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
        raise UsageError(f"invalid date {value!r}: use YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2024-06") from None


@dataclass
class Filters:
    districts: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    year: int | None = None
    issues: tuple[int, ...] = ()
    since: str | None = None
    until: str | None = None
    authors: tuple[str, ...] = ()

    def any(self) -> bool:
        return bool(self.districts or self.sections or self.year is not None or self.issues
                    or self.since is not None or self.until is not None or self.authors)

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

    def whoosh_query(self, known_sections=KNOWN_SECTIONS):
        """These filters as one Whoosh query over the keyword, numeric and date fields, or None."""
        from whoosh import query as wq

        parts = []
        if self.districts:
            parts.append(wq.Or([wq.Term("district", canonical_district(d)) for d in self.districts]))
        if self.sections:
            parts.append(wq.Or([wq.Term("section", canonical_section(s, known_sections)) for s in self.sections]))
        if self.authors:
            parts.append(wq.Or([wq.Term("authors", search_key(a)) for a in self.authors]))
        if self.issues:
            parts.append(wq.Or([wq.Or([wq.Term("issue", n), wq.Term("issue_total", n)]) for n in self.issues]))
        lo = hi = None
        if self.year is not None:
            lo, hi = parse_date(str(self.year)), parse_date(str(self.year), end=True)
        if self.since is not None:
            d = parse_date(self.since)
            lo = max(lo, d) if lo else d
        if self.until is not None:
            d = parse_date(self.until, end=True)
            hi = min(hi, d) if hi else d
        if lo or hi:
            start = dt.datetime.combine(lo, dt.time.min) if lo else None
            stop = dt.datetime.combine(hi, dt.time.max) if hi else None
            parts.append(wq.DateRange("date", start, stop))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)


# --------------------------------------------------------------------------- results


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

    def to_dict(self) -> dict:
        return {
            "id": self.id, "score": round(self.score, 4), "title": self.title, "toc_title": self.toc_title,
            "kind": self.kind, "district": self.district, "section": self.section, "issue": self.issue,
            "issue_total": self.issue_total, "date": self.date, "org": self.org, "authors": self.authors,
            "source": self.source,
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

    def to_dict(self) -> dict:
        out = {"query": self.query, "total": self.total, "hits": [h.to_dict() for h in self.hits]}
        if self.facets is not None:
            out["facets"] = {k: [[name, n] for name, n in v] for k, v in self.facets.items()}
        return out


# --------------------------------------------------------------------------- highlighting


def find_spans(text: str, keys) -> list[tuple[int, int]]:
    """Every occurrence of each key in `text` (compared by search key), as spans of `text`.

    Overlapping occurrences merge into one span; each span starts and ends on a matched
    character, so it is exactly the occurrence as displayed.
    """
    folded, to_text = key_offsets(text)
    raw = []
    for key in set(keys):
        if not key:
            continue
        i = folded.find(key)
        while i >= 0:
            raw.append((i, i + len(key)))
            i = folded.find(key, i + 1)
    raw.sort()
    merged: list[list[int]] = []
    for s, e in raw:
        if merged and s < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(to_text(s), to_text(e - 1) + 1) for s, e in merged]


def snippets(text: str, spans: list[tuple[int, int]], size: int = SNIPPET_CHARS,
             most: int = MAX_SNIPPETS) -> list[Snippet]:
    """Up to `most` fragments of about `size` characters around the spans, each span whole."""
    flat = text.replace("\n", " ")
    if not spans:
        return [Snippet(flat[:size], [], 0, size >= len(flat))] if flat else []
    clusters: list[list[tuple[int, int]]] = []
    for s, e in spans:
        if clusters and e - clusters[-1][0][0] <= size:
            clusters[-1].append((s, e))
        else:
            clusters.append([(s, e)])
    chosen = sorted(sorted(clusters, key=lambda c: -len(c))[:most], key=lambda c: c[0][0])
    windows: list[list[int]] = []
    for c in chosen:
        first, last = c[0][0], c[-1][1]
        slack = max(0, size - (last - first))
        a = max(0, first - slack // 2)
        b = min(len(flat), max(last, a + size))
        a = max(0, min(a, b - size))
        for s, e in spans:  # never cut a match at a window edge
            if s < a < e:
                a = s
            if s < b < e:
                b = e
        if windows:  # fragments never overlap; a span cut by the previous one's end stays there
            a = max(a, windows[-1][1])
        if a < b:
            windows.append([a, b])
    return [Snippet(flat[a:b], [(s - a, e - a) for s, e in spans if a <= s and e <= b], a, b == len(flat))
            for a, b in windows]


# --------------------------------------------------------------------------- searching


def scoring_words(reader, key: str) -> list[str]:
    """Split a term into words the index knows, longest first from the left (no jieba needed)."""
    words, i = [], 0
    while i < len(key):
        for size in range(min(_MAX_WORD, len(key) - i), 0, -1):
            w = key[i : i + size]
            if ("body_words", w) in reader or ("title_words", w) in reader:
                words.append(w)
                i += size
                break
        else:
            i += 1
    return words


class _Evaluator:
    """Evaluates a syntax tree to the exact set of matching docnums."""

    def __init__(self, store, searcher, universe: set[int]):
        self.store = store
        self.searcher = searcher
        self.reader = searcher.reader()
        self.universe = universe
        self.title_sets: dict[str, set[int]] = {}
        self._words: dict[str, list[str]] = {}

    def words(self, key: str) -> list[str]:
        """The index's words in a term (`scoring_words`), looked up once per query."""
        if key not in self._words:
            self._words[key] = scoring_words(self.reader, key)
        return self._words[key]

    def text_docs(self, key: str, field: str) -> set[int]:
        # Only the documents still in play are checked: a signature test, then an `in`, each.
        if len(self.universe) < len(self.store.live):
            return self.store.docs_containing(key, field, self.universe)
        return self.store.docs_containing(key, field) & self.universe

    def term(self, t: Term) -> set[int]:
        key = t.key
        if t.field in ("", "title"):
            title = self.text_docs(key, "title")
            self.title_sets[key] = title
            if t.field == "title":
                return title
            return title | self.text_docs(key, "body")
        if t.field == "district":
            return self.whoosh(Filters(districts=(t.text,)))
        if t.field == "section":
            return self.whoosh(Filters(sections=(t.text,)))
        return self.whoosh(Filters(authors=(t.text,)))

    def whoosh(self, filters: Filters) -> set[int]:
        known = KNOWN_SECTIONS
        if filters.sections:  # sections seen in this index count as known too
            known = sorted({r.section for r in self.store.rows if r is not None and r.section} | set(known))
        q = filters.whoosh_query(known)
        return set(self.searcher.docs_for_query(q)) & self.universe

    def estimate(self, node) -> float:
        """Roughly how many documents a node matches, to evaluate the rarest first."""
        if isinstance(node, Term) and node.field in ("", "title"):
            words = self.words(node.key)
            return min((max(self.reader.doc_frequency("body_words", w), self.reader.doc_frequency("title_words", w))
                        for w in words), default=0)
        if isinstance(node, Not):
            return float("inf")  # exclusions go last, over what is left
        return len(self.universe)

    def eval(self, node) -> set[int]:
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Not):
            return self.universe - self.eval(node.item)
        if isinstance(node, Or):
            out: set[int] = set()
            for item in node.items:
                out |= self.eval(item)
            return out
        # And: rarest first, each later part only over what the earlier ones left.
        saved = self.universe
        try:
            for item in sorted(node.items, key=self.estimate):
                self.universe = self.eval(item)
                if not self.universe:
                    break
            return self.universe
        finally:
            self.universe = saved


def _hit(stored: dict, docnum: int, score: float) -> Hit:
    return Hit(
        docnum=docnum, id=stored["id"], score=score, title=stored.get("title", ""),
        toc_title=stored.get("toc_title", ""), kind=stored.get("kind", ""), district=stored.get("district", ""),
        section=stored.get("section", ""), issue=stored.get("issue", 0), issue_total=stored.get("issue_total", 0),
        date=stored["date"].date().isoformat(), org=stored.get("org", ""),
        authors=[a for a in stored.get("authors", "").split(",") if a], source=stored.get("source", ""),
    )


def search(snapshot, text: str, filters: Filters | None = None, sort: str = "relevance", limit: int | None = 10,
           facets: bool = False, with_snippets: bool = True) -> SearchResult:
    """Run a query against an index snapshot. `limit` None or 0 means every hit."""
    from whoosh import query as wq

    tree = parse_query(text)
    filters = filters or Filters()
    store = snapshot.store
    searcher = snapshot.shared_searcher()
    evaluator = _Evaluator(store, searcher, set(store.live))
    if filters.any():
        evaluator.universe = evaluator.whoosh(filters)
    matched = evaluator.eval(tree) if evaluator.universe else set()
    text_terms = [t for t in positive_terms(tree) if t.field in ("", "title")]
    keys = list(dict.fromkeys(t.key for t in text_terms))

    # BM25F over the jieba words the query shares with the index.
    words = list(dict.fromkeys(w for k in keys for w in evaluator.words(k)))
    scoring = None
    if words:
        scoring = wq.Or([wq.Term(f, w) for w in words for f in ("title_words", "body_words")])
        # A tree of union matchers keeps Whoosh's block-quality skipping for top-k; its default
        # for small segments scores every posting of every word up front.
        scoring.matcher_type = wq.Or.DEFAULT_MATCHER
    postings = _postings(searcher, scoring) if scoring is not None else 0
    if sort == "date":
        page = sorted(matched, key=lambda d: (store.day[d], store.rows[d].id), reverse=True)[:limit or None]
        scores = _scores(searcher, scoring, postings, set(page), None)
    else:
        page, scores = _rank(searcher, scoring, postings, store, matched, evaluator.title_sets, keys, limit or None)
    body_keys = [t.key for t in text_terms if t.field == ""]
    hits = []
    for d in page:
        stored = searcher.stored_fields(d)
        hit = _hit(stored, d, scores.get(d, 0.0))
        if with_snippets:
            body = stored.get("body", "")
            hit.snippets = snippets(body, find_spans(body, body_keys))
            hit.title_highlights = find_spans(hit.title, keys)
        hits.append(hit)
    result = SearchResult(text, len(matched), hits)
    if facets:
        result.facets = facet_counts(store, matched)
    return result


_FEW = 1000  # up to this many documents may be scored by stepping to each of them


def _postings(searcher, scoring) -> int:
    """How many postings Whoosh would walk for the scoring query."""
    reader = searcher.reader()
    return sum(reader.doc_frequency(t.fieldname, t.text) for t in scoring.subqueries)


def _scores(searcher, scoring, postings: int, docs: set[int], limit: int | None) -> dict[int, float]:
    """BM25F scores of the best `limit` (None: all) of `docs` that share a word with the query."""
    if scoring is None or not docs:
        return {}
    if len(docs) > _FEW or len(docs) * 4 > postings:
        # Walk the postings: with a limit, Whoosh skips blocks that cannot reach the top.
        return {hit.docnum: hit.score for hit in searcher.search(scoring, filter=docs, limit=limit)}
    # Few documents: step the matcher to each of them instead of walking every posting.
    scores: dict[int, float] = {}
    context = searcher.context()
    for sub, offset in searcher.leaf_searchers():
        wanted = sorted(d - offset for d in docs if offset <= d < offset + sub.doc_count_all())
        if not wanted:
            continue
        matcher = scoring.matcher(sub, context)
        for d in wanted:
            if not matcher.is_active():
                break
            if matcher.id() < d:
                matcher.skip_to(d)
                if not matcher.is_active():
                    break
            if matcher.id() == d:
                scores[d + offset] = matcher.score()
    if limit is not None and len(scores) > limit:
        keep = sorted(scores, key=lambda d: (-scores[d], d))[:limit]
        scores = {d: scores[d] for d in keep}
    return scores


def _rank(searcher, scoring, postings: int, store, matched: set[int], title_sets: dict[str, set[int]], keys: list[str],
          limit: int | None) -> tuple[list[int], dict[int, float]]:
    """The best `limit` of `matched`: by how many query terms the title holds, then BM25F,
    then newest first. Only as many documents are scored as the page needs, tier by tier,
    so Whoosh can skip postings blocks that cannot reach the page."""
    in_title = Counter()
    for k in keys:
        in_title.update(title_sets.get(k, set()) & matched)
    tiers: dict[int, set[int]] = {0: matched.difference(in_title)}
    for d, n in in_title.items():
        tiers.setdefault(n, set()).add(d)
    page: list[int] = []
    scores: dict[int, float] = {}
    for level in sorted(tiers, reverse=True):
        need = None if limit is None else limit - len(page)
        if need is not None and need <= 0:
            break
        tier = tiers[level]
        tier_scores = _scores(searcher, scoring, postings, tier, need)
        scores.update(tier_scores)
        # Ties go to the lower docnum, as in Whoosh's top-k, so a page is the head of the full ranking.
        ranked = sorted(tier_scores, key=lambda d: (-tier_scores[d], d))
        if need is None or len(ranked) < need:  # documents sharing no word with the query: newest first
            rest = sorted(tier.difference(tier_scores), key=lambda d: (-store.day[d], store.rows[d].id))
            ranked += rest
        page += ranked if need is None else ranked[:need]
    return page, scores


def facet_counts(store, docnums) -> dict[str, list[tuple[str, int]]]:
    rows = [store.rows[d] for d in docnums]
    district = Counter(r.district for r in rows)
    year = Counter(r.date[:4] for r in rows)
    section = Counter(r.section for r in rows)
    return {
        "district": district.most_common(),
        "year": sorted(year.items(), reverse=True),
        "section": section.most_common(),
    }


def get_record(snapshot, record_id: str) -> Hit | None:
    """One record by id (`697-03`), with its body in the first snippet's place."""
    searcher = snapshot.shared_searcher()
    docnum = searcher.document_number(id=record_id)
    if docnum is None:
        return None
    stored = searcher.stored_fields(docnum)
    hit = _hit(stored, docnum, 0.0)
    hit.snippets = [Snippet(stored.get("body", ""), [])]
    return hit


def show_record(snapshot, record_id: str, query: str | None = None) -> Hit:
    """One whole record by id, its body as a single snippet, with the query's matches marked."""
    from .errors import SearchkitError

    hit = get_record(snapshot, record_id.strip())
    if hit is None:
        raise SearchkitError(f"no record {record_id!r} in the index; ids look like 697-03 (see `searchkit search`)")
    if query:
        keys = [t.key for t in positive_terms(parse_query(query)) if t.field in ("", "title")]
        body = hit.snippets[0].text
        hit.snippets = [Snippet(body, find_spans(body, keys))]
        hit.title_highlights = find_spans(hit.title, keys)
    return hit
