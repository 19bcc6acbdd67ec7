"""Stage 1, parse: one issue file of 杭州人大信息 -> an `Issue` holding its article records.

The layout (see BULLETIN.md): a header with the issue numbers and date, a table of
contents (目 录) naming each article's section and title and the number of briefs
(信息摘登 N 则), the articles in that order (heading, paragraphs, byline in parentheses),
the briefs (a paragraph and a byline each), and a footer (送:, 本期责任编辑:, 电话:).

Everything is derived from that structure, never from the sample files' contents:

* Text is decoded (UTF-8 with or without BOM, else GB18030; a multi-byte character cut off
  at the very end is dropped), line ends unified, markdown marks (`#`, `**`, `---`) dropped
  and fullwidth ASCII folded to halfwidth. Blank lines carry no meaning: converters add and
  drop them freely.
* The table of contents runs from 目 录 (or its first section entry) to the 信息摘登 entry;
  without one, to the blank line before the first article's heading.
* Each table-of-contents title is placed on a heading by fuzzy comparison, for all titles at
  once and in order (the placement with the best total score wins), so a heading worded a
  little differently, wrapped with a stray space or split over two or three lines is still
  found and becomes one title, and a missing heading cannot shift the others.
* An article's body runs from its heading to its byline; after the last article, each
  paragraph group ending in a byline is a brief.
* A line that does not end a sentence was cut by a page break (or a hard wrap) and is joined
  to the next one; the remaining lines are the body's paragraphs.

`parse_file` raises `ParseError` (naming the file, and the line where it can) for a file
that is not an issue; a truncated issue yields the records it holds, with warnings that
say what is missing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .bulletin import BRIEF_SECTION, CITY_LEVEL, DISTRICT_NAMES, DISTRICTS, KNOWN_SECTIONS, PUBLICATION  # noqa: F401
from .errors import ParseError
from .i18n import N_, _
from .normalize import fold_width

_DISTRICT_RE = re.compile("(" + "|".join(DISTRICTS) + ")[区县市]")
# A piece about the city itself: 市人大常委会…, 杭州市…, 市十四届人大…
_CITY_RE = re.compile(r"^(杭州)?市(?![区县])")

_ISSUE_RE = re.compile(r"第\s*(\d+)\s*期\s*[(（]\s*总\s*第\s*(\d+)\s*期\s*[)）]")
_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_TOC_RE = re.compile(r"^目\s*录$")
# Other header lines: the edition `(普 刊)` and the compiler `杭州市人大常委会研究室编`.
_HEADER_LINE_RE = re.compile(r"^(\([^()]{1,10}\)|\S{2,20}编)$")
# Footer lines say what they are before a colon: `送:`, `本期责任编辑:`, `电话:`.
_FOOTER_RE = re.compile(r"^(送|抄送|报送|分送|本期责任编辑|责任编辑|电话|联系电话)\s*[:：]")
_EDITOR_RE = re.compile(r"本期责任编辑\s*[:：]\s*(\S+)")
_RULE_RE = re.compile(r"^\s*([-*_=]\s*){3,}$")
_HEADING_MARK_RE = re.compile(r"^\s{0,3}#{1,6}\s*")
_BYLINE_RE = re.compile(r"^\(([^()]{1,80})\)$")
_BRIEF_COUNT_RE = re.compile(r"([0-9]+|[一二两三四五六七八九十]+)\s*则")
_CHINESE_DIGITS = {c: n for n, c in enumerate("零一二三四五六七八九")} | {"两": 2}
# A TOC entry: "- 要闻速递** title", "- **要闻速递** title", "【要闻速递】title".
_TOC_ENTRY_RE = re.compile(
    r"^[-*•·]?\s*(?:\*\*)?\s*[【\[]?(?P<section>[\u4e00-\u9fff]{2,8}?)(?:\*\*|[】\]])\s*(?P<rest>.*)$"
)
# Without marks only a known section name opens an entry: "要闻速递 title", "信息摘登(4 则)".
_PLAIN_TOC_ENTRY_RE = re.compile(
    r"^[-*•·]?\s*(?P<section>" + "|".join(KNOWN_SECTIONS) + r")(?:\s*[:：]\s*|\s+|(?=[(（]))(?P<rest>.*)$"
)
# A paragraph ends a sentence when its last character (before closing quotes/brackets) is one of these.
_SENTENCE_END = set("。！？!?…；;")
_CLOSERS = "”’」』)]》"
# Units in a byline: the first token is an organisation when it ends like one, or is too
# long for a personal name.
_ORG_RE = re.compile(r"(委|会|室|厅|办|局|处|部|组|站|院|所|中心|街道|镇|乡|政府|公司|工委)$")
_NAME_MAX = 4
_HEADER_LINES = 60
_TOC_SEARCH_LINES = 20
_TOC_LINE_MAX = 60  # a TOC title is never longer (compact characters)
_MATCH_MIN = 0.6  # heading vs TOC title similarity that counts as the same title
_HEADING_SPAN_MAX = 3
_TOC_WRAP_MAX = 3  # lines a wrapped TOC title may take
_CUT_HEADING_MIN = 4  # characters of a heading a truncated file must keep for it to count


@dataclass(frozen=True)
class Record:
    """One article or brief of an issue."""

    id: str
    publication: str
    issue: int
    issue_total: int
    date: str
    seq: int
    kind: str  # "article" or "brief"
    section: str
    district: str
    title: str
    toc_title: str
    org: str
    authors: tuple[str, ...]
    body: str
    source: str

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["authors"] = list(self.authors)
        return d


@dataclass(frozen=True)
class Issue:
    """An issue file's header facts, its records in document order, and what was missing."""

    source: str
    publication: str
    edition: str
    issue: int
    issue_total: int
    date: str
    editor: str
    records: tuple[Record, ...]
    warnings: tuple[str, ...] = field(default=())


