"""Stage 1, parse: one issue file of 杭州人大信息 -> an `Issue` holding its article records.

The layout (see BULLETIN.md): a header with the issue numbers and date, a table of
contents (目 录) naming each article's section and title and the number of briefs
(信息摘登 N 则), the articles in that order (heading, paragraphs, byline in parentheses),
the briefs (a paragraph and a byline each), and a footer (送:, 本期责任编辑:, 电话:).

Everything is derived from that structure, never from the sample files' contents:

* Text is decoded (UTF-8 with or without BOM, else GB18030), line ends unified, markdown
  marks (`#`, `**`, `---`) dropped and fullwidth ASCII folded to halfwidth.
* Each table-of-contents title is located as a heading by fuzzy comparison, so a heading
  worded a little differently, wrapped with a stray space or split over two lines is
  still found, and becomes one title.
* A paragraph that does not end a sentence was cut by a page break and is joined to the
  next one.

`parse_file` raises `ParseError` (naming the file, and the line where it can) for a file
that is not an issue; a truncated issue yields the records it holds, with warnings that
say what is missing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ParseError
from .normalize import fold_width

PUBLICATION = "杭州人大信息"
CITY_LEVEL = "市本级"
BRIEF_SECTION = "信息摘登"

#: Hangzhou's county-level divisions, by name stem and proper suffix.
DISTRICTS = {
    "上城": "区", "拱墅": "区", "西湖": "区", "滨江": "区", "萧山": "区", "余杭": "区",
    "临平": "区", "钱塘": "区", "富阳": "区", "临安": "区", "桐庐": "县", "淳安": "县",
    "建德": "市",
}
DISTRICT_NAMES = tuple(stem + suffix for stem, suffix in DISTRICTS.items())
_DISTRICT_RE = re.compile("(" + "|".join(DISTRICTS) + ")[区县市]")
# A piece about the city itself: 市人大常委会…, 杭州市…, 市十四届人大…
_CITY_RE = re.compile(r"^(杭州)?市(?![区县])")

_ISSUE_RE = re.compile(r"第\s*(\d+)\s*期\s*[(（]\s*总\s*第\s*(\d+)\s*期\s*[)）]")
_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_TOC_RE = re.compile(r"^目\s*录$")
_FOOTER_RE = re.compile(r"^(送|抄送|报送|分送|本期责任编辑|责任编辑|电话|联系电话)\s*[:：]?")
_EDITOR_RE = re.compile(r"本期责任编辑\s*[:：]\s*(\S+)")
_RULE_RE = re.compile(r"^\s*([-*_=]\s*){3,}$")
_HEADING_MARK_RE = re.compile(r"^\s{0,3}#{1,6}\s*")
_BYLINE_RE = re.compile(r"^\(([^()]{1,80})\)$")
_BRIEF_COUNT_RE = re.compile(r"(\d+)\s*则")
# A TOC entry: "- 要闻速递** title", "要闻速递** title", "【要闻速递】title".
_TOC_ENTRY_RE = re.compile(
    r"^[-*•·]?\s*(?:\*\*)?\s*[【\[]?(?P<section>[\u4e00-\u9fff]{2,8}?)(?:\*\*|[】\]])\s*(?P<rest>.*)$"
)
KNOWN_SECTIONS = ("要闻速递", "助力攻坚", "监督纵横", "代表工作", "情况交流", BRIEF_SECTION)
_PLAIN_TOC_ENTRY_RE = re.compile(
    r"^[-*•·]?\s*(?P<section>" + "|".join(KNOWN_SECTIONS) + r")\s*[:：]?\s+(?P<rest>.*)$"
)
# A paragraph ends a sentence when its last character (before closing quotes/brackets) is one of these.
_SENTENCE_END = set("。！？!?…；;")
_CLOSERS = "”’」』)]》"
# Units in a byline: the first token is an organisation when it ends like one.
_ORG_RE = re.compile(r"(委|会|室|厅|办|局|处|部|组|站|院|所|中心|街道|镇|乡|政府|公司|工委)$")
_HEADER_LINES = 60


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
    text: str  # cleaned: markdown marks gone, width folded, stripped
    raw: str  # width folded and stripped, marks kept
    heading: bool  # carried a markdown heading mark


# --------------------------------------------------------------------------- decoding


def decode(data: bytes, path) -> str:
    """Bytes of an issue file -> text; `ParseError` for empty or binary files."""
    if not data.strip():
        raise ParseError(path, "empty file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ParseError(path, "not valid UTF-16 text") from None
    if b"\x00" in data:
        raise ParseError(path, "binary file, not text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for c in text if c < " " and c not in "\t\n\r\f")
        if controls > len(text) // 100:
            raise ParseError(path, "binary file, not text")
        return text
    raise ParseError(path, "unknown encoding: neither UTF-8 nor GB18030 text")


def _clean(raw: str) -> tuple[str, bool]:
    """Drop markdown marks from one line; say whether it was a heading."""
    heading = bool(_HEADING_MARK_RE.match(raw))
    text = _HEADING_MARK_RE.sub("", raw) if heading else raw
    text = text.replace("**", "").replace("__", "")
    if _RULE_RE.match(text):
        return "", False
    return text.strip(), heading


def _lines(text: str) -> list[_Line]:
    out = []
    for no, raw in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        raw = fold_width(raw).strip()
        cleaned, heading = _clean(raw)
        out.append(_Line(no, cleaned, raw, heading))
    return out


# --------------------------------------------------------------------------- helpers


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, _compact(a), _compact(b), autojunk=False).ratio()


def _ends_sentence(text: str) -> bool:
    text = text.rstrip(_CLOSERS + " ")
    return bool(text) and text[-1] in _SENTENCE_END


def _join(parts: list[str]) -> str:
    """Concatenate the pieces of a paragraph cut by page breaks."""
    out = parts[0]
    for part in parts[1:]:
        sep = " " if out[-1:].isascii() and out[-1:].isalnum() and part[:1].isascii() and part[:1].isalnum() else ""
        out += sep + part
    return out


def _paragraphs(lines: list[_Line]) -> list[str]:
    """Body lines -> paragraphs, rejoining sentences cut by a page break."""
    paras: list[list[str]] = []
    for line in lines:
        if paras and not _ends_sentence(paras[-1][-1]):
            paras[-1].append(line.text)
        else:
            paras.append([line.text])
    return [_join(p) for p in paras]


def _dedent_title(heading: str, toc_title: str) -> str:
    """Remove spaces a layout wrap left inside a heading, keeping those the TOC also has."""
    kept = {(m.group(1), m.group(2)) for m in re.finditer(r"(\S)\s+(?=(\S))", toc_title)}

    def fix(m: re.Match) -> str:
        left, right = m.group(1), m.group(2)
        if (left, right) in kept or (left.isascii() and right.isascii()):
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
    tokens = [t for t in re.split(r"[\s、,，;；]+", content.strip()) if t]
    org = ""
    if tokens and _ORG_RE.search(tokens[0]):
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


# --------------------------------------------------------------------------- structure


@dataclass
class _TocEntry:
    section: str
    title: str


def _parse_header(lines: list[_Line], path) -> tuple[int, str, int, int, str, int]:
    """-> (index of the issue line, publication, issue, issue_total, date, index after header)."""
    for i, line in enumerate(lines[:_HEADER_LINES]):
        m = _ISSUE_RE.search(line.text)
        if m:
            break
    else:
        raise ParseError(path, "not a bulletin issue: no issue header (第 N 期(总第 M 期)) near the top")
    issue, total = int(m.group(1)), int(m.group(2))
    publication = next((ln.text for ln in lines[:i] if ln.text and not ln.text.startswith("(")), PUBLICATION)
    date = ""
    after = i + 1
    for j in range(i, min(len(lines), i + 12)):
        d = _DATE_RE.search(lines[j].text)
        if d:
            try:
                date = dt.date(int(d.group(1)), int(d.group(2)), int(d.group(3))).isoformat()
            except ValueError:
                raise ParseError(path, f"invalid date {d.group(0)!r}", lines[j].no) from None
            after = j + 1
            break
    if not date:
        raise ParseError(path, "no issue date (YYYY 年 M 月 D 日) after the issue number", lines[i].no)
    return i, publication, issue, total, date, after


def _toc_entry(raw: str) -> tuple[str, str] | None:
    m = _TOC_ENTRY_RE.match(raw) or _PLAIN_TOC_ENTRY_RE.match(raw)
    if not m:
        return None
    return m.group("section"), _clean(m.group("rest"))[0]


def _parse_toc(lines: list[_Line], start: int) -> tuple[list[_TocEntry], int | None, int]:
    """Read the table of contents after 目 录 -> (article entries, brief count, index after it)."""
    toc_at = next((i for i in range(start, min(len(lines), start + 20)) if _TOC_RE.match(lines[i].text)), None)
    if toc_at is None:
        return [], None, start
    entries: list[_TocEntry] = []
    briefs: int | None = None
    section = ""
    i = toc_at + 1
    while i < len(lines):
        line = lines[i]
        if not line.text:
            # The TOC goes on past a blank line only if a section entry follows.
            j = i + 1
            while j < len(lines) and not lines[j].text:
                j += 1
            if entries and (j >= len(lines) or _toc_entry(lines[j].raw) is None):
                i = j
                break
            i = j
            continue
        parsed = _toc_entry(line.raw)
        if parsed:
            section, title = parsed
            if section == BRIEF_SECTION:
                m = _BRIEF_COUNT_RE.search(title)
                briefs = int(m.group(1)) if m else None
                i += 1
                break
            if title:
                entries.append(_TocEntry(section, title))
        elif section:
            entries.append(_TocEntry(section, line.text))
        else:
            break
        i += 1
    return entries, briefs, i


def _find_heading(units: list[_Line], cursor: int, title: str, limit: int) -> tuple[int, int] | None:
    """Where the heading for a TOC title starts, and how many lines it spans."""
    best = None
    for j in range(cursor, limit):
        text = units[j].text
        if _BYLINE_RE.match(text) or len(_compact(text)) > 2 * len(_compact(title)) + 10:
            continue
        score = _similarity(text, title)
        if score >= 0.6:
            span = 1
            # A heading split over two lines: take the next line while that matches better.
            while j + span < limit:
                nxt = units[j + span]
                if _BYLINE_RE.match(nxt.text) or _ends_sentence(nxt.text) and not nxt.heading:
                    break
                joined = "".join(u.text for u in units[j : j + span + 1])
                better = _similarity(joined, title)
                if better <= score:
                    break
                score, span = better, span + 1
            best = (j, span)
            break
    return best


def _heading_like(line: _Line) -> bool:
    return line.heading or (len(_compact(line.text)) <= 40 and not _ends_sentence(line.text) and not _BYLINE_RE.match(line.text))


def parse_text(text: str, source: str = "<text>") -> Issue:
    """Parse the text of one issue."""
    lines = _lines(text)
    issue_at, publication, issue_no, total, date, after = _parse_header(lines, source)
    edition = next((ln.text.strip("()").replace(" ", "") for ln in lines[:issue_at] if ln.text.startswith("(")), "")
    toc, brief_count, body_from = _parse_toc(lines, after)
    warnings: list[str] = []

    footer_at = next((i for i in range(body_from, len(lines)) if _FOOTER_RE.match(lines[i].text)), None)
    editor = ""
    if footer_at is not None:
        for line in lines[footer_at:]:
            m = _EDITOR_RE.search(line.text)
            if m:
                editor = m.group(1)
    units = [ln for ln in lines[body_from : footer_at if footer_at is not None else len(lines)] if ln.text]

    pieces: list[tuple[str, str, str, str, list[_Line], str]] = []  # kind, section, title, toc_title, body lines, byline

    cursor = 0
    if toc:
        # Locate every TOC title as a heading, in order.
        found: list[tuple[_TocEntry, int, int]] = []
        for entry in toc:
            hit = _find_heading(units, cursor, entry.title, len(units))
            if hit is None:
                warnings.append(f"article missing: {entry.section} / {entry.title}")
                continue
            found.append((entry, hit[0], hit[1]))
            cursor = hit[0] + hit[1]
        for k, (entry, at, span) in enumerate(found):
            end = found[k + 1][1] if k + 1 < len(found) else len(units)
            body_lines: list[_Line] = []
            byline = ""
            stop = at + span
            for j in range(at + span, end):
                m = _BYLINE_RE.match(units[j].text)
                stop = j + 1
                if m:
                    byline = m.group(1)
                    break
                body_lines.append(units[j])
            heading = "".join(u.text for u in units[at : at + span])
            title = _dedent_title(heading, entry.title)
            toc_title = entry.title if _compact(entry.title) != _compact(title) else ""
            if not byline and k + 1 == len(found) and brief_count:
                warnings.append(f"no byline after the last article ({title}); briefs may be merged into it")
            pieces.append(("article", entry.section, title, toc_title, body_lines, byline))
            cursor = stop
    else:
        warnings.append("no table of contents (目 录); articles found by their bylines")

    # What follows the last article: briefs (or, without a TOC, every piece), each ending in a byline.
    chunk: list[_Line] = []
    for unit in units[cursor:]:
        m = _BYLINE_RE.match(unit.text)
        if not m:
            chunk.append(unit)
            continue
        if chunk:
            if not toc and len(chunk) > 1 and _heading_like(chunk[0]):
                pieces.append(("article", "", chunk[0].text, "", chunk[1:], m.group(1)))
            else:
                pieces.append(("brief", BRIEF_SECTION, "", "", chunk, m.group(1)))
        chunk = []
    if chunk:
        pieces.append(("brief", BRIEF_SECTION, "", "", chunk, ""))
        warnings.append(f"text after the last byline (line {chunk[0].no}) kept as a brief with no byline")

    if brief_count is not None:
        got = sum(1 for p in pieces if p[0] == "brief")
        if got != brief_count:
            warnings.append(f"信息摘登 announces {brief_count} briefs, found {got}")
    if footer_at is None:
        warnings.append("no footer (送: / 本期责任编辑:): the file may be truncated")

    records = []
    for seq, (kind, section, title, toc_title, body_lines, byline) in enumerate(pieces, start=1):
        body = "\n".join(_paragraphs(body_lines))
        org, authors = parse_byline(byline)
        records.append(
            Record(
                id=f"{total}-{seq:02d}",
                publication=publication,
                issue=issue_no,
                issue_total=total,
                date=date,
                seq=seq,
                kind=kind,
                section=section,
                district=district_of(title, body, org),
                title=title,
                toc_title=toc_title,
                org=org,
                authors=authors,
                body=body,
                source=source,
            )
        )
    return Issue(source, publication, edition, issue_no, total, date, editor, tuple(records), tuple(warnings))


def parse_file(path, source: str | None = None) -> Issue:
    """Parse one issue file; `source` is the name recorded in the records (default: `path`)."""
    path = Path(path)
    name = source if source is not None else str(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise ParseError(name, "is a folder, not an issue file") from None
    except OSError as exc:
        raise ParseError(name, f"cannot read: {exc.strerror or exc}") from None
    return parse_text(decode(data, name), name)
