"""One store segment: the search keys, rows, sentence ends and character postings of the
documents of one Whoosh segment, in its docnum order.

Files, all named `store-<segment id>.<part>`:

    .rows     JSON: each document's row (id, district, section, date), null for none
    .text     UTF-16-LE: every document's four field keys one after another
    .offsets  where each field key starts and ends in .text (4 x documents + 1 numbers)
    .breaks   sentence and paragraph ends in each body key, with where each document's start
    .grams    character postings of all four fields (see `grams`)
    .tgrams   character postings of the title alone
    .words    the words jieba made of the segment, with their counts (see `lexicon`)
    .shown    each record as JSON, as the parser read it (what a hit shows): where each
              ends (8 bytes each), then the records one after another

Numbers are little-endian 32-bit. A segment is written once and never changed: an update
links the segments it keeps into the new generation and writes only new ones. Each part is
opened on first use, and the big ones are mapped (`mmap`), not read: a search touches the
pages of the documents it looks at.
"""

from __future__ import annotations

import json
import mmap
import sys
from array import array
from functools import cached_property
from pathlib import Path

from . import lexicon
from .grams import Grams, _view, build, grams_of
from .records import Entry, StoreRow

PARTS = ("rows", "text", "offsets", "breaks", "grams", "tgrams", "words", "shown")
WORD_FIELDS = ("title_words", "body_words", "byline_words")  # the Whoosh fields of jieba's words


def _le(a: array) -> bytes:
    if sys.byteorder != "little":
        a = array(a.typecode, a)
        a.byteswap()
    return a.tobytes()


def write(folder: Path, segid: str, entries: list[Entry | None], reader, write_file) -> int:
    """Write a segment's files (its words from `reader`, the Whoosh segment's); returns the
    total length of its body keys (for BM25)."""
    rows = [None if e is None else list(e.row) for e in entries]
    write_file(folder / f"store-{segid}.rows", json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode())
    offsets = array("I", [0])
    chunks: list[str] = []
    at = 0
    body = 0
    for e in entries:
        for i, key in enumerate(e.keys if e is not None else ("", "", "", "")):
            chunks.append(key)
            at += len(key.encode("utf-16-le", "surrogatepass")) // 2
            offsets.append(at)
            if i == 1:
                body += len(key)
    write_file(folder / f"store-{segid}.text", "".join(chunks).encode("utf-16-le", "surrogatepass"))
    write_file(folder / f"store-{segid}.offsets", _le(offsets))
    s_ends, s_at, p_ends, p_at = array("I"), array("I", [0]), array("I"), array("I", [0])
    for e in entries:
        if e is not None:
            s_ends.extend(e.sentences)
            p_ends.extend(e.paragraphs)
        s_at.append(len(s_ends))
        p_at.append(len(p_ends))
    write_file(folder / f"store-{segid}.breaks",
               b"".join(_le(array("I", [len(a)]) + a) for a in (s_ends, s_at, p_ends, p_at)))
    write_file(folder / f"store-{segid}.grams", build([grams_of(e.keys) if e else None for e in entries]))
    write_file(folder / f"store-{segid}.tgrams", build([grams_of(e.keys[:1]) if e else None for e in entries]))
    write_file(folder / f"store-{segid}.words", lexicon.build(reader, WORD_FIELDS))
    shown = [(e.shown if e is not None else "null").encode("utf-8", "surrogatepass") for e in entries]
    ends, at = array("Q"), 0
    for x in shown:
        at += len(x)
        ends.append(at)
    write_file(folder / f"store-{segid}.shown", _le(ends) + b"".join(shown))
    return body


def _checked(load):
    """A part loaded on first use; a damaged or missing file is the one-line "rebuild" error."""

    def part(self):
        try:
            return load(self)
        except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
            from . import damaged

            raise damaged(self.folder, exc) from None

    part.__name__, part.__doc__ = load.__name__, load.__doc__
    return cached_property(part)


def _mapped(path: Path):
    with open(path, "rb") as f:
        if not f.seek(0, 2):
            return memoryview(b"")
        return memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))


