"""query: grep-exact matching, exact highlights, query syntax, ranking and filters.

The truth every test compares against is computed here, by plain loops over the parsed
records (`seed_records`) and `normalize.search_key`, never by asking the index.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from searchkit.analysis import segmenter, use_dictionaries
from searchkit.cli import main
from searchkit.errors import QuerySyntaxError, UsageError
from searchkit.index import open_snapshot, update_index
from searchkit.normalize import search_key, search_key_map
from searchkit.parser import BRIEF_SECTION, CITY_LEVEL, DISTRICT_NAMES, KNOWN_SECTIONS
from searchkit.query import FIELDS, Filters, parse_query, search

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- the independent truth


class Corpus:
    """The sample records, their search keys, and material to draw queries from."""

    def __init__(self, records):
        self.records = list(records)
        self.by_id = {r.id: r for r in self.records}
        # A plain term matches the title, the TOC title, the body or the byline (unit, authors).
        self.keys = {r.id: (search_key(r.title), search_key(r.toc_title), search_key(r.body), search_key(r.org),
                            *(search_key(a) for a in r.authors)) for r in self.records}
        self.all_ids = set(self.by_id)
        self.texts = [(r.id, t) for r in self.records for t in (r.body, r.title, r.toc_title) if t]
        self.joins = page_break_joins(self.records)
        self.boundaries = word_boundaries(self.records)
        self.alphabet = sorted({c for _, t in self.texts for c in t if not c.isspace()})

    def has(self, term: str) -> set[str]:
        """Records whose title, TOC title or body contains the term (grep on the search key)."""
        k = search_key(term)
        return {rid for rid, fields in self.keys.items() if any(k in f for f in fields)}

    def title_has(self, term: str) -> set[str]:
        k = search_key(term)
        return {rid for rid, (title, toc, *_) in self.keys.items() if k in title or k in toc}

    def all_of(self, terms) -> set[str]:
        out = set(self.all_ids)
        for t in terms:
            out &= self.has(t)
        return out

    def where(self, pred) -> set[str]:
        return {r.id for r in self.records if pred(r)}


def page_break_joins(records) -> list[tuple[str, int]]:
    """(record id, body offset) of every place where the parser rejoined a cut line.

    Found by comparing the raw file with the body: a raw line that starts a body paragraph
    but is not all of it was continued by the next raw line."""
    joins = []
    raw_lines: dict[str, list[str]] = {}
    for r in records:
        if r.source not in raw_lines:
            text = Path(r.source).read_text(encoding="utf-8")
            raw_lines[r.source] = [ln for ln in (x.replace("**", "").lstrip("#").strip()
                                                 for x in text.splitlines()) if len(ln) >= 4]
        for m in re.finditer(r"[^\n]+", r.body):
            para = m.group()
            for line in raw_lines[r.source]:
                if para.startswith(line) and len(line) < len(para):
                    joins.append((r.id, m.start() + len(line)))
    return joins


def word_boundaries(records) -> list[tuple[str, int, int, int]]:
    """(record id, offset, length of word before, length of word after) between two jieba words."""
    use_dictionaries(())
    out = []
    for r in records:
        words = list(segmenter().tokenize(r.body))
        for (w1, _, e1), (w2, _, _) in zip(words, words[1:]):
            if len(w1) >= 2 and len(w2) >= 2 and not (w1 + w2).isascii():
                out.append((r.id, e1, len(w1), len(w2)))
    return out


@pytest.fixture(scope="session")
def corpus(seed_records) -> Corpus:
    return Corpus(seed_records)


# --------------------------------------------------------------------------- drawing queries

_SYNTAX_AS_TEXT = str.maketrans({"(": "（", ")": "）", '"': "＂"})


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def as_plain_words(text: str) -> list[str]:
    """Words of `text` spelled so that the query parser reads each as one plain term.

    Only ASCII `( ) " :` and the words OR/AND/NOT/-x are syntax; their fullwidth twins are
    text with the same search key."""
    words = []
    for w in text.translate(_SYNTAX_AS_TEXT).split():
        if w.upper() in ("OR", "AND", "NOT"):
            w = fullwidth(w)
        if w.startswith("-") and len(w) > 1:
            w = "－" + w[1:]
        m = re.match(r"([A-Za-z]+):", w)
        if m and m.group(1).lower() in FIELDS:
            w = w.replace(":", "：", 1)
        words.append(w)
    return words


@st.composite
def source_string(draw, corpus: Corpus, rid: str | None = None) -> tuple[str, str]:
    """(record id, a piece of its text): a plain substring, one across a page-break join,
    or one across a jieba word boundary; from record `rid` if given."""
    kinds = ["substring", "substring", "join", "boundary", "single"]
    kind = draw(st.sampled_from(kinds if rid is None else ["substring", "single"]))
    if kind == "join":
        rid, at = draw(st.sampled_from(corpus.joins))
        body = corpus.by_id[rid].body
        return rid, body[at - draw(st.integers(1, 4)) : at + draw(st.integers(1, 4))]
    if kind == "boundary":
        rid, at, left, right = draw(st.sampled_from(corpus.boundaries))
        body = corpus.by_id[rid].body
        return rid, body[at - draw(st.integers(1, left)) : at + draw(st.integers(1, right))]
    rid, text = draw(st.sampled_from(corpus.texts if rid is None else [t for t in corpus.texts if t[0] == rid]))
    size = 1 if kind == "single" else draw(st.integers(1, 8))
    start = draw(st.integers(0, max(0, len(text) - size)))
    return rid, text[start : start + size]


@st.composite
def variant(draw, text: str) -> str:
    """The same string as a user might type it: spaces inserted, fullwidth, other case."""
    if draw(st.booleans()):
        for _ in range(draw(st.integers(1, 2))):
            i = draw(st.integers(0, len(text)))
            text = text[:i] + draw(st.sampled_from([" ", "\u3000", "  "])) + text[i:]
    if draw(st.integers(0, 3)) == 0:
        text = fullwidth(text)
    if draw(st.integers(0, 3)) == 0:
        text = text.swapcase()
    return text


@st.composite
def plain_query(draw, corpus: Corpus) -> tuple[str, list[str]]:
    """(query, terms): 1-3 pieces of sample text, each as plain words or a quoted phrase."""
    parts, terms = [], []
    rid = None
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 2, 3]))):
        # Further pieces mostly from the same record, so that AND is not trivially empty.
        rid, text = draw(source_string(corpus, rid if draw(st.integers(0, 3)) else None))
        text = draw(variant(text))
        if draw(st.integers(0, 4)) == 0:  # a quoted phrase: one term, its spaces ignored
            inner = text.replace('"', "＂")
            assume(search_key(inner))
            parts.append(f'"{inner}"')
            terms.append(inner)
        else:
            words = as_plain_words(text)
            assume(words)
            parts.extend(words)
            terms.extend(words)
    return " ".join(parts), terms


# Queries every run includes, whatever hypothesis draws.
NAMED_QUERIES = [
        "茶", "2024年", "DEPA", "depa", "ＤＥＰＡ", "Depa", "AI", "CBD", "VR", "ab餐", "AB 餐", "e站", "E站", "ｅ站",
        "余检e站", "余检 e 站", "1+3+N", "（DEPA）", "组长的专项课题组", "全省人大代表工作座谈会精神", "西湖龙井",
        "龙井西湖", "上城区:绘好“三张图”推动医疗保障联动监督落地见效", "上城区：绘好", "优势 and 代表",
    "人大 代表 联络站", "李寄", "姜康", "IP", "ip", "PK会", "VR体验", "人大 大常委会", "代表 表工作 工作座谈", "。一是",
]


# --------------------------------------------------------------------------- checks


def check_exact(snapshot, corpus: Corpus, query: str, terms: list[str]):
    """The exact tier is what grep finds, and ranks above every looser hit; `exact=True`
    (the --exact mode) returns that tier alone, in the same order. Returns the latter."""
    result = search(snapshot, query, limit=None)
    got = [h.id for h in result.hits]
    assert len(got) == len(set(got))
    exact = [h.id for h in result.hits if h.match == "exact"]
    assert set(exact) == corpus.all_of(terms), query
    assert got[: len(exact)] == exact, "a looser hit ranks above an exact one"
    assert result.total == len(got) and result.tiers["exact"] == len(exact)
    strict = search(snapshot, query, limit=None, exact=True)
    assert [h.id for h in strict.hits] == exact and strict.total == len(exact)
    assert {h.match for h in strict.hits} <= {"exact"}
    return strict


def covered_by_keys(folded: str, keys) -> bool:
    """`folded` is exactly one key, or keys overlapping each other tile it end to end."""
    if folded in keys:
        return True
    cover = [False] * len(folded)
    starts, ends = set(), set()
    for k in keys:
        i = folded.find(k)
        while i >= 0:
            cover[i : i + len(k)] = [True] * len(k)
            starts.add(i)
            ends.add(i + len(k))
            i = folded.find(k, i + 1)
    return all(cover) and 0 in starts and len(folded) in ends


def check_highlights(text: str, spans, keys):
    """Highlights are exactly the occurrences of the keys in `text`: each span is one (or
    overlapping ones), starts and ends on a matched character, and none is missed."""
    keys = {k for k in keys if k}
    last = 0
    for s, e in spans:
        assert last <= s < e <= len(text), (spans, text)
        last = e
        assert search_key(text[s]) and search_key(text[e - 1]), "a highlight starts or ends on a space"
        assert covered_by_keys(search_key(text[s:e]), keys), (text[s:e], keys)
    folded, where = search_key_map(text)
    for k in keys:
        i = folded.find(k)
        while i >= 0:
            a, b = where[i], where[i + len(k) - 1] + 1
            assert any(s <= a and b <= e for s, e in spans), f"{text[a:b]!r} in {text!r} is not highlighted"
            i = folded.find(k, i + 1)


def check_hit_highlights(corpus: Corpus, result, keys):
    for hit in result.hits:
        record = corpus.by_id[hit.id]
        check_highlights(hit.title, hit.title_highlights, keys)
        flat = record.body.replace("\n", " ")
        assert len(hit.snippets) <= 3
        for snip in hit.snippets:
            assert len(snip.text) <= 160
            assert flat[snip.start : snip.start + len(snip.text)] == snip.text
            check_highlights(snip.text, snip.highlights, keys)
        if any(k in search_key(record.body) for k in keys):
            assert any(s.highlights for s in hit.snippets), f"{hit.id}: body matches but no snippet shows one"


# --------------------------------------------------------------------------- 1. grep-exactness


def test_query_material_is_there(corpus):
    """The generators below draw from real joins and word boundaries, not from nothing."""
    assert len(corpus.records) >= 50
    assert len(corpus.joins) >= 30
    assert len(corpus.boundaries) >= 1000
    body = corpus.by_id["697-03"].body
    assert any(body[at - 2 : at + 2] == "的专项课" for rid, at in corpus.joins if rid == "697-03")


@PROPERTY
@given(st.data())
def test_plain_queries_match_exactly_the_records_containing_every_term(seed_snapshot, corpus, data):
    query, terms = data.draw(plain_query(corpus), label="query")
    check_exact(seed_snapshot, corpus, query, terms)


@pytest.mark.parametrize("query", NAMED_QUERIES)
def test_named_queries_match_exactly(seed_snapshot, corpus, query):
    check_exact(seed_snapshot, corpus, " ".join(as_plain_words(query)), as_plain_words(query))


def test_queries_across_every_page_break_join(seed_snapshot, corpus):
    for rid, at in corpus.joins:
        body = corpus.by_id[rid].body
        for a, b in ((1, 1), (2, 2), (4, 3)):
            piece = body[at - a : at + b]
            result = check_exact(seed_snapshot, corpus, " ".join(as_plain_words(piece)), as_plain_words(piece))
            if not piece.isspace():
                assert rid in {h.id for h in result.hits}, piece


def test_spaces_in_the_source_never_hide_a_record(seed_snapshot, corpus):
    """Wrapped headings and padded names: the squeezed form is found."""
    for query, rid in [("全省人大代表工作座谈会精神", "697-01"), ("余检e站", "689-07"), ("2025年代表主题活动", "710-02")]:
        assert rid in {h.id for h in check_exact(seed_snapshot, corpus, query, [query]).hits}


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_strings_that_do_not_occur_return_nothing(seed_snapshot, corpus, data):
    chars = data.draw(st.lists(st.sampled_from(corpus.alphabet), min_size=2, max_size=6), label="chars")
    query = " ".join(as_plain_words("".join(chars)))
    assume(query and not corpus.has(query.replace(" ", "")))
    terms = as_plain_words(query)
    result = check_exact(seed_snapshot, corpus, query, terms)
    if len(terms) == 1:
        assert result.hits == [] and result.total == 0


CONTROL_SPACES = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "\x85"]


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_any_whitespace_separates_terms(seed_snapshot, corpus, data):
    """Every str.isspace() character separates terms, as a space does (but see the xfail below)."""
    spaces = [c for c in map(chr, range(0x3001)) if c.isspace() and c not in CONTROL_SPACES]
    usable = source_string(corpus).map(lambda x: x[1]).filter(
        lambda s: s.strip() and s.translate(_SYNTAX_AS_TEXT) == s)
    a, b = data.draw(usable), data.draw(usable)
    sep = data.draw(st.sampled_from(spaces), label="separator")
    words = as_plain_words(a) + as_plain_words(b)
    check_exact(seed_snapshot, corpus, sep.join(words), words)


@pytest.mark.parametrize("sep", CONTROL_SPACES)
def test_control_whitespace_separates_terms(seed_snapshot, corpus, sep):
    # 龙井 and 条例 both occur in 697-02, but never as 龙井条例.
    assert not corpus.has("龙井条例") and "697-02" in corpus.has("龙井") & corpus.has("条例")
    check_exact(seed_snapshot, corpus, f"龙井{sep}条例", ["龙井", "条例"])


# --------------------------------------------------------------------------- 2. exact highlights


@PROPERTY
@given(st.data())
def test_highlights_are_exactly_the_occurrences(seed_snapshot, corpus, data):
    query, terms = data.draw(plain_query(corpus), label="query")
    result = check_exact(seed_snapshot, corpus, query, terms)
    check_hit_highlights(corpus, result, [search_key(t) for t in terms])


@pytest.mark.parametrize("query", NAMED_QUERIES)
def test_named_queries_highlight_exactly(seed_snapshot, corpus, query):
    terms = as_plain_words(query)
    result = check_exact(seed_snapshot, corpus, " ".join(terms), terms)
    check_hit_highlights(corpus, result, [search_key(t) for t in terms])


def test_highlight_is_the_whole_term_not_a_jieba_word_inside_it(seed_snapshot):
    result = search(seed_snapshot, "西湖龙井茶", limit=None)
    hit = next(h for h in result.hits if h.id == "697-02")
    texts = [s.text[a:b] for s in hit.snippets for a, b in s.highlights]
    assert texts and set(texts) == {"西湖龙井茶"}
    assert [hit.title[a:b] for a, b in hit.title_highlights] == []  # the title says 西湖龙井“金字招牌”


def test_highlight_keeps_the_displayed_spaces_of_a_padded_match(seed_snapshot):
    hit = search(seed_snapshot, "余检e站", limit=None).hits[0]
    assert hit.id == "689-07"
    assert [s.text[a:b] for s in hit.snippets for a, b in s.highlights] == ["余检 e 站"]


def test_negated_and_field_terms_are_not_highlighted_in_the_body(seed_snapshot):
    result = search(seed_snapshot, "西湖 -龙井 section:情况交流", limit=None)
    for hit in result.hits:
        marked = {search_key(s.text[a:b]) for s in hit.snippets for a, b in s.highlights}
        assert marked <= {"西湖"}
    result = search(seed_snapshot, "title:西湖 代表", limit=None)
    for hit in result.hits:
        assert {search_key(s.text[a:b]) for s in hit.snippets for a, b in s.highlights} <= {"代表"}
        assert {search_key(hit.title[a:b]) for a, b in hit.title_highlights} <= {"西湖", "代表"}


# --------------------------------------------------------------------------- 3. boolean syntax


def author(corpus, name):
    return corpus.where(lambda r: name in r.authors)


def district(corpus, name):
    return corpus.where(lambda r: r.district == name)


def section(corpus, name):
    return corpus.where(lambda r: r.section == name)


BOOLEAN_CASES = [
    ("西湖 代表", lambda c: c.has("西湖") & c.has("代表")),
    ("西湖 AND 代表", lambda c: c.has("西湖") & c.has("代表")),
    ("西湖 OR 滨江", lambda c: c.has("西湖") | c.has("滨江")),
    ("西湖 OR 滨江 OR 淳安", lambda c: c.has("西湖") | c.has("滨江") | c.has("淳安")),
    ("西湖 NOT 龙井", lambda c: c.has("西湖") - c.has("龙井")),
    ("西湖 -龙井", lambda c: c.has("西湖") - c.has("龙井")),
    ("-西湖", lambda c: c.all_ids - c.has("西湖")),
    ("NOT 人大", lambda c: c.all_ids - c.has("人大")),
    ("(西湖 OR 滨江) 代表", lambda c: (c.has("西湖") | c.has("滨江")) & c.has("代表")),
    ("西湖 OR 滨江 代表", lambda c: c.has("西湖") | (c.has("滨江") & c.has("代表"))),
    ("NOT (西湖 OR 滨江) 联络站", lambda c: c.has("联络站") - c.has("西湖") - c.has("滨江")),
    ("((西湖 OR 滨江) -龙井) OR DEPA", lambda c: ((c.has("西湖") | c.has("滨江")) - c.has("龙井")) | c.has("depa")),
    ("NOT NOT 西湖", lambda c: c.has("西湖")),
    ('"数字 贸易"', lambda c: c.has("数字贸易")),
    ('"全省 人大代表 工作座谈会"', lambda c: c.has("全省人大代表工作座谈会")),
    ('"西湖 OR 滨江"', lambda c: c.has("西湖or滨江")),
    ('"(DEPA)"', lambda c: c.has("(depa)")),
    ('"余检e站" OR "检察 e 站"', lambda c: c.has("余检e站") | c.has("检察e站")),
    ("title:西湖", lambda c: c.title_has("西湖")),
    ("TITLE:西湖", lambda c: c.title_has("西湖")),
    ("title:高质效", lambda c: c.title_has("高质效")),  # only in 692-06's TOC title
    ("title:高效 代表", lambda c: c.title_has("高效") & c.has("代表")),
    ('title:"三个 力"', lambda c: c.title_has("三个力")),
    ("title:西湖 -title:龙井", lambda c: c.title_has("西湖") - c.title_has("龙井")),
    ("author:李寄", lambda c: author(c, "李寄")),
    ("author:李寄 OR author:蔡静", lambda c: author(c, "李寄") | author(c, "蔡静")),
    ("district:西湖", lambda c: district(c, "西湖区")),
    ("district:西湖区 代表", lambda c: district(c, "西湖区") & c.has("代表")),
    ("district:市本级", lambda c: district(c, CITY_LEVEL)),
    ("district:建德", lambda c: district(c, "建德市")),
    ("section:监督纵横", lambda c: section(c, "监督纵横")),
    ("section:信息摘登 -district:滨江", lambda c: section(c, BRIEF_SECTION) - district(c, "滨江区")),
    ("上城区:绘好“三张图”推动医疗保障联动监督落地见效", lambda c: c.has("上城区:绘好“三张图”推动医疗保障联动监督落地见效")),
    ("上城区:绘好 监督", lambda c: c.has("上城区:绘好") & c.has("监督")),
    ("authors:李寄", lambda c: c.has("authors:李寄")),  # not a field name: plain text
    ("2024-06", lambda c: c.has("2024-06")),
    ("西湖 or 滨江", lambda c: c.has("西湖") | c.has("滨江")),
    ("人大 not 西湖", lambda c: c.has("人大") - c.has("西湖")),
    ("优势 and 代表", lambda c: c.has("优势") & c.has("代表")),
    ("a-b", lambda c: c.has("a-b")),
    ("-", lambda c: c.has("-")),
]


@pytest.mark.parametrize("query, expected", BOOLEAN_CASES, ids=[q for q, _ in BOOLEAN_CASES])
def test_boolean_syntax(seed_snapshot, corpus, query, expected):
    result = search(seed_snapshot, query, limit=None, exact=True)
    assert {h.id for h in result.hits} == expected(corpus)
    assert result.total == len(result.hits)


@pytest.mark.parametrize("query, expected", [
    ('西湖 -"龙井"', lambda c: c.has("西湖") - c.has("龙井")),
    ('西湖 -"龙井 茶"', lambda c: c.has("西湖") - c.has("龙井茶")),
    ("西湖 -(龙井 OR 代表)", lambda c: c.has("西湖") - c.has("龙井") - c.has("代表")),
], ids=["phrase", "phrase-with-space", "group"])
def test_minus_excludes_a_phrase_or_a_group(seed_snapshot, corpus, query, expected):
    assert {h.id for h in search(seed_snapshot, query, limit=None, exact=True).hits} == expected(corpus)


def test_field_values_may_be_quoted_and_padded(seed_snapshot, corpus):
    assert {h.id for h in search(seed_snapshot, 'author:"李 寄"', limit=None).hits} == author(corpus, "李寄")
    assert {h.id for h in search(seed_snapshot, 'district:"西湖区"', limit=None).hits} == district(corpus, "西湖区")


@pytest.mark.parametrize("query", ["district:火星", "section:体育新闻"])
def test_unknown_field_values_in_the_query_are_usage_errors(seed_snapshot, query):
    with pytest.raises(UsageError) as info:
        search(seed_snapshot, query)
    assert "valid" in str(info.value) and "\n" not in str(info.value)


def test_boolean_cases_are_not_vacuous(corpus):
    sizes = {q: len(f(corpus)) for q, f in BOOLEAN_CASES}
    nonempty = [q for q, n in sizes.items() if 0 < n < len(corpus.records)]
    assert len(nonempty) >= len(BOOLEAN_CASES) - 8, sizes


def test_pasted_title_with_colon_returns_that_article_first(seed_snapshot):
    result = search(seed_snapshot, "上城区:绘好“三张图”推动医疗保障联动监督落地见效")
    assert result.hits[0].id == "697-04"
    result = search(seed_snapshot, "上城区：绘好“三张图”推动医疗保障联动监督落地见效")  # fullwidth colon
    assert result.hits[0].id == "697-04"


SYNTAX_ERRORS = [
    '"西湖', '西湖"', '西湖 "龙井', 'title:"西湖',
    "(西湖", "西湖)", "((西湖) 代表", "(西湖)) 代表", ")西湖(",
    "OR 西湖", "西湖 OR", "西湖 OR OR 滨江", "(西湖 OR) 代表", "AND 西湖", "西湖 AND",
    "西湖 NOT", "NOT", "西湖 -(", "title:", "title: 西湖", "author:", "district: 西湖", "西湖 section:",
    "", "   ", "\u3000", "()", "西湖 ()", '""', '" "',
]


@pytest.mark.parametrize("query", SYNTAX_ERRORS)
def test_syntax_errors_are_one_line(seed_snapshot, query):
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(query)
    message = str(info.value)
    assert message and "\n" not in message and len(message) < 200
    with pytest.raises(QuerySyntaxError):
        search(seed_snapshot, query)


def test_syntax_error_messages_say_what_and_where():
    def message(q):
        with pytest.raises(QuerySyntaxError) as info:
            parse_query(q)
        return str(info.value)

    assert "quote" in message('西湖 "龙井') and "4" in message('西湖 "龙井')
    assert "parenthes" in message("(西湖")
    assert "parenthes" in message("西湖)")
    assert "OR" in message("西湖 OR")
    assert "OR" in message("OR 西湖")
    assert "title:" in message("title:")
    assert "empty" in message("")
    assert "empty" in message("()")


# --------------------------------------------------------------------------- 4. ranking


def test_each_title_as_the_query_returns_its_article_first(seed_snapshot, corpus):
    articles = [r for r in corpus.records if r.title]
    assert len(articles) >= 30
    wrong = {}
    for r in articles:
        for title in {r.title, r.toc_title} - {""}:
            hits = search(seed_snapshot, " ".join(as_plain_words(title)), limit=3, with_snippets=False).hits
            if not hits or hits[0].id != r.id:
                wrong[title] = [h.id for h in hits]
    assert not wrong


def title_words(corpus) -> list[str]:
    use_dictionaries(())
    words = {w for r in corpus.records for t in (r.title, r.toc_title) if t
             for w, _, _ in segmenter().tokenize(t) if len(w) >= 2 and any(c.isalnum() for c in w)}
    return sorted(words)


def test_title_matches_rank_above_mere_mentions(seed_snapshot, corpus):
    decisive = 0
    for word in title_words(corpus):
        hits = [h.id for h in search(seed_snapshot, word, limit=None, with_snippets=False, exact=True).hits]
        in_title = corpus.title_has(word)
        assert set(hits) == corpus.has(word)
        flags = [h in in_title for h in hits]
        assert flags == sorted(flags, reverse=True), (word, hits)
        decisive += 0 < sum(flags) < len(flags)
    assert decisive >= 20  # queries where some hits have the word in the title and others don't


def test_more_title_terms_rank_higher(seed_snapshot, corpus):
    hits = [h.id for h in search(seed_snapshot, "西湖 代表", limit=None, with_snippets=False).hits]
    both = corpus.title_has("西湖") & corpus.title_has("代表")
    one = (corpus.title_has("西湖") | corpus.title_has("代表")) - both
    assert both and one
    rank = {rid: i for i, rid in enumerate(hits)}
    assert max(rank[r] for r in both) < min(rank[r] for r in one if r in rank)


def issue_text(number, total, date, articles, briefs=()):
    """An issue file in the bulletin's layout (see BULLETIN.md) with these articles and briefs."""
    y, m, d = date.split("-")
    toc, body, section = [], [], None
    for sec, title, text, byline in articles:
        toc.append(f"- {sec}** {title}" if sec != section else title)
        section = sec
        body += [title, "", text, "", f"({byline})", ""]
    for text, byline in briefs:
        body += [text, "", f"({byline})", ""]
    toc.append(f"- 信息摘登** {len(briefs)} 则")
    head = ["", "杭州人大信息", "", "(普 刊)", "", f"第 {number} 期(总第 {total} 期)", "",
            "杭州市人大常委会研究室编", "", f"{int(y)} 年 {int(m)} 月 {int(d)} 日", "", "目 录", ""]
    foot = ["送:省人大常委会办公厅、研究室", "", "本期责任编辑:杨青青", "", "电话:(0571)85250657"]
    return "\n".join(head + toc + [""] + body + foot) + "\n"