@dataclass
class _Line:
    no: int  # 1-based line number in the file
    text: str  # cleaned: markdown marks gone, width folded, stripped (for recognising structure)
    raw: str  # width folded and stripped, marks kept
    heading: bool  # carried a markdown heading mark
    orig: str = ""  # `text` in the file's own characters (not width folded): what records hold.
    raw_orig: str = ""  # `raw` in the file's own characters
    # Folding is one character for one, so `text` and `orig` align (as do `raw` and `raw_orig`):
    # a span of one is the same span of the other.


# --------------------------------------------------------------------------- decoding


def decode(data: bytes, path) -> str:
    """Bytes of an issue file -> text; `ParseError` for empty or binary files."""
    if not data.strip():
        raise ParseError(path, _("empty file"))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise ParseError(path, _("not valid UTF-16 text")) from None
        if not text.strip():
            raise ParseError(path, _("empty file"))
        return text
    if b"\x00" in data:
        raise ParseError(path, _("binary file, not text"))
    for encoding in ("utf-8-sig", "gb18030"):
        text = _decode_cut(data, encoding)
        if text is None:
            continue
        controls = len(_CONTROLS_RE.findall(text))  # other than \t \n \r \f
        if controls > len(text) // 100:
            raise ParseError(path, _("binary file, not text"))
        if not text.strip():
            raise ParseError(path, _("empty file"))
        return text
    raise ParseError(path, _("unknown encoding: neither UTF-8 nor GB18030 text"))


_CONTROLS_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")


def _decode_cut(data: bytes, encoding: str) -> str | None:
    """Decode, forgiving only a multi-byte character cut off at the end of a truncated file."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.end < len(data) or len(data) - exc.start > 3:
            return None
        try:
            return data[: exc.start].decode(encoding)
        except UnicodeDecodeError:
            return None


_BOLD_MARK_RE = re.compile(r"\*\*|__")


def _kept(raw: str) -> tuple[Sequence[int], bool]:
    """Which characters of one (width-folded) line remain once its markdown marks are dropped
    and it is stripped; and whether it was a heading."""
    if _RULE_RE.match(raw):
        return [], False
    m = _HEADING_MARK_RE.match(raw)
    i = m.end() if m else 0
    if "**" not in raw and "__" not in raw:  # most lines: a range, found by C's strip
        rest = raw[i:]
        a = i + len(rest) - len(rest.lstrip())
        return range(a, max(a, i + len(rest.rstrip()))), bool(m)
    keep: list[int] = []
    for mark in _BOLD_MARK_RE.finditer(raw, i):  # left to right, as a reader pairs them
        keep.extend(range(i, mark.start()))
        i = mark.end()
    keep.extend(range(i, len(raw)))
    a, b = 0, len(keep)
    while a < b and raw[keep[a]].isspace():
        a += 1
    while b > a and raw[keep[b - 1]].isspace():
        b -= 1
    return keep[a:b], bool(m)


def _picked(source: str, keep: Sequence[int]) -> str:
    """The characters of `source` at `keep` (a slice when they are a range)."""
    if isinstance(keep, range):
        return source[keep.start:keep.stop]
    return "".join(source[i] for i in keep)


def _clean(raw: str, orig: str | None = None) -> tuple[str, bool]:
    """Drop markdown marks from one line; say whether it was a heading. With `orig` (the
    same line unfolded), the cleaned text is taken from it, character for character."""
    keep, heading = _kept(raw)
    return _picked(raw if orig is None else orig, keep), heading


def _lines(text: str) -> list[_Line]:
    """The file's lines: each recognised in its width-folded form, kept in its own characters."""
    out = []
    for no, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        folded = fold_width(line)  # one character for one: offsets into it are offsets into `line`
        a, b = len(folded) - len(folded.lstrip()), len(folded.rstrip())
        raw, raw_orig = folded[a:b], line[a:b]
        keep, heading = _kept(raw)
        out.append(_Line(no, _picked(raw, keep), raw, heading, _picked(raw_orig, keep), raw_orig))
    return out


