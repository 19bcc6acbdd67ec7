"""The query pipeline: syntax -> understand -> match (tiers) -> rank -> highlight -> suggest.

`search` is what the CLI, the exporter and the benchmarks call. Every hit belongs to a
tier and a higher tier always ranks above a lower one:

    exact     every term occurs as typed (folded for width, case, spaces, traditional forms)
    words     every word of the query, as understood, occurs (or an alternative of it)
    partial   enough of the query's words occur (see `match`)

`exact=True` keeps only the first tier and understands nothing (the `--exact` mode);
`within="sentence"|"paragraph"` keeps the hits whose words (or terms) stand in one
sentence or paragraph (同句 / 同段).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from itertools import groupby
from pathlib import Path

from ..errors import SearchkitError, UsageError
from ..i18n import _
from . import synonyms as synonyms_module
from .filters import Filters
from .highlight import find_spans, snippets
from .match import Matcher
from .proximity import NAMES as PROXIMITY_NAMES, PARAGRAPH, SENTENCE, levels
from .rank import Scorer, by_date, rank
from .results import TIERS, Hit, SearchResult, Snippet
from .syntax import Term, parse_query, positive_terms
from .understand import STOPWORDS, Understanding, Vocabulary, segment, understand

WITHIN = {"sentence": SENTENCE, "paragraph": PARAGRAPH}


@lru_cache(maxsize=8)
def _synonyms(root: str, user_mtime: int) -> synonyms_module.Synonyms:
    return synonyms_module.load(Path(root))


def synonyms_for(snapshot) -> synonyms_module.Synonyms:
    """The shipped rules plus the user's `synonyms.txt` in the index folder (re-read when it changes)."""
    user = Path(snapshot.root) / synonyms_module.USER_FILE
    try:
        mtime = user.stat().st_mtime_ns
    except OSError:
        mtime = 0
    return _synonyms(str(snapshot.root), mtime)


def _hit(record: dict, docnum: int, score: float) -> Hit:
    """A hit from a record as the store shows it (`Record.to_dict`)."""
    return Hit(
        docnum=docnum, id=record["id"], score=score, title=record.get("title", ""),
        toc_title=record.get("toc_title", ""), kind=record.get("kind", ""), district=record.get("district", ""),
        section=record.get("section", ""), issue=record.get("issue", 0), issue_total=record.get("issue_total", 0),
        date=record["date"], org=record.get("org", ""), authors=list(record.get("authors", [])),
        source=record.get("source", ""),
    )


def read_query(snapshot, tree, exact: bool = False):
    """A parsed query, understood: (its positive terms, how they were read, the vocabulary,
    a matcher over every live document). Shared with the OpenSearch translator."""
    store = snapshot.store
    synonyms = synonyms_for(snapshot)
    vocab = Vocabulary(store, synonyms)
    terms = positive_terms(tree)
    understanding = understand(terms, vocab, synonyms, exact)
    return terms, understanding, vocab, Matcher(store, snapshot.shared_searcher, store.live_set, understanding, vocab)