FILLER = "围绕中心工作开展调研视察,推动有关部门改进工作,取得良好成效。"


@pytest.fixture(scope="module")
def ranking_snapshot(tmp_path_factory):
    """A small index where only the number of mentions tells the records apart."""
    folder = tmp_path_factory.mktemp("ranking")
    corpus = folder / "corpus"
    corpus.mkdir()
    term = "茶园管护"

    def body(mentions):  # the same length whatever the number of mentions
        return FILLER * 2 + (term + "。") * mentions + "加强统筹协调。" * (6 - mentions) + FILLER

    (corpus / "a.txt").write_text(issue_text(2, 801, "2026-01-10", [
        ("要闻速递", "市人大常委会开展专题调研", body(1), "办公厅 张三"),
        ("监督纵横", "西湖区:推动工作落地见效", body(5), "西湖区人大常委会办公室 李四"),
        ("情况交流", "拱墅区:助力共同富裕", body(3), "拱墅区人大常委会办公室 王五"),
    ]), encoding="utf-8")
    (corpus / "b.txt").write_text(issue_text(3, 802, "2026-02-10", [
        ("要闻速递", "市人大常委会部署年度工作", body(1), "办公厅 赵六"),
        ("情况交流", "淳安县:茶园管护出实招", body(1), "淳安县人大常委会办公室 钱七"),
    ]), encoding="utf-8")
    report = update_index([corpus], folder / "index")
    assert not report.skipped, report.skipped
    return open_snapshot(folder / "index")