# --------------------------------------------------------------------------- helpers


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _compact(a), _compact(b), autojunk=False).ratio()


def _ends_sentence(text: str) -> bool:
    text = text.rstrip(_CLOSERS + " ")
    return bool(text) and text[-1] in _SENTENCE_END


def _ends_statement(text: str) -> bool:
    """Ends like a body sentence (。；), which a heading never does; ？！ may end either."""
    return text.rstrip(_CLOSERS + " ")[-1:] in ("。", "；", ";")


def _is_byline(line: _Line) -> bool:
    return bool(_BYLINE_RE.match(line.text))


def _join(parts: list[str]) -> str:
    """Concatenate the pieces of a paragraph cut by page breaks.

    A wrap may have split a bold mark (`*` / `*`): it is whole again once joined, and dropped."""
    out = parts[0]
    for part in parts[1:]:
        left, right = fold_width(out[-1:]), fold_width(part[:1])
        sep = " " if left.isascii() and left.isalnum() and right.isascii() and right.isalnum() else ""
        out += sep + part
    return out.replace("**", "")


def _paragraphs(lines: list[_Line]) -> list[str]:
    """Body lines -> paragraphs (in the file's own characters), rejoining sentences cut by a
    page break or a hard wrap.

    A line marked as a heading (`#`) inside a body stands alone: it is not a cut sentence."""
    paras: list[list[str]] = []
    last: _Line | None = None
    for line in lines:
        if paras and last is not None and not last.heading and not line.heading and not _ends_sentence(last.text):
            paras[-1].append(line.orig)
        else:
            paras.append([line.orig])
        last = line
    return [_join(p) for p in paras]


def _dedent_title(heading: str, toc_title: str) -> str:
    """Remove spaces a layout wrap left inside a heading, keeping those the TOC also has.

    A TOC title wrapped over lines comes joined with newlines: where it was wrapped says
    nothing about spaces."""
    kept = {(m.group(1), m.group(2)) for m in re.finditer(r"(\S)[^\S\n]+(?=(\S))", toc_title)}

    def fix(m: re.Match) -> str:
        left, right = m.group(1), m.group(2)
        if (left, right) in kept or (left.isascii() and right.isascii() and left + right not in toc_title):
            return left + " "
        return left

    return re.sub(r"(\S)\s+(?=(\S))", fix, heading).strip()


def _canonical_district(text: str) -> str:
    m = _DISTRICT_RE.search(text)
    return m.group(1) + DISTRICTS[m.group(1)] if m else ""


def district_of(title: str, body: str, org: str) -> str:
    """The division a piece is about: heading prefix, a brief's opening unit, then the byline."""
    for lead in (title, body if not title else ""):
        lead = lead.strip()
        if not lead:
            continue
        m = _DISTRICT_RE.match(lead)
        if m:
            return m.group(1) + DISTRICTS[m.group(1)]
        if _CITY_RE.match(lead):
            return CITY_LEVEL
    found = _canonical_district(org) or _canonical_district(title)
    return found or CITY_LEVEL


def parse_byline(content: str) -> tuple[str, tuple[str, ...]]:
    """`代表工委 李兴军` -> ("代表工委", ("李兴军",)); padded names `蔡 静` are rejoined."""
    tokens = [t for t in re.split(r"[\s、,，;；:：]+", content.strip()) if t]
    org = ""
    if tokens and (_ORG_RE.search(tokens[0]) or len(tokens[0]) > _NAME_MAX):
        org = tokens.pop(0)
    names: list[str] = []
    pending = ""
    for tok in tokens:
        if len(tok) == 1:
            if pending:
                names.append(pending + tok)
                pending = ""
            else:
                pending = tok
        else:
            if pending:
                names.append(pending)
                pending = ""
            names.append(tok)
    if pending:
        names.append(pending)
    return org, tuple(names)


