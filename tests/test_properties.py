"""Property tests (hypothesis) for the edges of the pipeline that take outside input.

* Parse: any text, any bytes, sample issues mangled the ways files get mangled (lines lost,
  doubled, shuffled, cut off at any point, in any encoding), and generated issues: the
  parser returns an `Issue` or raises `ParseError`, nothing else; and where the mangling
  keeps the frame of the issue in place, no header, table-of-contents or footer line ever
  ends up in a record.
* Query: any text is a syntax tree or a `QuerySyntaxError`; any query run over the sample
  index returns a result or raises a `SearchkitError`, and results obey set logic.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from searchkit.errors import ParseError, QuerySyntaxError, SearchkitError
from searchkit.parser import BRIEF_SECTION, KNOWN_SECTIONS, Issue, decode, parse_text
from searchkit.query import And, Filters, Not, Or, Term, parse_query, positive_terms, search

ROOT = Path(__file__).resolve().parent.parent
SEED_TEXTS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]

# Text of the frame of an issue (header, table of contents, footer), as records would hold it.
FRAME = ("目 录", "目录", "本期责任编辑", "送:", "(普 刊)", "普 刊", "杭州市人大常委会研究室编", "研究室编", "电话:",
         "信息摘登", "总第")
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "utf-16")



def slow(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def parse_or_error(text: str, source: str = "prop.txt") -> Issue | None:
    """`parse_text`, which must return an Issue or raise ParseError naming the source."""
    try:
        issue = parse_text(text, source)
    except ParseError as exc:
        assert exc.path == source and exc.reason, exc
        return None
    assert isinstance(issue, Issue)
    assert [r.id for r in issue.records] == [f"{issue.issue_total}-{n:02d}" for n in range(1, len(issue.records) + 1)]
    assert all(r.kind in ("article", "brief") for r in issue.records)
    return issue


def assert_frameless(issue: Issue | None) -> None:
    for r in issue.records if issue else ():
        for name in ("title", "toc_title", "body", "org"):
            value = getattr(r, name)
            for frame in FRAME:
                assert frame not in value, (r.id, name, frame, value[:80])


# --------------------------------------------------------------------------- parse: sample issues mangled


def _body_span(lines: list[str]) -> tuple[int, int]:
    """Lines strictly between the table of contents (its 信息摘登 entry) and the footer (送:)."""
    toc_end = next(i for i, ln in enumerate(lines) if "信息摘登**" in ln) + 1
    footer = next(i for i, ln in enumerate(lines) if re.match(r"^送\s*[:：]", ln.strip()))
    return toc_end, footer


@st.composite
def framed_mangling(draw):
    """A sample issue with body lines shuffled, then lines deleted or doubled where they are,
    or the file cut off at any character: its frame stays where it was. (Not both: a file
    that lost its 送: line and was then cut inside 本期责任编辑 has no footer left to know.)"""
    text = draw(st.sampled_from(SEED_TEXTS), label="sample")
    lines = text.split("\n")
    start, end = _body_span(lines)
    rng = random.Random(draw(st.integers(0, 2**32), label="seed"))
    if draw(st.booleans(), label="shuffle some body lines"):
        for _ in range(draw(st.integers(1, 20))):
            i, j = rng.randrange(start, end), rng.randrange(start, end)
            lines[i], lines[j] = lines[j], lines[i]
    if draw(st.booleans(), label="cut off"):
        text = "\n".join(lines)
        return text[: draw(st.integers(0, len(text)), label="cut at")]
    for _ in range(draw(st.integers(0, 6), label="deletions and doublings")):
        at = rng.randrange(len(lines))
        if rng.random() < 0.5:
            del lines[at]
        else:
            lines.insert(at, lines[at])
    return "\n".join(lines)


@slow(150)
@given(framed_mangling())
def test_mangled_samples_give_an_issue_without_frame_text_or_a_parse_error(text):
    assert_frameless(parse_or_error(text))


@slow(100)
@given(st.sampled_from(SEED_TEXTS), st.sampled_from(ENCODINGS), st.booleans(), st.floats(0, 1))
def test_samples_cut_at_any_byte_in_any_encoding(text, encoding, crlf, where):
    """A file cut off mid-character, in any encoding, with either line end: still an issue or a
    ParseError, and whatever was read before the cut holds no frame text."""
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode(encoding)
    data = data[: int(len(data) * where)]
    try:
        decoded = decode(data, "cut.txt")
    except ParseError as exc:
        assert exc.path == "cut.txt" and exc.reason
        return
    issue = parse_or_error(decoded, "cut.txt")
    assert_frameless(issue)
    if issue is not None and where == 1:
        assert [r.body for r in issue.records] == [r.body for r in parse_text(text).records]


@slow(100)
@given(st.sampled_from(SEED_TEXTS), st.sampled_from(ENCODINGS), st.data())
def test_samples_with_corrupted_bytes_give_an_issue_or_a_parse_error(text, encoding, data):
    raw = bytearray(text.encode(encoding))
    for _ in range(data.draw(st.integers(1, 30), label="flips")):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    try:
        decoded = decode(bytes(raw), "flipped.txt")
    except ParseError:
        return
    parse_or_error(decoded, "flipped.txt")


@slow(60)
@given(st.sampled_from(SEED_TEXTS), st.randoms(use_true_random=False), st.integers(1, 200))
def test_samples_with_lines_shuffled_anywhere_give_an_issue_or_a_parse_error(text, rng, window):
    """Lines shuffled across the whole file (header and footer too), within windows of any size."""
    lines = text.split("\n")
    for i in range(0, len(lines), window):
        chunk = lines[i : i + window]
        rng.shuffle(chunk)
        lines[i : i + window] = chunk
    parse_or_error("\n".join(lines))


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_any_text_gives_an_issue_or_a_parse_error(text):
    parse_or_error(text)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=4000))
def test_any_bytes_decode_to_text_or_a_parse_error(data):
    try:
        text = decode(data, "any.bin")
    except ParseError as exc:
        assert exc.path == "any.bin" and exc.reason
        return
    assert isinstance(text, str)
    parse_or_error(text, "any.bin")


# --------------------------------------------------------------------------- parse: generated issues

# Characters for generated titles and bodies: common Hangzhou bulletin vocabulary, with every
# character of the frame text taken out, so a record can only hold frame text by taking it
# from the frame.
_COMMON = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而"
           "方后多定行学法所民得经十三之进着等部度家力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应"
           "开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气向道命"
           "此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长"
           "求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府湖城")
SAFE = "".join(sorted(set(_COMMON) - set("".join(FRAME)) - set("".join(KNOWN_SECTIONS))))
DISTRICT_PREFIXES = ("", "西湖区:", "上城区：", "淳安县:", "建德市:", "市人大常委会")
NAMES = ("李兴军", "李 寄", "方敏杰", "蔡 静", "张雄杰")
ORGS = ("代表工委", "西湖区人大常委会办公室", "办公厅", "上城区人大常委会")


def _phrase(min_size: int, max_size: int):
    return st.text(alphabet=SAFE, min_size=min_size, max_size=max_size)


@st.composite
def generated_issues(draw):
    """A whole issue in the bulletin's layout, with random titles, bodies, bylines and briefs;
    -> (text, number of articles, number of briefs)."""
    colon = draw(st.sampled_from([":", "："]))
    issue, total = draw(st.integers(1, 24)), draw(st.integers(1, 2000))
    year, month, day = draw(st.integers(2000, 2030)), draw(st.integers(1, 12)), draw(st.integers(1, 28))
    lines = [draw(st.sampled_from(["杭州人大信息", "# 杭州人大信息"])), "", "(普 刊)", "",
             draw(st.sampled_from([f"第 {issue} 期(总第 {total} 期)", f"第{issue}期（总第{total}期）"])), "",
             "杭州市人大常委会研究室编", "", f"{year} 年 {month} 月 {day} 日", "",
             draw(st.sampled_from(["目 录", "## 目 录"])), ""]
    sections = draw(st.lists(st.sampled_from([s for s in KNOWN_SECTIONS if s != BRIEF_SECTION]), min_size=1,
                             max_size=4, unique=True))
    articles = []
    for section in sections:
        for k in range(draw(st.integers(1, 3))):
            title = draw(st.sampled_from(DISTRICT_PREFIXES)) + draw(_phrase(8, 24))
            lines.append(f"- {section}** {title}" if k == 0 else title)
            articles.append(title)
    assume(len({re.sub(r"\W", "", t) for t in articles}) == len(articles))
    briefs = draw(st.integers(0, 5))
    if briefs:
        lines.append(f"- 信息摘登** {briefs} 则")
    lines.append("")
    for title in articles:
        heading = draw(st.sampled_from(["", "# ", "## "])) + title
        lines += [heading, ""]
        for _ in range(draw(st.integers(1, 3))):
            lines += [draw(_phrase(10, 80)) + "。", ""]
        lines += [f"({draw(st.sampled_from(ORGS))} {draw(st.sampled_from(NAMES))})", ""]
    for _ in range(briefs):
        lines += [draw(st.sampled_from(DISTRICT_PREFIXES[1:])).rstrip(":：") + "人大常委会" + draw(_phrase(10, 80)) + "。",
                  "", f"({draw(st.sampled_from(ORGS))})", ""]
    lines += [f"送{colon}省人大常委会办公厅、研究室", "", "市人大常委会组成人员", "",
              f"本期责任编辑{colon}杨青青", "", f"电话{colon}(0571)85250657"]
    text = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    return text, len(articles), briefs


@slow(120)
@given(generated_issues())
def test_generated_issues_give_every_article_and_brief_and_no_frame_text(generated):
    text, articles, briefs = generated
    issue = parse_or_error(text)
    assert issue is not None
    assert_frameless(issue)
    kinds = [r.kind for r in issue.records]
    assert (kinds.count("article"), kinds.count("brief")) == (articles, briefs), issue.warnings


# --------------------------------------------------------------------------- query: syntax

_QUERY_TOKENS = ["(", ")", '"', "OR", "AND", "NOT", "-", "title:", "author:", "district:", "section:", "TITLE:",
                 "西湖", "代表", "龙井", "市人大", "监督纵横", "李寄", "李 寄", "西湖区", "市本级", "信息摘登",
                 "（", "）", "“", "”", "：", ":", "or", "Not", "-西湖", "--", "\u3000", "\t", "\x00", "\x1b", "。"]
token_queries = st.lists(st.tuples(st.sampled_from(_QUERY_TOKENS), st.sampled_from(["", " ", "  "])),
                         max_size=40).map(lambda parts: "".join(t + sep for t, sep in parts))


def _well_formed(node) -> bool:
    if isinstance(node, Term):
        return bool(node.key) and node.field in ("", "title", "author", "district", "section")
    if isinstance(node, Not):
        return _well_formed(node.item)
    if isinstance(node, (And, Or)):
        return len(node.items) >= 2 and all(_well_formed(i) for i in node.items)
    return False


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), token_queries))
def test_any_query_text_is_a_tree_or_a_syntax_error(text):
    try:
        tree = parse_query(text)
    except QuerySyntaxError as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) < 300, message
        return
    assert _well_formed(tree), tree
    positive_terms(tree)


# --------------------------------------------------------------------------- query: searching the sample index

_DATES = st.one_of(st.none(), st.sampled_from(["2024", "2024-06", "2024-6-28", "2025-13", "abc", "", "2024-02-30",
                                               "9999", "0000", "2024年6月"]), st.text(max_size=12))


@settings(max_examples=150, deadline=None)
@given(st.one_of(token_queries, st.text(max_size=30)), _DATES, _DATES, st.sampled_from(["relevance", "date"]))
def test_any_search_returns_a_result_or_a_searchkit_error(seed_snapshot, query, since, until, sort):
    try:
        result = search(seed_snapshot, query, Filters(since=since, until=until), sort=sort, limit=None, facets=True)
    except SearchkitError:
        return
    assert result.total == len(result.hits) == len({h.id for h in result.hits})
    assert sum(n for _, n in result.facets["district"]) == result.total


_WORDS = st.sampled_from(["西湖", "代表", "龙井", "人大", "监督", "title:监督", "author:李寄", "district:西湖",
                          "section:监督纵横", "数字贸易", "不存在的词", "杭州", "区", "。"])


@settings(max_examples=60, deadline=None)
@given(_WORDS, _WORDS)
def test_search_results_obey_set_logic(seed_snapshot, a, b):
    def ids(q: str) -> set[str]:
        return {h.id for h in search(seed_snapshot, q, limit=None, with_snippets=False, exact=True).hits}

    everything = {r.id for r in seed_snapshot.store.rows if r is not None}
    got_a, got_b = ids(a), ids(b)
    assert ids(f"NOT {a}") == everything - got_a
    assert ids(f"{a} OR {b}") == got_a | got_b
    assert ids(f"{a} {b}") == got_a & got_b
    assert ids(f"({a}) NOT ({b})") == got_a - got_b
