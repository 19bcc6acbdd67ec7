"""Stage 3b, store: every document's search keys, for grep-exact matching and proximity.

The Whoosh index ranks; this store decides what matches. For each document (in Whoosh
docnum order) it keeps the `normalize.search_key` of its fields, a character signature,
the offsets in the body key where sentences and paragraphs end, and the few row values
that filtering by facet and sorting by date need.

Fields: `title` (the heading and, after a unit separator that no key contains, the
table-of-contents title), `body`, `org` (the byline's unit) and `authors` (the byline's
names, separated the same way). A plain query term matches any of them.

On disk the store is data, never code: `store.json` (format and rows), one UTF-16 file
per field (documents separated by NUL, which no key contains; UTF-16 decodes at memory
speed), `store-signatures.bin` and `store-breaks.bin` (sentence and paragraph ends, as
little-endian 32-bit offsets). Nothing in it is unpickled, so a
store from elsewhere cannot run anything when it is opened.
"""

from __future__ import annotations

import json
import re
import sys
from array import array
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, NamedTuple

from .errors import IndexVersionError
from .normalize import search_key

if TYPE_CHECKING:
    from .parser import Record

STORE_FORMAT = 2
FIELDS = ("title", "body", "org", "authors")
SEPARATOR = "\x1f"  # between the title and the TOC title, and between authors
_SIGNATURE_BITS = 2048
_SIGNATURE_BYTES = _SIGNATURE_BITS // 8
# A sentence ends at 。！？；!?; (and its closing quotes or brackets), a paragraph at a line break.
_SENTENCE_END = re.compile(r"[。！？；!?;…]+[”’」』)）]*")


class StoreRow(NamedTuple):
    """What filtering by facet, sorting by date and reporting need of one document."""

    id: str
    district: str
    section: str
    date: str


def signature(key: str) -> int:
    """A 2,048-bit set of the characters in a search key (a Bloom filter of one hash).

    A document can contain a key only if its signature holds all of the key's bits, so
    signatures rule out most documents before any text is scanned. The hash is fixed
    (not Python's per-process `hash`): signatures are stored in the index.
    """
    sig = 0
    for c in set(key):
        sig |= 1 << (((ord(c) * 2654435761) >> 5) & (_SIGNATURE_BITS - 1))
    return sig


def breaks(body: str) -> tuple[list[int], list[int]]:
    """Where sentences and paragraphs end in the search key of `body` (key offsets)."""
    sentences, paragraphs = [], []
    offset = 0
    for para in body.split("\n"):
        key = search_key(para)
        if not key:
            continue
        ends = [offset + m.end() for m in _SENTENCE_END.finditer(key)]
        if not ends or ends[-1] != offset + len(key):
            ends.append(offset + len(key))
        sentences.extend(ends)
        offset += len(key)
        paragraphs.append(offset)
    return sentences, paragraphs


class Entry(NamedTuple):
    """One document as the store holds it."""

    row: StoreRow
    keys: tuple[str, str, str, str]  # in FIELDS order
    signature: int
    sentences: list[int]
    paragraphs: list[int]


def store_entry(record: Record) -> Entry:
    """A record's store row, its field keys, their signature and the body's sentence ends."""
    keys = (
        search_key(record.title) + SEPARATOR + search_key(record.toc_title),
        search_key(record.body),
        search_key(record.org),
        SEPARATOR.join(search_key(a) for a in record.authors),
    )
    sentences, paragraphs = breaks(record.body)
    return Entry(StoreRow(record.id, record.district, record.section, record.date), keys,
                 signature("".join(keys)), sentences, paragraphs)