def _brief_count(text: str) -> int | None:
    """`4 则`, `四则`, `十二则` -> the number of briefs."""
    m = _BRIEF_COUNT_RE.search(text)
    if not m:
        return None
    numeral = m.group(1)
    if numeral.isdigit():
        return int(numeral)
    tens, ten, ones = numeral.partition("十")
    if not ten:
        return _CHINESE_DIGITS.get(numeral)
    if (tens and tens not in _CHINESE_DIGITS) or (ones and ones not in _CHINESE_DIGITS):
        return None
    return _CHINESE_DIGITS.get(tens, 1) * 10 + _CHINESE_DIGITS.get(ones, 0)


# --------------------------------------------------------------------------- header


def _parse_header(lines: list[_Line], path) -> tuple[int, str, int, int, str, int]:
    """-> (index of the issue line, publication, issue, issue_total, date, index after the header)."""
    for i, line in enumerate(lines[:_HEADER_LINES]):
        m = _ISSUE_RE.search(line.text)
        if m:
            break
    else:
        raise ParseError(path, _("not a bulletin issue: no issue header (第 N 期(总第 M 期)) near the top"))
    issue, total = int(m.group(1)), int(m.group(2))
    if issue > _NUMBER_MAX or total > _NUMBER_MAX:
        raise ParseError(path, _("issue number out of range in {text!r} (at most {max})").format(text=m.group(0), max=_NUMBER_MAX), line.no)
    publication = next(
        (ln.text for ln in lines[:i] if ln.text and not _HEADER_LINE_RE.match(ln.text) and not _DATE_RE.search(ln.text)),
        PUBLICATION,
    )
    date, date_at = "", None
    for j in range(max(0, i - 6), min(len(lines), i + 12)):
        d = _DATE_RE.search(lines[j].text)
        if d:
            try:
                date = dt.date(int(d.group(1)), int(d.group(2)), int(d.group(3))).isoformat()
            except ValueError:
                raise ParseError(path, _("invalid date {text!r}").format(text=d.group(0)), lines[j].no) from None
            date_at = j
            break
    if date_at is None:
        raise ParseError(path, _("no issue date (YYYY 年 M 月 D 日) near the issue number"), lines[i].no)
    return i, publication, issue, total, date, _header_end(lines, max(i, date_at) + 1)


def _header_end(lines: list[_Line], at: int) -> int:
    """Skip the header lines (edition, compiler, date) that follow the issue number."""
    while at < len(lines) and (
        not lines[at].text or _HEADER_LINE_RE.match(lines[at].text) or _DATE_RE.fullmatch(lines[at].text)
    ):
        at += 1
    return at


# --------------------------------------------------------------------------- table of contents


@dataclass
class _TocEntry:
    section: str
    title: str  # width folded, for placing it on a heading
    continued: bool = False  # on a line of its own, under an earlier entry's section mark
    orig: str = ""  # the title in the file's own characters


def _toc_entry(raw: str, orig: str | None = None) -> tuple[str, str] | None:
    """A TOC line -> (section, title); the title from `orig` (the unfolded line) when given."""
    m = _TOC_ENTRY_RE.match(raw) or _PLAIN_TOC_ENTRY_RE.match(raw)
    if not m:
        return None
    rest = m.group("rest")
    return m.group("section"), _clean(rest, None if orig is None else orig[m.start("rest"):m.end("rest")])[0]


def _is_brief_entry(line: _Line) -> bool:
    parsed = _toc_entry(line.raw)
    return bool(parsed) and parsed[0] == BRIEF_SECTION


def _toc_like(line: _Line) -> bool:
    """Could be a line of the table of contents: a section entry or a short title."""
    if _toc_entry(line.raw) or _TOC_RE.match(line.text):
        return True
    return len(_compact(line.text)) <= _TOC_LINE_MAX and not _ends_statement(line.text) and not _is_byline(line)


def _toc_start(lines: list[_Line], start: int) -> int | None:
    """Index of the 目 录 line, or of the first section entry where that line is missing."""
    for i in range(start, min(len(lines), start + _TOC_SEARCH_LINES)):
        if _TOC_RE.match(lines[i].text) or (lines[i].text and _toc_entry(lines[i].raw)):
            return i
    return None


def _toc_end(lines: list[_Line], first: int) -> int:
    """Index after the table of contents that starts at `first`: after its 信息摘登 entry.

    An issue without briefs has none; see `_toc_end_before_heading`."""
    i = first
    while i < len(lines) and (not lines[i].text or _toc_like(lines[i])):
        if lines[i].text and _is_brief_entry(lines[i]):
            return i + 1
        i += 1
    return _toc_end_before_heading(lines, first, i)


