"""One store segment: the search keys, rows, sentence ends, character postings and words of
the documents of one Whoosh segment, in its docnum order.

Files, all named `store-<segment id>.<part>`:

    .rows     JSON: each document's row (id, district, section, date), null for none
    .text     UTF-16-LE: every document's four field keys, joined by FIELD_SEPARATOR
    .offsets  where each document starts and ends in .text (documents + 1 numbers)
    .breaks   sentence and paragraph ends in each body key, with where each document's start
    .grams    character postings of all four fields, with counts (see `grams`)
    .tgrams   character postings of the title alone
    .lengths  the length of each document's body key (BM25's length normalisation)
    .words    the words jieba made of the segment's records, with their counts (see `lexicon`)
    .shown    each record as JSON, as the parser read it (what a hit shows), compressed
              (zlib) one by one, one after another, then where each ends (8 bytes each)

Numbers are little-endian 32-bit. A segment is written once and never changed: an update
links the segments it keeps into the new generation and writes only new ones. Each part is
opened on first use, and the big ones are mapped (`mmap`), not read: a search touches the
pages of the documents it looks at.
"""

from __future__ import annotations

import json
import zlib
from array import array
from collections import Counter
from functools import cached_property
from pathlib import Path

from . import lexicon
from . import grams
from .grams import Grams, _le, _view, codes_of, grams_of, map_file
from .records import Entry, StoreRow

FIELD_SEPARATOR = "\x1e"  # between a document's field keys in .text; no key holds it
_SEPARATOR_BYTES = FIELD_SEPARATOR.encode("utf-16-le")

PARTS = ("rows", "text", "offsets", "breaks", "grams", "tgrams", "lengths", "words", "shown")


