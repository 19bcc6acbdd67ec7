"""The road past one machine: searchkit's index and queries for OpenSearch.

Three things, all plain data (see docs/scale-out.md for the why):

* `index_body()` — the settings and mappings of an OpenSearch index (`PUT /searchkit`):
  keyword fields for the filters; the original text of title, table-of-contents title,
  body, unit and authors analysed *per character* after the same folding as
  `normalize.search_key` (a `mapping` char filter generated from searchkit's own table:
  width, case, traditional -> simplified, whitespace dropped), so that `match_phrase` is a
  substring test on the search key, the exact tier; a second per-character analysis of
  the body that keeps paragraph breaks, for 同句 / 同段 proximity (`intervals`); and the
  jieba words of title, body and byline, pre-segmented at export time and joined by
  spaces, under a whitespace analyzer, for BM25F scoring (`combined_fields`). No plugin.
* `write_export()` — `searchkit export --format opensearch -o DIR`: `mapping.json` (that
  body) and `bulk-001.ndjson`, ... (the whole index, as `_bulk` requests of at most
  `BULK_CHUNK_BYTES` each).
* `translate()` — a query as searchkit understands it (syntax, words, synonyms, filters,
  tiers) -> the body of an OpenSearch `_search` request.

No OpenSearch server runs where searchkit is developed and tested: the tests check the
generated JSON against expected requests, the bulk files against the index, and the
char filter against `search_key`; nothing here talks to a server.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from pathlib import Path

from .analysis import record_texts
from .bulletin import KNOWN_SECTIONS
from .errors import SearchkitError, UsageError
from .i18n import _, enumerate_items, ngettext
from .normalize import search_key

MAPPING_FILE = "mapping.json"
BULK_PATTERN = "bulk-{:03d}.ndjson"
BULK_CHUNK_BYTES = 50 * 2**20  # OpenSearch refuses requests over http.max_content_length (100 MB by default)
INDEX_NAME = "searchkit"  # as the docs name it; the bulk files name no index, so the URL decides

#: Fields that hold original text, analysed per character after search-key folding: a
#: plain term matches in any of them (searchkit's title, TOC title, body and byline).
TEXT_FIELDS = ("title", "toc_title", "body", "org", "authors.chars")
WORD_FIELDS = ("title_words^3", "body_words", "byline_words")  # BM25F as `query.rank.Scorer`: title 3x
PARAGRAPH_MARK = "\u2029"  # what a line break becomes in `body.paragraphs` (no search key holds it)
SENTENCE_ENDS = ("。", "!", "?", ";", "…")  # `store._SENTENCE_END` after search-key folding (！？； -> !?;)

# Tiers as constant scores far above any BM25F score, so a higher tier always ranks first
# (as `query.rank` orders them); a hit of a tier also meets the looser tiers' conditions,
# so its score is the sum: exact >= 10,000 > words + proximity <= 1,400 > partial (BM25F only).
EXACT_BOOST, WORDS_BOOST, SENTENCE_BOOST, PARAGRAPH_BOOST, TITLE_TERM_BOOST = 10_000, 1_000, 200, 200, 50
MAX_PARTIAL_UNITS = 10  # up to this many words, the partial tier's weighted rule is spelled out exactly


# --------------------------------------------------------------------------- the index


def _escape(text: str) -> str:
    """Text as a mapping-rule side: every UTF-16 unit as \\uXXXX (spaces, `=>`, non-BMP safe)."""
    data = text.encode("utf-16-le", "surrogatepass")
    return "".join(f"\\u{int.from_bytes(data[i:i + 2], 'little'):04x}" for i in range(0, len(data), 2))


def key_mappings(paragraph_mark: str | None = None) -> list[str]:
    """`normalize.search_key` as the rules of an OpenSearch `mapping` char filter: each
    character it changes or drops, one rule a character. With `paragraph_mark`, a line
    break becomes that character instead of going (for `body.paragraphs`)."""
    from .normalize import _KEY  # the table search_key translates with

    rules = []
    for cp, value in sorted(_KEY.items()):
        c = chr(cp)
        if paragraph_mark is not None and c in ("\n", paragraph_mark):
            value = paragraph_mark  # kept, also in a query: `translate` looks for it as a boundary
        if value == c:
            continue
        rules.append(f"{_escape(c)} => {_escape(value or '')}".rstrip())
    return rules


def apply_mappings(rules: list[str], text: str) -> str:
    """What OpenSearch's mapping char filter makes of `text` with these rules (one character
    each): for the tests, which check the rules against `search_key` without a server."""
    return text.translate(mapping_table(rules))


def mapping_table(rules: list[str]) -> dict[int, str]:
    """The rules of a mapping char filter as a `str.translate` table."""
    table = {}
    for rule in rules:
        left, __, right = rule.partition("=>")
        source = _unescape(left.strip())
        if len(source) != 1:
            raise ValueError(f"not a one-character rule: {rule!r}")
        table[ord(source)] = _unescape(right.strip())
    return table


def _unescape(side: str) -> str:
    units = [int(u, 16) for u in side.split("\\u")[1:]]
    return b"".join(u.to_bytes(2, "little") for u in units).decode("utf-16-le", "surrogatepass")


def synonym_rules(synonyms, segment) -> list[str]:
    """searchkit's synonym rules (shipped and the user's) in Solr format for a `synonym_graph`
    filter over pre-segmented words: each side segmented as the index segments (`segment`:
    text -> words), one one-way rule per word that keeps the word itself."""
    rules = []
    for key in sorted(synonyms.rules):
        alternatives = [" ".join(segment(a.text)) for a in synonyms.rules[key].values()]
        words = " ".join(segment(key))
        sides = [w for w in dict.fromkeys([words, *alternatives]) if w]
        if len(sides) > 1 and "," not in "".join(sides) and "=>" not in "".join(sides):
            rules.append(f"{words} => {', '.join(sides)}")
    return rules


def index_body(synonyms=None, segment=None) -> dict:
    """Settings and mappings for `PUT /searchkit` (see the module's docstring)."""
    analysis = {
        "char_filter": {
            "sk_key": {"type": "mapping", "mappings": key_mappings()},
            "sk_key_paragraphs": {"type": "mapping", "mappings": key_mappings(PARAGRAPH_MARK)},
        },
        "tokenizer": {"sk_char": {"type": "ngram", "min_gram": 1, "max_gram": 1, "token_chars": []}},
        "normalizer": {"sk_key": {"type": "custom", "char_filter": ["sk_key"]}},
        "analyzer": {
            "sk_chars": {"type": "custom", "char_filter": ["sk_key"], "tokenizer": "sk_char"},
            "sk_paragraphs": {"type": "custom", "char_filter": ["sk_key_paragraphs"], "tokenizer": "sk_char"},
            "sk_words": {"type": "custom", "tokenizer": "whitespace"},
        },
    }
    if synonyms is not None and segment is not None:
        analysis["filter"] = {"sk_synonyms": {"type": "synonym_graph", "lenient": True,
                                              "synonyms": synonym_rules(synonyms, segment)}}
        # For other clients' `match` queries on the word fields ("analyzer": "sk_words_synonyms");
        # `translate` sends searchkit's own expansions instead (see docs/scale-out.md).
        analysis["analyzer"]["sk_words_synonyms"] = {"type": "custom", "tokenizer": "whitespace",
                                                     "filter": ["sk_synonyms"]}
    chars = {"type": "text", "analyzer": "sk_chars"}
    words = {"type": "text", "analyzer": "sk_words", "index_options": "freqs"}
    keyword = {"type": "keyword"}
    return {
        "settings": {"index": {"number_of_shards": 1, "number_of_replicas": 1, "max_result_window": 10_000},
                     "analysis": analysis},
        "mappings": {
            "dynamic": "strict",
            # The word fields are derived (jieba at export time): indexed, not kept in _source.
            "_source": {"excludes": ["title_words", "body_words", "byline_words"]},
            "properties": {
                "id": keyword, "publication": keyword, "kind": keyword, "section": keyword, "district": keyword,
                "issue": {"type": "integer"}, "issue_total": {"type": "integer"}, "seq": {"type": "integer"},
                "date": {"type": "date", "format": "yyyy-MM-dd"},
                "title": chars, "toc_title": chars,
                "body": {**chars, "fields": {"paragraphs": {"type": "text", "analyzer": "sk_paragraphs"}}},
                "org": {**chars, "fields": {"keyword": keyword}},
                "authors": {"type": "keyword", "normalizer": "sk_key", "fields": {"chars": chars}},
                "source": {"type": "keyword", "index": False},
                "title_words": words, "body_words": words, "byline_words": words,
            },
        },
    }


def _segmenter(root: Path):
    """Text -> the words the index counts in it (`analysis.words`, with the index's dictionaries)."""
    import contextlib

    from . import analysis
    from .index import UpdateReport, _checked_userdict

    stack = contextlib.ExitStack()
    previous = analysis._active
    analysis.use_dictionaries(_checked_userdict(root, UpdateReport(str(root)), stack))
    segment = analysis.words

    def close():
        analysis._active = previous
        stack.close()

    return segment, close


def documents(snapshot, segment):
    """(id, document) for every record of the index, in docnum order, as the bulk files hold them."""
    for d in snapshot.store.live:
        s = snapshot.store.shown(d)
        authors = list(s.get("authors", []))
        title, toc, org, body = s.get("title", ""), s.get("toc_title", ""), s.get("org", ""), s.get("body", "")
        yield s["id"], {
            "id": s["id"], "publication": s.get("publication", ""), "issue": s.get("issue", 0),
            "issue_total": s.get("issue_total", 0), "date": s["date"], "seq": s.get("seq", 0),
            "kind": s.get("kind", ""), "section": s.get("section", ""), "district": s.get("district", ""),
            "title": title, "toc_title": toc, "body": body, "org": org, "authors": authors,
            "source": s.get("source", ""),
            # The texts whose words the index counts (`analysis.record_texts`), segmented as it does.
            **{field: " ".join(segment(text)) for field, text in zip(
                ("title_words", "body_words", "byline_words"), record_texts(title, toc, body, org, authors))},
        }


def write_export(snapshot, folder: str, force: bool = False) -> tuple[int, list[str]]:
    """Write `mapping.json` and the bulk files for the whole index into `folder` (created if
    missing). Returns (records written, file names). Refuses to replace earlier export files
    without `force`; each file is written to a temporary name and renamed when complete."""
    from .export import ExportError, _write_atomically
    from .query.pipeline import synonyms_for

    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise UsageError(_("{folder} is a file; --format opensearch writes a folder (mapping.json and bulk "
                           "files): give a folder name, e.g. -o opensearch/").format(folder=folder))
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(_("cannot create the folder {folder}: {reason}").format(
            folder=folder, reason=exc.strerror or exc)) from None
    ours = sorted(p.name for p in out.iterdir() if p.name == MAPPING_FILE or
                  (p.name.startswith("bulk-") and p.name.endswith(".ndjson")))
    if ours and not force:
        raise SearchkitError(_("{folder} already holds an export ({files}); use --force to replace it").format(
            folder=folder, files=enumerate_items(ours[:3])))
    segment, close = _segmenter(Path(snapshot.root))
    try:
        body = index_body(synonyms_for(snapshot), segment)
        mapping_text = json.dumps(body, ensure_ascii=False, indent=1) + "\n"
        _write_atomically(str(out / MAPPING_FILE), lambda f: f.write(mapping_text), True, "utf-8")
        names, count, chunk, size = [MAPPING_FILE], 0, [], 0

        def flush():
            name = BULK_PATTERN.format(len(names))
            lines = list(chunk)
            _write_atomically(str(out / name), lambda f: f.writelines(lines), True, "utf-8")
            names.append(name)

        for doc_id, doc in documents(snapshot, segment):
            pair = (json.dumps({"index": {"_id": doc_id}}, ensure_ascii=False) + "\n"
                    + json.dumps(doc, ensure_ascii=False) + "\n")
            n = len(pair.encode("utf-8"))
            if chunk and size + n > BULK_CHUNK_BYTES:
                flush()
                chunk, size = [], 0
            chunk.append(pair)
            size += n
            count += 1
        if chunk or count == 0:
            flush()
    finally:
        close()
    for stale in ours:  # bulk files of an earlier, larger export
        if stale not in names:
            os.unlink(out / stale)
    return count, names


# --------------------------------------------------------------------------- queries


def _any_text(key: str) -> dict:
    """The key as a substring of any text field: the exact tier's test (grep on the search key)."""
    return {"multi_match": {"query": key, "type": "phrase", "fields": list(TEXT_FIELDS)}}


def _phrase(field: str, key: str) -> dict:
    return {"match_phrase": {field: key}}


def _all(clauses: list[dict]) -> dict:
    return clauses[0] if len(clauses) == 1 else {"bool": {"filter": clauses}}


def _one_of(clauses: list[dict]) -> dict:
    return clauses[0] if len(clauses) == 1 else {"bool": {"should": clauses, "minimum_should_match": 1}}


def _none_of(clause: dict) -> dict:
    return {"bool": {"must_not": [clause]}}


class Translator:
    """Builds the clauses of each tier from searchkit's own reading of a query."""

    def __init__(self, understanding, matcher=None, known_sections=KNOWN_SECTIONS):
        self.understanding = understanding
        self.matcher = matcher  # IDF and "weak" (generic words, district names) for the partial tier
        self.known_sections = known_sections

    # exact: every term as typed
    def term(self, t) -> dict:
        from .query.filters import canonical_district, canonical_section

        if t.field == "":
            return _any_text(t.key)
        if t.field == "title":
            return _one_of([_phrase("title", t.key), _phrase("toc_title", t.key)])
        if t.field == "org":
            return _phrase("org", t.key)
        if t.field == "author":
            return {"term": {"authors": t.key}}
        if t.field == "district":
            return {"term": {"district": canonical_district(t.text)}}
        return {"term": {"section": canonical_section(t.text, self.known_sections)}}

    def exact(self, node) -> dict:
        from .query.syntax import Not, Or, Term

        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Not):
            return _none_of(self.exact(node.item))
        if isinstance(node, Or):
            return _one_of([self.exact(i) for i in node.items])
        return _all([self.exact(i) for i in node.items])

    # words: each plain term as all of its words, each word or one of its alternatives
    def word(self, word) -> dict:
        return _one_of([_any_text(k) for k in word.keys])

    def words(self, node) -> dict:
        from .query.syntax import Not, Or, Term

        if isinstance(node, Term):
            reading = self.understanding.reading(node)
            if reading.exact_only:
                return self.term(node)
            return _all([self.word(w) for w in reading.words])
        if isinstance(node, Not):
            return _none_of(self.exact(node.item))
        if isinstance(node, Or):
            return _one_of([self.words(i) for i in node.items])
        return _all([self.words(i) for i in node.items])

    # partial: enough of the words, weighted by IDF (see query.match.Matcher.coverage)
    def partial(self, node) -> dict | None:
        from .query.syntax import Not, Or, Term

        if isinstance(node, Term):
            reading = self.understanding.reading(node)
            if reading.exact_only:
                return self.term(node)
            return self._enough(*self._units(reading.words))
        if isinstance(node, Not):
            return _none_of(self.exact(node.item))
        if isinstance(node, Or):
            parts = [p for p in (self.partial(i) for i in node.items) if p is not None]
            return _one_of(parts) if parts else None
        hard, units, total = [], [], 0.0
        for item in node.items:
            if isinstance(item, Not) or (isinstance(item, Term) and self.understanding.reading(item).exact_only):
                hard.append(self.partial(item))
            elif isinstance(item, Term):
                more, weight = self._units(self.understanding.reading(item).words)
                units += more
                total += weight
            else:
                clause = self.partial(item)
                if clause is not None:
                    units.append((clause, self._weight(item), False, (id(item), False)))
                    total += self._weight(item)
        soft = self._enough(units, total) if units else None
        if soft is None and units:
            return None
        return _all(hard + ([soft] if soft else []))

    def _units(self, words) -> tuple[list[tuple], float]:
        """(clause, weight, weak, word) per word, and per part of a word, with the words' total weight
        (see `Matcher._term_coverage`): a word weighs its IDF; its parts (the shorter index
        words inside a known word, as jieba tokens; the character pairs of a word no record
        holds, as text) share PART_CREDIT of that weight by their own IDF. A word no record
        holds weighs what its parts weigh. Weak words (generic, district names) and their
        parts are never enough alone. `word` tells `_enough` which units are a word and its
        parts: a record holding the word gets its weight, never its parts' on top."""
        from .query.match import PART_CREDIT

        m = self.matcher
        if m is None:
            return [(self.word(w), 1.0, False, (id(w), False)) for w in words], float(len(words))
        units, total = [], 0.0
        for w in words:
            held = m.df(w.key) > 0 or any(m.df(k) for k in w.keys)
            parts = [(p, m.idf(p)) for p, _ in m.parts(w.key, held)]
            part_weight = sum(pw for _, pw in parts)
            weight = m.idf(w.key) if held else part_weight
            if not weight:
                continue
            weak = m.weak(w.key) and len(words) > 1
            total += weight
            if held:
                units.append((self.word(w), weight, weak, (id(w), False)))
            for p, pw in parts:
                clause = _any_text(p)  # a part counts as a substring, as every word does
                units.append((clause, weight * PART_CREDIT * pw / part_weight, weak, (id(w), True)))
        return units, total

    def _idf(self, key: str) -> float:
        return self.matcher.idf(key) if self.matcher is not None else 1.0

    def _weak(self, key: str) -> bool:
        return self.matcher.weak(key) if self.matcher is not None else False

    def _weight(self, node) -> float:
        from .query.syntax import Not, Term

        if isinstance(node, Term):
            return sum(self._idf(w.key) for w in self.understanding.reading(node).words) or 1.0
        if isinstance(node, Not):
            return 0.0
        return max((self._weight(i) for i in node.items), default=1.0)

    def _enough(self, units: list[tuple], total: float) -> dict | None:
        """Documents holding units that carry at least PARTIAL_SHARE of the `total` weight,
        not weak units alone: the smallest such sets of units, spelled out; past
        MAX_PARTIAL_UNITS units, a third of them (`minimum_should_match`)."""
        from .query.match import PARTIAL_SHARE

        if not units or not total:
            return None
        if len(units) > MAX_PARTIAL_UNITS:
            return {"bool": {"should": [u[0] for u in units],
                             "minimum_should_match": max(1, math.ceil(len(units) * PARTIAL_SHARE))}}
        enough = []
        for size in range(1, len(units) + 1):
            for combo in itertools.combinations(range(len(units)), size):
                if any(set(smaller) <= set(combo) for smaller in enough):
                    continue  # a smaller set already qualifies: this one adds nothing
                owners = [units[i][3] for i in combo]
                if any((word, False) in owners for word, part in owners if part):
                    continue  # a word held counts whole, its parts never on top of it
                weight = sum(units[i][1] for i in combo)
                if weight >= PARTIAL_SHARE * total - 1e-9 and not all(units[i][2] for i in combo):
                    enough.append(combo)
        if not enough:
            return None
        return _one_of([_all([units[i][0] for i in combo]) for combo in enough])

    # proximity: words (each by any of its keys) in one sentence / paragraph, or all in one title
    @staticmethod
    def near(keys_per_word: list[list[str]], level: str) -> dict | None:
        if len(keys_per_word) < 2:
            return None  # one word stands in one sentence wherever it is
        ends = [*(SENTENCE_ENDS if level == "sentence" else ()), PARAGRAPH_MARK]
        body = {"intervals": {"body.paragraphs": {"all_of": {
            "ordered": False,
            "intervals": [_one_interval([{"match": {"query": k, "max_gaps": 0, "ordered": True}} for k in keys])
                          for keys in keys_per_word],
            "filter": {"not_containing": _one_interval([{"match": {"query": e}} for e in ends])},
        }}}}
        in_title = [_all([_one_of([_phrase(f, k) for k in keys]) for keys in keys_per_word])
                    for f in ("title", "toc_title")]
        return _one_of([body, *in_title])