def test_more_occurrences_rank_above_a_passing_mention(ranking_snapshot):
    hits = [h.id for h in search(ranking_snapshot, "茶园管护", limit=None).hits]
    # The title match first; then by number of mentions, 5 > 3 > 1 (dates don't decide).
    assert hits[:3] == ["802-02", "801-02", "801-03"]
    assert set(hits[3:]) == {"801-01", "802-01"}


def test_more_occurrences_rank_higher_for_each_word_of_the_term(ranking_snapshot):
    for query in ("茶园", "管护", "茶园 管护"):
        hits = [h.id for h in search(ranking_snapshot, query, limit=None).hits]
        assert hits[:3] == ["802-02", "801-02", "801-03"], query


def test_sort_by_date_ignores_relevance(ranking_snapshot):
    hits = [h for h in search(ranking_snapshot, "茶园管护", sort="date", limit=None).hits]
    dates = [h.date for h in hits]
    assert dates == sorted(dates, reverse=True) and dates[0] == "2026-02-10"


# --------------------------------------------------------------------------- 5. filters


def ids(snapshot, query="人大", **filters):
    return {h.id for h in search(snapshot, query, Filters(**filters), limit=None, with_snippets=False).hits}


def test_district_stem_and_full_name_are_the_same(seed_snapshot, corpus):
    for name in DISTRICT_NAMES:
        stem = name[:-1]
        expected = district(corpus, name) & corpus.has("人大")
        assert ids(seed_snapshot, districts=(stem,)) == ids(seed_snapshot, districts=(name,)) == expected, name
    assert district(corpus, "西湖区")