class TextStore:
    """Search keys of every document, in Whoosh docnum order, for grep-exact matching.

    Kept as columns: one string per document and field, one character signature per
    document (a key's signature rules out most documents, and a Python `in` checks the
    rest at close to memory speed), the rows, and the sentence and paragraph ends as flat
    arrays of offsets (`ends[at[d]:at[d + 1]]`), so that opening a store costs little more
    than reading its files.
    """

    def __init__(self, rows: list[StoreRow | None], docs: dict[str, list[str]], signatures: list[int],
                 sentence_ends: array, sentence_at: array, paragraph_ends: array, paragraph_at: array):
        self.rows = rows
        self.docs = docs
        self.signatures = signatures
        self._breaks = (sentence_ends, sentence_at, paragraph_ends, paragraph_at)
        self.live = [i for i, r in enumerate(rows) if r is not None]
        self.day = [int(r.date.replace("-", "")) if r is not None else 0 for r in rows]  # for sorting by date

    @classmethod
    def from_entries(cls, entries: list[Entry | None]) -> "TextStore":
        columns = [array("I"), array("I", [0]), array("I"), array("I", [0])]
        for e in entries:
            for ends, at, values in ((columns[0], columns[1], e.sentences if e else []),
                                     (columns[2], columns[3], e.paragraphs if e else [])):
                ends.extend(values)
                at.append(len(ends))
        return cls([e.row if e is not None else None for e in entries],
                   {f: [e.keys[i] if e is not None else "" for e in entries] for i, f in enumerate(FIELDS)},
                   [e.signature if e is not None else 0 for e in entries], *columns)

    def average_length(self) -> float:
        """The mean length of the body keys (for BM25's length normalisation)."""
        if not hasattr(self, "_average"):
            bodies = self.docs["body"]
            self._average = (sum(len(bodies[d]) for d in self.live) / len(self.live)) if self.live else 1.0
        return self._average or 1.0

    def entry(self, docnum: int) -> Entry | None:
        """One document as `store_entry` made it."""
        if self.rows[docnum] is None:
            return None
        s_ends, s_at, p_ends, p_at = self._breaks
        return Entry(self.rows[docnum], tuple(self.docs[f][docnum] for f in FIELDS), self.signatures[docnum],
                     s_ends[s_at[docnum]:s_at[docnum + 1]], p_ends[p_at[docnum]:p_at[docnum + 1]])

    def docs_containing(self, key: str, field: str, within: Iterable[int] | None = None) -> set[int]:
        """Docnums whose `field` contains `key`; only those `within`, if given."""
        docs, sigs, need = self.docs[field], self.signatures, signature(key)
        candidates = range(len(docs)) if within is None else within
        return {d for d in candidates if sigs[d] & need == need and key in docs[d]}

    _CACHE_KEYS = 256  # keys whose documents a store remembers (a long-running process reuses them)
    _CACHE_DOCS = 2_000_000  # and at most this many docnums in all

    def holding(self, key: str) -> frozenset[int]:
        """All documents where any field contains `key`, remembered for the next queries:
        common words (代表, 人大) recur in query after query of a server or a session."""
        cache = self.__dict__.setdefault("_holding", {})
        docs = cache.pop(key, None)
        if docs is None:
            docs = frozenset(self.docs_with_text(key))
            while cache and (len(cache) >= self._CACHE_KEYS
                             or sum(map(len, cache.values())) + len(docs) > self._CACHE_DOCS):
                cache.pop(next(iter(cache)))  # the least recently used
        cache[key] = docs
        return docs

    def docs_with_text(self, key: str, within: Iterable[int] | None = None) -> set[int]:
        """Docnums where any field (title, body, byline) contains `key`."""
        sigs, need = self.signatures, signature(key)
        title, body, org, authors = (self.docs[f] for f in FIELDS)
        candidates = range(len(self.rows)) if within is None else within
        return {d for d in candidates if sigs[d] & need == need
                and (key in body[d] or key in title[d] or key in org[d] or key in authors[d])}

    # ------------------------------------------------------------------ on disk

    def dump(self, folder: Path) -> None:
        """Write the store into `folder` (a generation being built)."""
        from .index import _write_atomic

        meta = {"format": STORE_FORMAT, "count": len(self.rows),
                "rows": [None if r is None else list(r) for r in self.rows]}
        _write_atomic(folder / "store.json", json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode())
        for f in FIELDS:
            _write_atomic(folder / f"store-{f}.u16", "\x00".join(self.docs[f]).encode("utf-16-le", "surrogatepass"))
        _write_atomic(folder / "store-signatures.bin",
                      b"".join(s.to_bytes(_SIGNATURE_BYTES, "little") for s in self.signatures))
        _write_atomic(folder / "store-breaks.bin", b"".join(_le(a) for a in self._breaks))

    @classmethod
    def load(cls, folder: Path) -> "TextStore":
        try:
            meta = json.loads((folder / "store.json").read_bytes())
            if meta.get("format") != STORE_FORMAT:
                raise ValueError(f"store format {meta.get('format')!r}")
            n = meta["count"]
            docs = {f: (folder / f"store-{f}.u16").read_bytes().decode("utf-16-le", "surrogatepass").split("\x00")
                    for f in FIELDS}
            raw = (folder / "store-signatures.bin").read_bytes()
            rows = [None if r is None else StoreRow(*r) for r in meta["rows"]]
            if any(len(x) != n for x in (*docs.values(), rows)) or len(raw) != n * _SIGNATURE_BYTES:
                raise ValueError("the store's parts disagree in length")
            size = _SIGNATURE_BYTES
            signatures = [int.from_bytes(raw[i:i + size], "little") for i in range(0, len(raw), size)]
            breaks = array("I")
            breaks.frombytes((folder / "store-breaks.bin").read_bytes())
            if sys.byteorder != "little":
                breaks.byteswap()
            parts = _split_breaks(breaks, n)
        except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
            raise IndexVersionError(f"the index's text store in {folder} is damaged ({type(exc).__name__}); "
                                    f"rebuild it: `searchkit index --rebuild`") from None
        return cls(rows, docs, signatures, *parts)


def _le(a: array) -> bytes:
    """An array of offsets as little-endian bytes, its length first."""
    out = array("I", [len(a)]) + a
    if sys.byteorder != "little":
        out.byteswap()
    return out.tobytes()


def _split_breaks(flat: array, n: int) -> list[array]:
    """The four arrays `_le` wrote one after another, checked against the document count."""
    parts, i = [], 0
    for _ in range(4):
        if i >= len(flat):
            raise ValueError("the store's breaks are cut short")
        size = flat[i]
        parts.append(flat[i + 1:i + 1 + size])
        i += 1 + size
    s_ends, s_at, p_ends, p_at = parts
    if len(s_at) != n + 1 or len(p_at) != n + 1 or s_at[-1] != len(s_ends) or p_at[-1] != len(p_ends) \
            or i != len(flat):
        raise ValueError("the store's breaks disagree with its documents")
    return parts


STORE_FILES = ("store.json", *(f"store-{f}.u16" for f in FIELDS), "store-signatures.bin", "store-breaks.bin")