def _one_interval(rules: list[dict]) -> dict:
    return rules[0] if len(rules) == 1 else {"any_of": {"intervals": rules}}


def filter_clauses(filters, known_sections=KNOWN_SECTIONS) -> list[dict]:
    """searchkit's filters as OpenSearch filter clauses (keyword, numeric and date fields)."""
    from .query.filters import canonical_district, canonical_section

    out = []
    if filters.districts:
        out.append({"terms": {"district": [canonical_district(d) for d in filters.districts]}})
    if filters.sections:
        out.append({"terms": {"section": [canonical_section(s, known_sections) for s in filters.sections]}})
    if filters.issues:
        out.append(_one_of([{"terms": {"issue": list(filters.issues)}},
                            {"terms": {"issue_total": list(filters.issues)}}]))
    lo, hi = filters.dates()
    if lo or hi:
        out.append({"range": {"date": {**({"gte": lo.isoformat()} if lo else {}),
                                       **({"lte": hi.isoformat()} if hi else {})}}})
    if filters.authors:
        out.append({"terms": {"authors": [search_key(a) for a in filters.authors]}})
    if filters.orgs:
        out.append(_one_of([_phrase("org", search_key(o)) for o in filters.orgs]))
    return out


SORTS = {
    "relevance": ["_score", {"date": "desc"}, {"id": "asc"}],
    "date": [{"date": "desc"}, {"id": "desc"}],
    "oldest": [{"date": "asc"}, {"id": "asc"}],
}
HIGHLIGHT = {"type": "unified", "pre_tags": ["<em>"], "post_tags": ["</em>"],
             "fields": {"title": {"number_of_fragments": 0}, "toc_title": {"number_of_fragments": 0},
                        "body": {"fragment_size": 100, "number_of_fragments": 3, "no_match_size": 100}}}