@pytest.mark.parametrize("alias", ["市本级", "市级", "市人大"])
def test_city_level_and_its_aliases(seed_snapshot, corpus, alias):
    expected = district(corpus, CITY_LEVEL) & corpus.has("人大")
    assert expected and ids(seed_snapshot, districts=(alias,)) == expected


def test_repeated_options_or_together(seed_snapshot, corpus):
    assert ids(seed_snapshot, districts=("西湖", "滨江区", "市级")) == (
        district(corpus, "西湖区") | district(corpus, "滨江区") | district(corpus, CITY_LEVEL)) & corpus.has("人大")
    assert ids(seed_snapshot, sections=("监督纵横", "代表工作")) == (
        section(corpus, "监督纵横") | section(corpus, "代表工作"))
    assert ids(seed_snapshot, issues=(697, 689)) == corpus.where(lambda r: r.issue_total in (697, 689))
    assert ids(seed_snapshot, authors=("李寄", "蔡静")) == author(corpus, "李寄") | author(corpus, "蔡静")


@pytest.mark.parametrize("since, until, lo, hi", [
    ("2024", None, "2024-01-01", "9999"),
    (None, "2024", "0000", "2024-12-31"),
    ("2024", "2024", "2024-01-01", "2024-12-31"),
    ("2024-06", None, "2024-06-01", "9999"),
    (None, "2024-06", "0000", "2024-06-30"),
    ("2024-04", "2024-06", "2024-04-01", "2024-06-30"),
    ("2024-06-28", "2024-06-28", "2024-06-28", "2024-06-28"),
    ("2024-06-29", None, "2024-06-29", "9999"),
    (None, "2024-06-27", "0000", "2024-06-27"),
    ("2024-04-12", "2024-06-28", "2024-04-12", "2024-06-28"),
    ("2025", "2024", "2025-01-01", "2024-12-31"),
])
def test_since_and_until(seed_snapshot, corpus, since, until, lo, hi):
    assert ids(seed_snapshot, since=since, until=until) == corpus.where(lambda r: lo <= r.date <= hi)