class Segment:
    """A segment on disk, read lazily."""

    def __init__(self, folder: Path, segid: str, count: int):
        self.folder = folder
        self.segid = segid
        self.count = count

    def _path(self, part: str) -> Path:
        return self.folder / f"store-{self.segid}.{part}"

    @_checked
    def rows(self) -> list[StoreRow | None]:
        rows = json.loads(self._path("rows").read_bytes())
        if not isinstance(rows, list) or len(rows) != self.count:
            raise ValueError("rows")
        return [None if r is None else StoreRow(*r) for r in rows]

    @_checked
    def _text(self):
        text = _mapped(self._path("text"))
        offsets = _view(_mapped(self._path("offsets")), "I")
        if len(offsets) != 4 * self.count + 1 or offsets[-1] * 2 != len(text):
            raise ValueError("text and offsets")
        return text, offsets

    _CACHED = 20_000  # decoded documents a segment keeps (a long-running process reuses them)

    def keys(self, local: int) -> tuple[str, str, str, str]:
        """A document's four field keys, decoded once and kept."""
        cache = self.__dict__.setdefault("_keys", {})
        keys = cache.get(local)
        if keys is None:
            text, offsets = self._text
            i = 4 * local
            a, b, c, d, e = offsets[i:i + 5]
            try:
                whole = text[2 * a:2 * e].tobytes().decode("utf-16-le", "surrogatepass")
            except UnicodeDecodeError as exc:  # offsets out of order: a damaged file
                from . import damaged

                raise damaged(self.folder, exc) from None
            b, c, d, e = b - a, c - a, d - a, e - a
            keys = (whole[:b], whole[b:c], whole[c:d], whole[d:e]) if len(whole) == e \
                else self._split(whole, (b, c, d))
            if len(cache) >= self._CACHED:
                cache.clear()
            cache[local] = keys
        return keys

    @staticmethod
    def _split(whole: str, cuts) -> tuple[str, str, str, str]:
        """Cut at UTF-16 offsets a string that holds characters beyond the BMP (two units each)."""
        units = whole.encode("utf-16-le", "surrogatepass")
        b, c, d = (2 * x for x in cuts)
        return tuple(units[x:y].decode("utf-16-le", "surrogatepass") for x, y in ((0, b), (b, c), (c, d), (d, len(units))))

    def key(self, local: int, field: int) -> str:
        return self.keys(local)[field]

    def body_length(self, local: int) -> int:
        _, offsets = self._text
        return offsets[4 * local + 2] - offsets[4 * local + 1]

    @_checked
    def _breaks(self):
        flat = _view(_mapped(self._path("breaks")), "I")
        parts, i = [], 0
        for _ in range(4):
            if i >= len(flat):
                raise ValueError("breaks cut short")
            size = flat[i]
            parts.append(flat[i + 1:i + 1 + size])
            i += 1 + size
        s_ends, s_at, p_ends, p_at = parts
        if len(s_at) != self.count + 1 or len(p_at) != self.count + 1 or i != len(flat) \
                or s_at[-1] != len(s_ends) or p_at[-1] != len(p_ends):
            raise ValueError("breaks")
        return parts

    def breaks(self, local: int):
        """(sentence ends, paragraph ends) of a document's body key."""
        s_ends, s_at, p_ends, p_at = self._breaks
        return s_ends[s_at[local]:s_at[local + 1]], p_ends[p_at[local]:p_at[local + 1]]

    @_checked
    def grams(self) -> Grams:
        return Grams(self._path("grams"), self.count)

    @_checked
    def title_grams(self) -> Grams:
        return Grams(self._path("tgrams"), self.count)

    @_checked
    def words(self) -> lexicon.Lexicon:
        return lexicon.Lexicon(self._path("words"))

    @_checked
    def _shown(self):
        data = _mapped(self._path("shown"))
        ends = _view(data[:8 * self.count], "Q")
        if len(ends) != self.count or (self.count and 8 * self.count + ends[-1] != len(data)):
            raise ValueError("shown records")
        return data[8 * self.count:], ends

    def shown_text(self, local: int) -> str:
        data, ends = self._shown
        return data[ends[local - 1] if local else 0:ends[local]].tobytes().decode("utf-8", "surrogatepass")

    def shown(self, local: int) -> dict | None:
        """The record as the parser read it (None for none)."""
        try:
            record = json.loads(self.shown_text(local))
            if record is not None and not isinstance(record, dict):
                raise ValueError("a shown record is not an object")
            return record
        except (ValueError, UnicodeDecodeError) as exc:
            from . import damaged

            raise damaged(self.folder, exc) from None

    def entry(self, local: int) -> Entry | None:
        row = self.rows[local]
        if row is None:
            return None
        sentences, paragraphs = self.breaks(local)
        return Entry(row, self.keys(local), list(sentences), list(paragraphs), self.shown_text(local))