def _toc_end_before_heading(lines: list[_Line], first: int, scan_end: int) -> int:
    """A TOC with no 信息摘登 entry ends at a blank line before a line that is no section entry.

    Of those blank lines the one chosen is followed by the best likeness of the first title,
    for there the first article's heading repeats it."""
    entries = [ln for ln in lines[first:scan_end] if ln.text and not _TOC_RE.match(ln.text)]
    if not entries:
        return first + 1
    parsed = _toc_entry(entries[0].raw)
    first_title = parsed[1] if parsed and parsed[1] else entries[0].text
    best, best_score = scan_end, -1.0
    for blank in range(first + 1, scan_end):
        if lines[blank].text or not lines[blank - 1].text:
            continue
        after = list(itertools.islice((ln for ln in lines[blank:] if ln.text), 2))
        if not after or _toc_entry(after[0].raw) or after[0] is entries[0]:
            continue
        score = max(_similarity(after[0].text, first_title), _similarity("".join(ln.text for ln in after), first_title))
        if score > best_score:
            best, best_score = blank, score
    return best


def _parse_toc(lines: list[_Line], start: int) -> tuple[list[_TocEntry], int | None, int]:
    """Read the table of contents near `start` -> (article entries, brief count, index after it)."""
    first = _toc_start(lines, start)
    if first is None:
        return [], None, start
    end = _toc_end(lines, first)
    entries: list[_TocEntry] = []
    briefs: int | None = None
    section = ""
    for line in lines[first:end]:
        if not line.text or _TOC_RE.match(line.text):
            continue
        parsed = _toc_entry(line.raw)
        if parsed:
            section, title = parsed
            if section == BRIEF_SECTION:
                briefs = _brief_count(title)
            elif title:
                entries.append(_TocEntry(section, title, orig=_toc_entry(line.raw, line.raw_orig)[1]))
        else:
            entries.append(_TocEntry(section, line.text, continued=True, orig=line.orig))
    return entries, briefs, end


# --------------------------------------------------------------------------- headings


def _may_start_heading(line: _Line) -> bool:
    return not _is_byline(line) and (line.heading or not _ends_statement(line.text))


def _heading_score(texts: list[str], starts: list[bool], at: int, matcher: difflib.SequenceMatcher) -> tuple[float, int] | None:
    """How well the heading starting at line `at` matches the matcher's title: (score, lines spanned).

    `texts` are the lines without whitespace, `starts` says which could open a heading."""
    title = matcher.b
    limit = 2 * len(title) + 10
    best: tuple[float, int] | None = None
    joined = ""
    for span in range(1, min(_HEADING_SPAN_MAX, len(texts) - at) + 1):
        if not starts[at + span - 1]:
            break
        joined += texts[at + span - 1]
        if len(joined) > limit:
            break
        matcher.set_seq1(joined)
        score = 0.0
        if matcher.real_quick_ratio() >= _MATCH_MIN and matcher.quick_ratio() >= _MATCH_MIN:
            score = matcher.ratio()
        if at + span == len(texts) and len(joined) >= _CUT_HEADING_MIN and title.startswith(joined):
            score = max(score, _MATCH_MIN)  # the file ends inside this heading
        if score >= _MATCH_MIN and (best is None or score > best[0]):
            best = (score, span)
    return best


@dataclass
class _Placement:
    """TOC entries `first` .. `first + count - 1` are the title of the heading at `at`, `span` lines long."""

    first: int
    count: int
    at: int
    span: int


def _title_options(toc: list[_TocEntry]) -> dict[tuple[int, int], str]:
    """(first entry, count) -> title: every entry, alone and with the continuation lines after
    it in the same section, which may be the rest of a TOC line that a converter wrapped."""
    options = {}
    for k, entry in enumerate(toc):
        title = entry.title
        options[k, 1] = title
        for count in range(2, _TOC_WRAP_MAX + 1):
            nxt = toc[k + count - 1] if k + count - 1 < len(toc) else None
            if nxt is None or not nxt.continued or nxt.section != entry.section:
                break
            title += " " + nxt.title
            options[k, count] = title
    return options