def test_year(seed_snapshot, corpus):
    assert ids(seed_snapshot, year=2025) == corpus.where(lambda r: r.date.startswith("2025")) != set()
    assert ids(seed_snapshot, year=2023) == set()
    assert ids(seed_snapshot, year=2024, since="2024-04") == corpus.where(lambda r: "2024-04" <= r.date < "2025")


def test_issue_by_number_within_the_year_or_running_number(seed_snapshot, corpus):
    assert ids(seed_snapshot, issues=(697,)) == ids(seed_snapshot, issues=(9,)) == corpus.where(
        lambda r: r.issue_total == 697)
    assert ids(seed_snapshot, issues=(4,)) == corpus.where(lambda r: r.issue == 4)  # 692 and 710
    assert {i[:3] for i in ids(seed_snapshot, issues=(4,))} == {"692", "710"}
    assert ids(seed_snapshot, issues=(4,), year=2025) == corpus.where(lambda r: r.issue_total == 710)
    assert ids(seed_snapshot, issues=(5,)) == set()


def test_section_filter_and_brief_alias(seed_snapshot, corpus):
    for name in sorted({r.section for r in corpus.records}):
        assert ids(seed_snapshot, sections=(name,)) == section(corpus, name)
    assert ids(seed_snapshot, sections=("简讯",)) == section(corpus, BRIEF_SECTION)