class Writer:
    """A segment being written, one document at a time in docnum order (`add`), then `finish`.

    Each entry goes to every part at once and is dropped, so a build holds the segment's
    postings, offsets and word counts, never its documents. (The generation is not live
    until it is sealed and named in CURRENT: a part cut short by a crash is never read.)"""

    def __init__(self, folder: Path, segid: str, count: int):
        self.folder, self.segid, self.count = folder, segid, count
        self.offsets, self.shown_ends, self.lengths = array("I", [0]), array("Q"), array("I")
        self.s_ends, self.s_at, self.p_ends, self.p_at = array("I"), array("I", [0]), array("I"), array("I", [0])
        self.postings, self.title_postings = grams.Postings(count), grams.Postings(count)
        self.freq: dict[str, int] = {}  # jieba's words: occurrences
        self.docs: Counter[str] = Counter()  # and documents
        self.added = self.at = self.shown_at = self.body = 0
        self.files = [open(self.path(part), "wb") for part in ("rows", "text", "shown")]
        self.rows, self.text, self.shown = self.files
        self.rows.write(b"[")

    def path(self, part: str) -> Path:
        return self.folder / f"store-{self.segid}.{part}"

    def add(self, e: Entry | None) -> None:
        """The next document's entry (None: a document without one)."""
        d = self.added
        if d:
            self.rows.write(b",")
        if e is None:
            self.rows.write(b"null")
            keys, record = ("", "", "", ""), zlib.compress(b"null")
        else:
            self.rows.write(json.dumps(list(e.row), ensure_ascii=False, separators=(",", ":")).encode())
            keys, record = e.keys, e.shown
            self.s_ends.extend(e.sentences)
            self.p_ends.extend(e.paragraphs)
            import numpy as np

            title = codes_of(keys[0])  # the title counts three times (see `query.rank`)
            self.postings.add(d, np.concatenate([grams_of(keys), title, title]))
            self.title_postings.add(d, title)
            if e.words:
                freq, get = self.freq, self.freq.get
                for w, n in e.words.items():
                    freq[w] = get(w, 0) + n
                self.docs.update(e.words.keys())  # counted in C
        self.s_at.append(len(self.s_ends))
        self.p_at.append(len(self.p_ends))
        chunk = FIELD_SEPARATOR.join(keys).encode("utf-16-le", "surrogatepass")
        self.text.write(chunk)
        self.at += len(chunk) // 2
        self.offsets.append(self.at)
        self.body += len(keys[1])
        self.lengths.append(len(keys[1]))
        self.shown.write(record)
        self.shown_at += len(record)
        self.shown_ends.append(self.shown_at)
        self.added += 1

    def count_words(self, counts, sign: int = 1) -> None:
        """Add (or, with sign -1, take away) (word, occurrences, documents) to the word table."""
        freq, docs = self.freq, self.docs
        for w, n, m in counts:
            freq[w] = freq.get(w, 0) + sign * n
            docs[w] = docs.get(w, 0) + sign * m

    def finish(self) -> dict:
        """Write the rest; the segment's entry in `store.json`."""
        if self.added != self.count:
            raise ValueError(f"store segment {self.segid}: {self.added} entries for {self.count} documents")
        self.rows.write(b"]")
        self.shown.write(_le(self.shown_ends))  # after the records: where each ends
        self.close()
        self.path("offsets").write_bytes(_le(self.offsets))
        self.path("lengths").write_bytes(_le(self.lengths))
        self.path("breaks").write_bytes(b"".join(_le(array("I", [len(a)]) + a)
                                                 for a in (self.s_ends, self.s_at, self.p_ends, self.p_at)))
        for part, table in (("grams", self.postings), ("tgrams", self.title_postings)):
            with open(self.path(part), "wb") as f:
                table.write(f)
        self.path("words").write_bytes(lexicon.build(self.freq, self.docs))
        return {"id": self.segid, "count": self.count, "deleted": [], "body": self.body}

    def close(self) -> None:
        for f in self.files:
            f.close()


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
        return memoryview(map_file(f))


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
        if len(offsets) != self.count + 1 or offsets[-1] * 2 != len(text):
            raise ValueError("text and offsets")
        return text, offsets

    _CACHED = 20_000  # decoded documents a segment keeps (a long-running process reuses them)

    @cached_property
    def _decoded(self) -> dict[int, str]:
        return {}

    def whole(self, local: int) -> str:
        """A document's four field keys joined by FIELD_SEPARATOR, decoded once and kept: a
        key is in one of the fields exactly when it is in this string."""
        whole = self._decoded.get(local)
        if whole is None:
            text, offsets = self._text
            try:
                whole = text[2 * offsets[local]:2 * offsets[local + 1]].tobytes().decode("utf-16-le", "surrogatepass")
                if whole.count(FIELD_SEPARATOR) != 3:
                    raise ValueError("a document without its four fields")
            except (UnicodeDecodeError, ValueError) as exc:  # offsets out of order: a damaged file
                from . import damaged

                raise damaged(self.folder, exc) from None
            if len(self._decoded) >= self._CACHED:
                self._decoded.clear()
            self._decoded[local] = whole
        return whole

    def keys(self, local: int) -> tuple[str, str, str, str]:
        """A document's four field keys (title, body, org, authors)."""
        return tuple(self.whole(local).split(FIELD_SEPARATOR))

    def key(self, local: int, field: int) -> str:
        return self.whole(local).split(FIELD_SEPARATOR, field + 1)[field]

    def title(self, local: int) -> str:
        """A document's title key, decoded alone when the document is not decoded already (a
        title is a small part of a document)."""
        whole = self._decoded.get(local)
        if whole is not None:
            return whole[:whole.find(FIELD_SEPARATOR)]
        text, offsets = self._text
        start, end = 2 * offsets[local], 2 * offsets[local + 1]
        at = text.obj.find(_SEPARATOR_BYTES, start, end)  # the mapped file's own find: nothing copied
        while at >= 0 and (at - start) % 2:  # not a code unit's start
            at = text.obj.find(_SEPARATOR_BYTES, at + 1, end)
        try:
            if at < 0:
                raise ValueError("a document without its four fields")
            return text[start:at].tobytes().decode("utf-16-le", "surrogatepass")
        except (UnicodeDecodeError, ValueError) as exc:
            from . import damaged

            raise damaged(self.folder, exc) from None

    def holding(self, key: str, local, field: int | None = None) -> set[int]:
        """Of the local docnums `local`, those where `key` is in any field (or in `field`)."""
        decoded, whole = self._decoded, self.whole
        if field is None:
            return {d for d in local if key in (decoded.get(d) or whole(d))}
        if field == 0:
            return {d for d in local if key in self.title(d)}
        return {d for d in local if key in (decoded.get(d) or whole(d)) and key in self.key(d, field)}

    def body_length(self, local: int) -> int:
        return len(self.key(local, 1))

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

    @property
    def all_breaks(self):
        """Every document's breaks at once, for a loop over many: (sentence ends, where each
        document's start, paragraph ends, where each document's start); document d's sentence
        ends are s_ends[s_at[d]:s_at[d + 1]], offsets in its body key."""
        return self._breaks

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
    def lengths(self):
        """Each document's body key length, as a numpy array."""
        import numpy as np

        lengths = np.fromfile(self._path("lengths"), dtype="<u4")
        if len(lengths) != self.count:
            raise ValueError("lengths")
        return lengths

    @_checked
    def words(self) -> lexicon.Lexicon:
        return lexicon.Lexicon(self._path("words"))

    @_checked
    def _shown(self):
        data = _mapped(self._path("shown"))
        cut = len(data) - 8 * self.count
        ends = _view(data[cut:], "Q") if cut >= 0 else ()
        if len(ends) != self.count or (self.count and ends[-1] != cut):
            raise ValueError("shown records")
        return data[:cut], ends

    def shown_text(self, local: int) -> str:
        """The record as JSON."""
        data, ends = self._shown
        try:
            return zlib.decompress(data[ends[local - 1] if local else 0:ends[local]]).decode("utf-8", "surrogatepass")
        except (UnicodeDecodeError, zlib.error) as exc:
            from . import damaged

            raise damaged(self.folder, exc) from None

    def shown(self, local: int) -> dict | None:
        """The record as the parser read it (None for none)."""
        try:
            record = json.loads(self.shown_text(local))
            if record is not None and not isinstance(record, dict):
                raise ValueError("a shown record is not an object")
            return record
        except ValueError as exc:
            from . import damaged

            raise damaged(self.folder, exc) from None

    def entry(self, local: int) -> Entry | None:
        """A document's entry as written (without its words: the word table holds their sum)."""
        row = self.rows[local]
        if row is None:
            return None
        sentences, paragraphs = self.breaks(local)
        data, ends = self._shown
        return Entry(row, self.keys(local), list(sentences), list(paragraphs),
                     data[ends[local - 1] if local else 0:ends[local]].tobytes())