def search(snapshot, text: str, filters: Filters | None = None, sort: str = "relevance", limit: int | None = 10,
           facets: bool = False, with_snippets: bool = True, exact: bool = False, within: str | None = None,
           tiers: tuple[str, ...] = TIERS, offset: int = 0, suggest: bool = True) -> SearchResult:
    """Run a query against an index snapshot. `limit` None or 0 means every hit; `offset`
    skips that many of the ranked hits; `tiers` limits which tiers are returned; without
    exact or words hits, `suggest` adds next steps to the result."""
    if within is not None and within not in WITHIN:
        raise UsageError(_("--within takes sentence or paragraph, not {value!r}").format(value=within))
    filters = filters or Filters()
    if not text.strip():
        return browse(snapshot, filters, sort, limit, offset, facets, with_snippets)
    tree = parse_query(text)
    counted_partial = False
    store = snapshot.store
    terms, understanding, vocab, matcher = read_query(snapshot, tree, exact)
    if filters.any():
        universe = matcher.whoosh(filters) & store.live_set
        if filters.authors or filters.orgs:
            universe = filters.byline_docs(store, universe)
        matcher.universe = universe

    exact_docs = matcher.exact(tree) if matcher.universe else set()
    words_docs: set[int] = set()
    partial: dict[int, float] = {}
    if not exact and matcher.universe:
        words_docs = matcher.words(tree)
        words_docs = set() if words_docs is exact_docs else words_docs - exact_docs  # the same set: a word typed
        # The partial tier is the fallback: looked for when the higher tiers leave room on
        # the page asked for (or every hit is asked for).
        room = limit is None or limit == 0 or len(exact_docs) + len(words_docs) < limit + offset
        if "partial" in tiers and room:
            matcher.settled = exact_docs | words_docs
            partial = matcher.coverage(tree)
            if partial.keys() & matcher.settled:  # rarely (a term read exactly): set operations first
                partial = {d: c for d, c in partial.items() if d not in matcher.settled}
            counted_partial = True

    text_terms = [t for t in terms if t.field in ("", "title")]
    term_keys = list(dict.fromkeys(t.key for t in text_terms))
    word_keys = [w.keys for w in understanding.words]
    all_keys = list(dict.fromkeys([*term_keys, *(k for keys in word_keys for k in keys)]))

    # Proximity: of the terms for exact hits (when there are several), of the words otherwise.
    near = levels(store, word_keys, words_docs, matcher.df)
    if within is not None:
        level = WITHIN[within]
        near.update(levels(store, [[k] for k in term_keys], exact_docs, matcher.df))
        for d in partial:
            held = [keys for keys in word_keys if any(k in store.docs["body"][d] for k in keys)]
            near[d] = levels(store, held, (d,), matcher.df)[d]
        exact_docs = {d for d in exact_docs if near[d] >= level}
        words_docs = {d for d in words_docs if near[d] >= level}
        partial = {d: c for d, c in partial.items() if near[d] >= level}

    selected = {t: docs for t, docs in (("exact", exact_docs), ("words", words_docs), ("partial", set(partial)))
                if t in tiers and (t != "partial" or counted_partial)}
    total = sum(len(d) for d in selected.values())

    # BM25F over the words of the terms as typed (the words tier's words are among them);
    # alternatives only decide membership, so the exact tier ranks the same with or without them.
    pieces = [w for k in term_keys for w in segment(k, vocab)]
    scorer = Scorer(store, list(dict.fromkeys([w for w in pieces if w not in STOPWORDS] or pieces)), matcher.df)
    want = None if not limit else limit + offset
    if sort in ("date", "oldest"):
        page = [d for docs in selected.values() for d in by_date(store, docs, None, sort == "oldest")][:want]
        scores = scorer.scores(set(page), None)
    else:
        groups = _groups(store, matcher, selected, term_keys, word_keys, near)
        page, scores = rank(scorer, store, groups, want)
    page = page[offset:]

    body_term_keys = [t.key for t in text_terms if t.field == ""]
    hits = []
    for d in page:
        stored = store.shown(d)
        hit = _hit(stored, d, scores.get(d, 0.0))
        hit.match = "exact" if d in exact_docs else "words" if d in words_docs else "partial"
        if hit.match == "words":
            hit.proximity = PROXIMITY_NAMES[near[d]]
        if with_snippets:
            title_keys, body_keys = (term_keys, body_term_keys) if hit.match == "exact" else (all_keys, all_keys)
            body = stored.get("body", "")
            hit.snippets = snippets(body, find_spans(body, body_keys))
            hit.title_highlights = find_spans(hit.title, title_keys)
        hits.append(hit)

    result = SearchResult(text, total, hits, understood=understanding,
                          tiers={t: len(d) for t, d in selected.items()}, offset=offset,
                          partial_pending=not exact and "partial" in tiers and not counted_partial)
    if words_docs and "words" in tiers:
        counts = Counter(map(near.__getitem__, words_docs))
        result.proximity = {"sentence": counts[SENTENCE], "paragraph": counts[PARAGRAPH],
                            "anywhere": len(words_docs) - counts[SENTENCE] - counts[PARAGRAPH]}
    if facets:
        result.facets = facet_counts(store, set().union(*selected.values()) if selected else set())
    if suggest and not exact_docs and not words_docs:
        from .suggest import suggestions

        result.suggestions = suggestions(snapshot, text, tree, filters, understanding, vocab, matcher,
                                         nothing=total == 0, within=within)
    return result


def browse(snapshot, filters: Filters, sort: str = "date", limit: int | None = 10, offset: int = 0,
           facets: bool = False, with_snippets: bool = True) -> SearchResult:
    """Every record the filters select, newest first (oldest first with sort="oldest"): a
    search without a query. Filters are required: a list of the whole archive is `list`'s."""
    if not filters.any():
        from ..errors import QuerySyntaxError

        raise QuerySyntaxError(_("empty query: type a word to search for, e.g. 西湖龙井, or give a filter to list "
                                 "the records it selects, e.g. --district 余杭 --year 2024"))
    store = snapshot.store
    matcher = Matcher(store, snapshot.shared_searcher, store.live_set, understand([], None, None), None)
    docs = matcher.whoosh(filters) & store.live_set
    if filters.authors or filters.orgs:
        docs = filters.byline_docs(store, docs)
    ordered = by_date(store, docs, None, oldest_first=sort == "oldest")
    page = ordered[offset:offset + limit] if limit else ordered[offset:]
    hits = []
    for d in page:
        stored = store.shown(d)
        hit = _hit(stored, d, 0.0)
        if with_snippets:
            hit.snippets = snippets(stored.get("body", ""), [])
        hits.append(hit)
    result = SearchResult("", len(docs), hits, tiers={"exact": len(docs)}, offset=offset)
    if facets:
        result.facets = facet_counts(store, docs)
    return result