SOURCE = ["id", "title", "toc_title", "date", "issue", "issue_total", "section", "district", "org", "authors",
          "source", "kind"]


def translate(snapshot, text: str, filters=None, sort: str | None = None, limit: int | None = 10,
              offset: int = 0, exact: bool = False, within: str | None = None, facets: bool = False) -> dict:
    """The body of an OpenSearch `_search` request for a searchkit query, read as searchkit
    reads it (the same parse, segmentation over the index's vocabulary, stop words,
    synonyms including the user's, filters). `limit` 0 or None: every hit (size 10,000, the
    index's result window; page further with `search_after` on the sort values)."""
    from .query import Filters, parse_query
    from .query.pipeline import WITHIN, read_query
    from .query.understand import STOPWORDS, segment

    if within is not None and within not in WITHIN:
        raise UsageError(_("--within takes sentence or paragraph, not {value!r}").format(value=within))
    filters = filters or Filters()
    known = _known_sections(snapshot) if filters.sections else KNOWN_SECTIONS
    body: dict = {"track_total_hits": True, "from": offset, "size": limit or 10_000}
    flt = filter_clauses(filters, known)
    if not text.strip():
        if not filters.any():
            from .errors import QuerySyntaxError

            raise QuerySyntaxError(_("empty query: type a word to search for, or give a filter"))
        body["query"] = {"bool": {"filter": flt}}
        body["sort"] = SORTS["oldest" if sort == "oldest" else "date"]
        body["_source"] = SOURCE
    else:
        tree = parse_query(text)
        terms, understanding, vocab, matcher = read_query(snapshot, tree, exact)
        tr = Translator(understanding, matcher, known)

        text_terms = [t for t in terms if t.field in ("", "title")]
        term_keys = list(dict.fromkeys(t.key for t in text_terms))
        word_keys = [w.keys for w in understanding.words]
        exact_q = tr.exact(tree)
        tiers = {"exact": exact_q}
        if not exact:
            tiers["words"] = tr.words(tree)
            partial = tr.partial(tree)
            if partial is not None:
                tiers["partial"] = partial
        if within is not None:
            near_terms = Translator.near([[k] for k in term_keys], within)
            near_words = Translator.near(word_keys, within)
            if near_terms:
                tiers["exact"] = _all([tiers["exact"], near_terms])
            if "words" in tiers and near_words:
                tiers["words"] = _all([tiers["words"], near_words])
            tiers.pop("partial", None)  # searchkit looks at the words each partial hit holds: no translation
        flt.append(_one_of(list(tiers.values())))

        # Scoring: the tiers as constant scores, then BM25F over the jieba words of the terms
        # as typed (alternatives decide membership only, as in query.rank).
        pieces = [w for k in term_keys for w in segment(k, vocab)]
        scoring = list(dict.fromkeys([w for w in pieces if w not in STOPWORDS] or pieces))
        should = [{"constant_score": {"filter": tiers["exact"], "boost": EXACT_BOOST, "_name": "exact"}}]
        should += [{"constant_score": {"filter": _one_of([_phrase("title", k), _phrase("toc_title", k)]),
                                       "boost": TITLE_TERM_BOOST, "_name": f"title:{k}"}} for k in term_keys]
        if "words" in tiers:
            should.append({"constant_score": {"filter": tiers["words"], "boost": WORDS_BOOST, "_name": "words"}})
            for level, boost in (("sentence", SENTENCE_BOOST), ("paragraph", PARAGRAPH_BOOST)):
                near = Translator.near(word_keys, level)
                if near is not None:
                    should.append({"constant_score": {"filter": _all([tiers["words"], near]), "boost": boost,
                                                      "_name": f"words:{level}"}})
        if "partial" in tiers:
            should.append({"constant_score": {"filter": tiers["partial"], "boost": 0, "_name": "partial"}})
        if scoring:
            should.append({"combined_fields": {"query": " ".join(scoring), "fields": list(WORD_FIELDS),
                                               "operator": "or"}})
        body["query"] = {"bool": {"filter": flt, "should": should}}
        body["sort"] = SORTS[sort or "relevance"]
        body["_source"] = SOURCE
        body["highlight"] = HIGHLIGHT
        # How many hits each tier holds (the first line of searchkit's output).
        counts = {"exact": tiers["exact"]}
        if "words" in tiers:
            counts["words"] = _all([tiers["words"], _none_of(tiers["exact"])])
        if "partial" in tiers:
            counts["partial"] = _all([tiers["partial"], _none_of(tiers["exact"]), _none_of(tiers["words"])])
        body["aggs"] = {"tiers": {"filters": {"filters": counts}}}
    if facets:
        body.setdefault("aggs", {}).update({
            "district": {"terms": {"field": "district", "size": 50}},
            "year": {"date_histogram": {"field": "date", "calendar_interval": "year", "format": "yyyy",
                                        "min_doc_count": 1}},
            "section": {"terms": {"field": "section", "size": 50}},
        })
    return body