@pytest.mark.parametrize("filters", [dict(districts=("西溪",)), dict(districts=("杭州湾",))])
def test_unknown_district_lists_the_valid_ones(seed_snapshot, filters):
    with pytest.raises(UsageError) as info:
        search(seed_snapshot, "人大", Filters(**filters))
    message = str(info.value)
    assert "\n" not in message
    assert all(name in message for name in DISTRICT_NAMES) and CITY_LEVEL in message


def test_unknown_section_lists_the_valid_ones(seed_snapshot):
    with pytest.raises(UsageError) as info:
        search(seed_snapshot, "人大", Filters(sections=("体育新闻",)))
    assert all(name in str(info.value) for name in KNOWN_SECTIONS)


@pytest.mark.parametrize("value", ["2024-13", "2024-02-30", "June", "24", "2024-06-28-01", "昨天", ""])
@pytest.mark.parametrize("option", ["since", "until"])
def test_invalid_date_is_a_usage_error(seed_snapshot, option, value):
    with pytest.raises(UsageError) as info:
        search(seed_snapshot, "人大", Filters(**{option: value}))
    assert "\n" not in str(info.value)


def test_sort_date_is_newest_first_and_keeps_the_hits(seed_snapshot, corpus):
    by_date = search(seed_snapshot, "代表", sort="date", limit=None).hits
    dates = [h.date for h in by_date]
    assert dates == sorted(dates, reverse=True)
    assert {h.id for h in by_date} == corpus.has("代表")