def _place_headings(units: list[_Line], toc: list[_TocEntry]) -> list[_Placement]:
    """Place the TOC titles on heading lines, in order; an entry left out has no heading.

    Every line that could open a heading is scored against every title; of all placements
    that keep the TOC order, the one with the best total gain wins, so a body line that
    resembles a later title, or a title without its heading, shifts nothing. A placement gains
    its score above 0.5 for each character of TOC text it accounts for: one heading that
    matches a wrapped title whole beats two lines that each match a piece of it."""
    texts = [_compact(u.text) for u in units]
    starts = [_may_start_heading(u) for u in units]
    candidates = [j for j in range(len(units)) if starts[j]]
    # An ordinary issue scores every title against every candidate line. A pathological one
    # (hundreds of TOC entries) would cost entries x lines: there each title is scored only
    # against the candidates near its proportional place, which keeps the cost linear.
    banded = len(toc) * len(candidates) > _FULL_SCORING_MAX
    scores: dict[tuple[int, int, int], tuple[float, int]] = {}  # (line, entry, count) -> (gain, span)
    for (k, count), title in _title_options(toc).items():
        matcher = difflib.SequenceMatcher(None, "", _compact(title), autojunk=False)
        near = candidates
        if banded:
            at = k * len(candidates) // max(len(toc), 1)
            near = candidates[max(0, at - _BAND):at + _BAND]
        for j in near:
            hit = _heading_score(texts, starts, j, matcher)
            if hit:
                scores[j, k, count] = ((hit[0] - 0.5) * len(matcher.b), hit[1])
    if len(units) * len(toc) > _DENSE_ALIGN_MAX:
        return _align_sparse(scores, len(units), len(toc))
    return _align(scores, len(units), len(toc))


_FULL_SCORING_MAX = 40_000  # titles x candidate lines scored in full (an issue has ~30 x ~60)
_BAND = 48  # candidates on either side of a title's proportional place, beyond that
_DENSE_ALIGN_MAX = 1_000_000  # lines x titles of the dense alignment table


def _align_sparse(scores: dict[tuple[int, int, int], tuple[float, int]], n: int, m: int) -> list[_Placement]:
    """`_align` for big inputs: the same best total gain, in time and memory linear in the
    number of scored placements (a chain of placements increasing in line and entry, found
    with a prefix-maximum tree over entries) instead of lines x entries."""
    import heapq

    points = sorted((j, k, count, gain, span) for (j, k, count), (gain, span) in scores.items())
    size = m + 2
    tree_val = [0.0] * (size + 1)
    tree_arg = [-1] * (size + 1)

    def insert(end: int, value: float, arg: int) -> None:
        i = end + 1
        while i <= size:
            if value > tree_val[i]:
                tree_val[i], tree_arg[i] = value, arg
            i += i & -i

    def prefix(end: int) -> tuple[float, int]:
        i, best, arg = end + 1, 0.0, -1
        while i > 0:
            if tree_val[i] > best:
                best, arg = tree_val[i], tree_arg[i]
            i -= i & -i
        return best, arg

    total = [0.0] * len(points)
    before = [-1] * len(points)
    pending: list[tuple[int, int]] = []  # (line from which it may precede, point)
    for idx, (j, k, count, gain, span) in enumerate(points):
        while pending and pending[0][0] <= j:
            _, q = heapq.heappop(pending)
            insert(points[q][1] + points[q][2], total[q], q)
        best, arg = prefix(k)
        total[idx], before[idx] = gain + best, arg
        heapq.heappush(pending, (min(j + span + 1, n), idx))
    if not points:
        return []
    idx = max(range(len(points)), key=lambda i: (total[i], -i))
    chain = []
    while idx != -1:
        j, k, count, _, span = points[idx]
        chain.append(_Placement(k, count, j, span))
        idx = before[idx]
    return chain[::-1]


def _align(scores: dict[tuple[int, int, int], tuple[float, int]], n: int, m: int) -> list[_Placement]:
    """The order-keeping choice of (line, titles) pairs with the best total gain (dynamic
    programming). An article has a body, so a heading is never placed right after another."""

    def after(j: int, span: int) -> int:  # the first line where the next heading may start
        return min(j + span + 1, n)

    # best[j][k]: the best total gain for placing entries k.. on lines j..
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for j in range(n - 1, -1, -1):
        for k in range(m - 1, -1, -1):
            here = max(best[j + 1][k], best[j][k + 1])
            for count in range(1, _TOC_WRAP_MAX + 1):
                if (j, k, count) in scores:
                    gain, span = scores[j, k, count]
                    here = max(here, gain + best[after(j, span)][k + count])
            best[j][k] = here
    placements: list[_Placement] = []
    j = k = 0
    while j < n and k < m:
        for count in range(1, _TOC_WRAP_MAX + 1):
            hit = scores.get((j, k, count))
            if hit and best[j][k] == hit[0] + best[after(j, hit[1])][k + count]:
                placements.append(_Placement(k, count, j, hit[1]))
                j, k = after(j, hit[1]), k + count
                break
        else:
            if best[j][k] == best[j + 1][k]:
                j += 1
            else:
                k += 1
    return placements


# --------------------------------------------------------------------------- pieces


@dataclass
class _Piece:
    kind: str
    section: str
    title: str
    toc_title: str
    lines: list[_Line]
    byline: str