def _known_sections(snapshot) -> list[str]:
    """Sections this index holds, with the usual six (as `Matcher.whoosh` allows them)."""
    return sorted({r.section for r in snapshot.store.rows if r is not None and r.section} | set(KNOWN_SECTIONS))


def cli_export(query: str, filters, output: str, force: bool, open_snapshot) -> None:
    """`searchkit export --format opensearch -o DIR`: the whole index, never a query's hits."""
    import click

    if query.strip() or filters.any():
        raise UsageError(_("--format opensearch exports the whole index (mapping and bulk files), not the hits of "
                           "a query: give no QUERY and no filters; OpenSearch then searches it (searchkit search "
                           "QUERY --format opensearch shows the request)"))
    if output == "-":
        raise UsageError(_("--format opensearch writes a folder (mapping.json and bulk files), not standard output; "
                           "give a folder, e.g. -o opensearch/"))
    count, names = write_export(open_snapshot(), output, force)
    from .terminal import one_line

    # The folder is the user's: shown escaped, on one line (see terminal.py).
    click.echo(one_line(ngettext("Wrote {count} record for OpenSearch to {output}/: {files} (see docs/scale-out.md).",
                                 "Wrote {count} records for OpenSearch to {output}/: {files} (see docs/scale-out.md).",
                                 count).format(count=count, output=output, files=", ".join(names))), err=True)