def test_limit_zero_and_none_mean_all(seed_snapshot, corpus):
    everything = corpus.has("人大")
    assert len(search(seed_snapshot, "人大", limit=0).hits) == len(everything)
    assert len(search(seed_snapshot, "人大", limit=None).hits) == len(everything)
    page = search(seed_snapshot, "人大", limit=5)
    assert len(page.hits) == 5 and page.total == len(everything)
    assert [h.id for h in page.hits] == [h.id for h in search(seed_snapshot, "人大", limit=None).hits[:5]]


FILTER_DRAWS = st.fixed_dictionaries({}, optional={
    "districts": st.lists(st.sampled_from([*DISTRICT_NAMES, *(n[:-1] for n in DISTRICT_NAMES), "市本级", "市级"]),
                          min_size=1, max_size=3).map(tuple),
    "sections": st.lists(st.sampled_from(KNOWN_SECTIONS), min_size=1, max_size=2).map(tuple),
    "year": st.sampled_from([2024, 2025]),
    "issues": st.lists(st.sampled_from([1, 4, 9, 689, 692, 697, 710]), min_size=1, max_size=2).map(tuple),
    "since": st.sampled_from(["2024", "2024-04", "2024-04-12", "2024-06-28", "2025-01"]),
    "until": st.sampled_from(["2024", "2024-04", "2024-04-12", "2024-06-28", "2025-06"]),
})


def filter_truth(corpus, f: dict) -> set[str]:
    def canon(d):
        if d in ("市本级", "市级"):
            return CITY_LEVEL
        return next(n for n in DISTRICT_NAMES if n.startswith(d))

    def ok(r):
        if "districts" in f and r.district not in {canon(d) for d in f["districts"]}:
            return False
        if "sections" in f and r.section not in f["sections"]:
            return False
        if "year" in f and not r.date.startswith(str(f["year"])):
            return False
        if "issues" in f and r.issue not in f["issues"] and r.issue_total not in f["issues"]:
            return False
        if "since" in f and r.date < (f["since"] + "-01-01")[:10]:
            return False
        if "until" in f and r.date > (f["until"] + "-99-99")[:10]:
            return False
        return True

    return corpus.where(ok)


@settings(max_examples=150, deadline=None)
@given(f=FILTER_DRAWS, query=st.sampled_from(["人大", "代表", "西湖 OR 监督", "-西湖"]))
def test_filters_select_exactly_the_matching_records(seed_snapshot, corpus, f, query):
    expected = filter_truth(corpus, f) & {h.id for h in search(seed_snapshot, query, limit=None).hits}
    assert ids(seed_snapshot, query, **f) == expected


# --------------------------------------------------------------------------- the command line


def run(runner, index_dir, *args):
    return runner.invoke(main, ["search", *args, "--index-dir", str(index_dir)])


def json_ids(result) -> list[str]:
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"] >= len(data["hits"])
    return [h["id"] for h in data["hits"]]


def test_cli_json_is_grep_exact_with_limit_zero(runner, seed_index_dir, corpus):
    result = run(runner, seed_index_dir, "代表 联络站", "--limit", "0", "--format", "json")
    assert set(json_ids(result)) == corpus.has("代表") & corpus.has("联络站")
    hit = json.loads(run(runner, seed_index_dir, "余检e站", "--format", "json").stdout)["hits"][0]
    assert [s["text"][a:b] for s in hit["snippets"] for a, b in s["highlights"]] == ["余检 e 站"]


def test_cli_district_stem_city_aliases_and_repeats(runner, seed_index_dir, corpus):
    base = ["代表", "--limit", "0", "--format", "json"]
    stem = json_ids(run(runner, seed_index_dir, *base, "--district", "西湖"))
    full = json_ids(run(runner, seed_index_dir, *base, "--district", "西湖区"))
    assert stem == full and set(stem) == district(corpus, "西湖区") & corpus.has("代表")
    for alias in ("市本级", "市级", "市人大"):
        assert set(json_ids(run(runner, seed_index_dir, *base, "-d", alias))) == (
            district(corpus, CITY_LEVEL) & corpus.has("代表"))
    both = json_ids(run(runner, seed_index_dir, *base, "-d", "西湖", "-d", "余杭"))
    assert set(both) == (district(corpus, "西湖区") | district(corpus, "余杭区")) & corpus.has("代表")