def _skipped(units: list[_Line], start: int, end: int, warnings: list[str]) -> None:
    if start < end:
        warnings.append(_("lines {first}-{last} are under no table-of-contents title; skipped").format(
            first=units[start].no, last=units[end - 1].no))


def _articles(units: list[_Line], toc: list[_TocEntry], brief_count: int | None, warnings: list[str]) -> tuple[list[_Piece], int]:
    """The TOC's articles -> (pieces, index of the first unit after the last article)."""
    placements = _place_headings(units, toc)
    placed = {p.first + i for p in placements for i in range(p.count)}
    for k, entry in enumerate(toc):
        if k not in placed:
            warnings.append(_("article missing: {section} / {title}").format(section=entry.section, title=entry.title))
    pieces: list[_Piece] = []
    cursor = 0
    for n, p in enumerate(placements):
        _skipped(units, cursor, p.at, warnings)
        end = placements[n + 1].at if n + 1 < len(placements) else len(units)
        body, byline, cursor = _body(units, p.at + p.span, end)
        entries = toc[p.first : p.first + p.count]
        title = _dedent_title(" ".join(u.orig for u in units[p.at : p.at + p.span]),
                              "\n".join(e.orig for e in entries))
        toc_title = _join([e.orig for e in entries])
        toc_title = toc_title if _compact(fold_width(toc_title)) != _compact(fold_width(title)) else ""
        if not byline and n + 1 == len(placements) and brief_count:
            warnings.append(_("no byline after the last article ({title}); briefs may be merged into it").format(title=title))
        pieces.append(_Piece("article", entries[0].section, title, toc_title, body, byline))
    return pieces, cursor


def _body(units: list[_Line], start: int, end: int) -> tuple[list[_Line], str, int]:
    """An article's lines from `start` up to its byline (at most to `end`) -> (lines, byline, index after)."""
    for j in range(start, end):
        if _is_byline(units[j]):
            return units[start:j], _byline_of(units[j]), j + 1
    return units[start:end], "", end


def _byline_of(line: _Line) -> str:
    """The byline's content, without its parentheses, in the file's own characters."""
    m = _BYLINE_RE.match(line.text)
    return line.orig[m.start(1):m.end(1)]


def _byline_pieces(units: list[_Line], with_toc: bool) -> tuple[list[_Piece], list[_Line]]:
    """Paragraph groups each ending in a byline -> (pieces, lines after the last byline).

    With a TOC these are the briefs; without one, groups are articles (see `_untitled_heading`)
    until the first that is not, and briefs from there on."""
    pieces: list[_Piece] = []
    chunk: list[_Line] = []
    briefs = with_toc
    for unit in units:
        if not _is_byline(unit):
            chunk.append(unit)
            continue
        byline = _byline_of(unit)
        if chunk:
            span = 0 if briefs else _untitled_heading(chunk)
            if span:
                title = "".join(u.orig for u in chunk[:span])
                pieces.append(_Piece("article", "", title, "", chunk[span:], byline))
            else:
                briefs = True
                pieces.append(_Piece("brief", BRIEF_SECTION, "", "", chunk, byline))
        chunk = []
    return pieces, chunk


def _untitled_heading(chunk: list[_Line]) -> int:
    """Without a TOC: how many leading lines of a group are its heading; 0 for a brief.

    A heading is short, or marked, and does not end a sentence; lines marked as headings go on
    it. An unmarked one needs at least two paragraphs under it: a one-paragraph group whose
    first line is short is a brief cut by a page break."""
    if not _heading_like(chunk[0]):
        return 0
    span = 1
    while span < min(len(chunk) - 1, _HEADING_SPAN_MAX) and chunk[span].heading:
        span += 1
    body = chunk[span:]
    if not body or (not chunk[0].heading and len(_paragraphs(body)) < 2):
        return 0
    return span


def _heading_like(line: _Line) -> bool:
    return line.heading or (len(_compact(line.text)) <= 40 and not _ends_sentence(line.text) and not _is_byline(line))


def _record(piece: _Piece, seq: int, facts: dict, source: str) -> Record:
    body = "\n".join(_paragraphs(piece.lines))
    org, authors = parse_byline(piece.byline)
    return Record(
        id=f"{facts['issue_total']}-{seq:02d}",
        publication=facts["publication"],
        issue=facts["issue"],
        issue_total=facts["issue_total"],
        date=facts["date"],
        seq=seq,
        kind=piece.kind,
        section=piece.section,
        district=district_of(piece.title, body, org),
        title=piece.title,
        toc_title=piece.toc_title,
        org=org,
        authors=authors,
        body=body,
        source=source,
    )