def _groups(store, matcher, selected: dict[str, set[int]], term_keys, word_keys, near) -> list[set[int]]:
    """The hits in ranking order, as groups that BM25F then orders (see `rank`): each
    criterion breaks the ties of the one before."""
    exact, words = selected.get("exact", set()), selected.get("words", set())
    # Exact: by how many of the terms the title holds.
    if len(term_keys) == 1:  # in the title or not: two sets, the second made only if the page reaches it
        key = term_keys[0]
        in_title = store.holding(("title", key), lambda: store.docs_containing(key, "title"))
        if not matcher.every(key, exact):  # filtered, or narrowed: only those
            in_title = in_title & exact
        groups = [in_title, lambda: exact - in_title]
    else:
        in_title = Counter()
        for k in term_keys:
            in_title.update(store.docs_containing(k, "title", exact))
        groups = _split(exact, in_title.__getitem__, among=set(in_title))
    # Words: sentence, paragraph, apart; then by how many of the words the title holds.
    words_in_title = Counter()
    for keys in word_keys:
        words_in_title.update(set().union(*(store.docs_containing(k, "title", words) for k in keys)))
    for level in _split(words, near.__getitem__):  # keyed in C: the tier may run to thousands
        groups += _split(level, words_in_title.__getitem__, among=set(words_in_title))
    # Partial: by how many of the query's words the record holds (one held only in part
    # counts a half).
    partial = selected.get("partial", set())
    held = matcher.held
    held.update(dict.fromkeys(partial - held.keys(), 0))  # held as typed (an exclusion, a quoted phrase)
    groups += _split(partial, held.__getitem__)
    return groups


def _split(docs: set[int], key, among: set[int] | None = None) -> list[set[int]]:
    """`docs` in groups by `key`, highest first. With `among`, only those documents are
    keyed; the others form the last group (key 0)."""
    ordered = sorted(docs if among is None else docs & among, key=key, reverse=True)
    out = [set(group) for _, group in groupby(ordered, key)]
    if among is not None and docs - among:
        out.append(docs - among)
    return out


def facet_counts(store, docnums) -> dict[str, list[tuple[str, int]]]:
    rows = [store.rows[d] for d in docnums]
    district = Counter(r.district for r in rows)
    year = Counter(r.date[:4] for r in rows)
    section = Counter(r.section for r in rows)
    return {
        "district": district.most_common(),
        "year": sorted(year.items()),  # oldest first, as `stats` lists them
        "section": section.most_common(),
    }


def get_record(snapshot, record_id: str) -> Hit | None:
    """One record by id (`697-03`), with its body in the first snippet's place."""
    searcher = snapshot.shared_searcher()
    docnum = searcher.document_number(id=record_id)
    if docnum is None:
        return None
    stored = snapshot.store.shown(docnum)
    hit = _hit(stored, docnum, 0.0)
    hit.snippets = [Snippet(stored.get("body", ""), [])]
    return hit


def canonical_id(record_id: str) -> str:
    """`697-3` and ` 697-03 ` -> `697-03`, the form ids are stored in; other text unchanged."""
    m = re.fullmatch(r"\s*(\d+)\s*[-－—]\s*(\d+)\s*", record_id)
    return f"{int(m.group(1))}-{int(m.group(2)):02d}" if m else record_id.strip()


def issue_records(snapshot, issue_total: int) -> list[Hit]:
    """The records of one issue (by its running number), in their order in the issue."""
    store = snapshot.store
    prefix = f"{issue_total}-"
    docs = sorted((d for d in store.live if store.rows[d].id.startswith(prefix)), key=lambda d: store.rows[d].id)
    return [_hit(store.shown(d), d, 0.0) for d in docs]


def show_record(snapshot, record_id: str, query: str | None = None) -> Hit:
    """One whole record by id, its body as a single snippet, with the query's matches marked
    (its terms as typed, and the words it is understood as)."""
    hit = get_record(snapshot, canonical_id(record_id))
    if hit is None:
        raise SearchkitError(_("no record {id!r} in the index; ids look like 697-03 (see `searchkit search`)").format(
            id=record_id))
    if query:
        terms = [t for t in positive_terms(parse_query(query)) if t.field in ("", "title")]
        synonyms = synonyms_for(snapshot)
        understanding = understand(terms, Vocabulary(snapshot.store, synonyms), synonyms)
        keys = list(dict.fromkeys([*(t.key for t in terms), *(k for w in understanding.words for k in w.keys)]))
        body = hit.snippets[0].text
        hit.snippets = [Snippet(body, find_spans(body, keys))]
        hit.title_highlights = find_spans(hit.title, keys)
    return hit


__all__ = ["search", "show_record", "get_record", "facet_counts", "Understanding", "Term"]