def test_cli_dates_issue_sort_and_limit(runner, seed_index_dir, corpus):
    base = ["人大", "--format", "json"]
    got = json_ids(run(runner, seed_index_dir, *base, "--since", "2024-06", "--until", "2024-06-28", "-n", "0"))
    assert set(got) == corpus.where(lambda r: r.issue_total == 697)
    assert set(json_ids(run(runner, seed_index_dir, *base, "--issue", "697", "-n", "0"))) == set(got)
    assert set(json_ids(run(runner, seed_index_dir, *base, "--year", "2025", "-n", "0"))) == corpus.where(
        lambda r: r.issue_total == 710)
    newest = json.loads(run(runner, seed_index_dir, *base, "--sort", "date", "-n", "0").stdout)["hits"]
    assert [h["date"] for h in newest] == sorted((h["date"] for h in newest), reverse=True)
    assert len(json_ids(run(runner, seed_index_dir, *base, "--limit", "3"))) == 3


@pytest.mark.parametrize("args, words", [
    (["人大", "--district", "西溪"], ["西湖区", "建德市", "市本级"]),
    (["人大", "--section", "体育"], ["监督纵横", "信息摘登"]),
    (["人大", "--since", "2024-13"], ["2024-13"]),
    (["人大", "--until", "yesterday"], ["yesterday"]),
    (['"西湖'], ["quote"]),
    (["(西湖"], ["parenthes"]),
    (["西湖 OR"], ["OR"]),
    (["title:"], ["title:"]),
    ([""], ["empty"]),
])
def test_cli_usage_errors_exit_2_with_one_line(runner, seed_index_dir, args, words):
    result = run(runner, seed_index_dir, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    assert all(w in lines[0] for w in words)
    assert result.stdout == ""


def test_field_prefix_takes_a_fullwidth_colon_too(seed_snapshot):
    ascii_colon = search(seed_snapshot, "title:龙井", limit=None)
    assert ascii_colon.total and [h.id for h in search(seed_snapshot, "title：龙井", limit=None).hits] == \
        [h.id for h in ascii_colon.hits]


_SCORED_WORDS = ["人大", "代表", "人", "大", "人大代表", "联络站", "代表联络站", "监督", "高质量发展", "的", "人人",
                 "龙井", "西湖龙井", "2024", "sk", "幸福", "区", "工作工作", "。"]


@pytest.fixture(scope="module")
def counting_snapshot(tmp_path_factory):
    """The seeds, and an issue whose counts the postings cannot give exactly: runs of one
    character (人人人: two overlapping pairs, one occurrence of 人人), a word of repeated
    pairs (工作工作) and a word more than 255 times in one record."""
    folder = tmp_path_factory.mktemp("counting")
    shutil.copytree(SEEDS, folder / "corpus")
    (folder / "corpus" / "runs.txt").write_text(issue_text(4, 803, "2026-03-10", [
        ("要闻速递", "人人人参与人大工作", "人人人人人。" + "工作工作工作," * 3 + FILLER, "办公厅 张三"),
        ("情况交流", "代表工作", "代表" * 300 + "。" + FILLER, "办公厅 李四"),
    ]), encoding="utf-8")
    report = update_index([folder / "corpus"], folder / "index")
    assert not report.skipped, report.skipped
    return open_snapshot(folder / "index")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.sampled_from(_SCORED_WORDS), min_size=1, max_size=4, unique=True),
       picks=st.lists(st.integers(0, 52), min_size=1, max_size=53, unique=True),
       limit=st.sampled_from([None, 1, 3, 10, 60]))
@example(words=["代表"], picks=list(range(53)), limit=None)
@example(words=["人人", "工作工作"], picks=list(range(53)), limit=3)
def test_scores_from_the_postings_counts_equal_scores_from_the_text(counting_snapshot, words, picks, limit):
    """BM25F by counts (numpy, from the character postings' counts and the body lengths)
    gives the same scores, to the last bit, and the same page as counting in the text:
    exact for words of one character or two different ones, bounds checked in the text
    for the rest (人人: overlapping pairs; 工作工作, 西湖龙井: several pairs; 代表 x300:
    beyond the count a byte holds)."""
    from searchkit.query.rank import Scorer

    store = counting_snapshot.store
    docs = {store.live[i % len(store.live)] for i in picks}
    scorer = Scorer(store, words, lambda w: len(store.docs_with_text(w)))
    by_text = {}
    for seg, base, local in store.by_segment(docs):
        for d in local:
            score = scorer._by_text(seg, d)
            if score:
                by_text[base + d] = score
    if limit is not None:
        by_text = dict(sorted(by_text.items(), key=lambda item: (-item[1], item[0]))[:limit])
    assert scorer._by_counts(docs, limit) == by_text


def test_a_one_query_process_never_loads_numpy_and_a_server_scores_by_counts(seed_index_dir):
    """Loading numpy costs a fresh search more than scoring its hits on their text: a
    process that runs queries without `preload` scores on the text; after it, big jobs go
    by counts."""
    import subprocess
    import sys

    # (COUNTED_FROM 1: the seeds' groups are small; what decides is whether numpy is loaded)
    script = ("import sys; from pathlib import Path; from searchkit.index import open_snapshot; "
              "from searchkit.query import rank, search; rank.COUNTED_FROM = 1; "
              "snapshot = open_snapshot(Path(sys.argv[1])); "
              "[search(snapshot, q, limit=None) for q in ('人大', '代表', '人', '提升代表履职能力')]; "
              "print('numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script, str(seed_index_dir)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    from searchkit.query import rank

    rank.preload()
    assert rank.by_counts(rank.COUNTED_FROM) and not rank.by_counts(rank.COUNTED_FROM - 1)