# --------------------------------------------------------------------------- the issue


def _footer(lines: list[_Line], start: int) -> tuple[int | None, str]:
    """Where the footer (送:, 本期责任编辑:, 电话:) starts after `start`, and the editor it names."""
    at = next((i for i in range(start, len(lines)) if _FOOTER_RE.match(lines[i].text)), None)
    editor = ""
    for line in lines[at:] if at is not None else ():
        m = _EDITOR_RE.search(line.text)
        editor = m.group(1) if m else editor
    return at, editor


def _after_bylines(rest: list[_Line], pieces: list[_Piece], brief_count: int | None, warnings: list[str]) -> None:
    """Text after the last byline: the start of a brief cut off, or stray text once the
    announced briefs are all there; then check the count."""
    briefs = sum(1 for p in pieces if p.kind == "brief")
    if rest and brief_count is not None and briefs >= brief_count:
        warnings.append(_("text after the last brief (line {line}) belongs to no record; skipped").format(line=rest[0].no))
    elif rest:
        pieces.append(_Piece("brief", BRIEF_SECTION, "", "", rest, ""))
        briefs += 1
        warnings.append(_("text after the last byline (line {line}) kept as a brief with no byline").format(line=rest[0].no))
    if brief_count is not None and briefs != brief_count:
        warnings.append(_("信息摘登 announces {n} briefs, found {found}").format(n=brief_count, found=briefs))


def parse_text(text: str, source: str = "<text>") -> Issue:
    """Parse the text of one issue."""
    lines = _lines(text)
    issue_at, publication, issue_no, total, date, after = _parse_header(lines, source)
    edition = next((ln.text.strip("()").replace(" ", "") for ln in lines[:issue_at] if ln.text.startswith("(")), "")
    toc, brief_count, body_from = _parse_toc(lines, after)
    footer_at, editor = _footer(lines, body_from)
    units = [ln for ln in lines[body_from:footer_at] if ln.text]  # footer_at None: to the end

    warnings: list[str] = []
    if toc:
        pieces, cursor = _articles(units, toc, brief_count, warnings)
    else:
        pieces, cursor = [], 0
        warnings.append(_("no table of contents (目 录); articles found by their bylines"))
    more, rest = _byline_pieces(units[cursor:], bool(toc))
    pieces += more
    _after_bylines(rest, pieces, brief_count, warnings)
    if footer_at is None:
        warnings.append(_("no footer (送: / 本期责任编辑:): the file may be truncated"))

    facts = {"publication": publication, "issue": issue_no, "issue_total": total, "date": date}
    records = tuple(_record(piece, seq, facts, source) for seq, piece in enumerate(pieces, start=1))
    return Issue(source, publication, edition, issue_no, total, date, editor, records, tuple(warnings))


MAX_BYTES = 20 * 2**20  # the size cap per issue file (index.DEFAULT_MAX_FILE_MB)
_NUMBER_MAX = 2**31 - 1  # what the index can store as an issue number


def parse_file(path, source: str | None = None, max_bytes: int = MAX_BYTES) -> Issue:
    """Parse one issue file; `source` is the name recorded in the records (default: `path`)."""
    path = Path(path)
    name = source if source is not None else str(path)
    try:
        data = read_regular(path, max_bytes)
    except IsADirectoryError:
        raise ParseError(name, _("is a folder, not an issue file")) from None
    except OSError as exc:
        raise ParseError(name, _("cannot read: {reason}").format(reason=exc.strerror or exc)) from None
    except ValueError as exc:
        raise ParseError(name, str(exc)) from None
    return parse_text(decode(data, name), name)


def read_regular(path, max_bytes: int) -> bytes:
    """A regular file's bytes, at most `max_bytes`: opened without blocking and checked before
    a byte is read, so a FIFO, a device (a link to /dev/zero) or a socket is refused
    (`ValueError`), never read; so is a file over the cap."""
    import os
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "Is a directory")
        if not stat.S_ISREG(st.st_mode):
            kind = (N_("a FIFO (named pipe)") if stat.S_ISFIFO(st.st_mode) else N_("a socket")
                    if stat.S_ISSOCK(st.st_mode) else N_("a device") if stat.S_ISCHR(st.st_mode) or
                    stat.S_ISBLK(st.st_mode) else N_("not a regular file"))
            raise ValueError(_("{kind}, not a file: not read").format(kind=_(kind)))
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise ValueError(_("over the {mb} MB cap for an issue file; raise it with --max-file-mb if this really is "
                           "one issue").format(mb=f"{max_bytes / 2**20:g}"))
    return data
