"""Stage 3b, store: every document's search keys, for grep-exact matching and proximity.

The Whoosh index ranks; this store decides what matches. For each document (in Whoosh
docnum order) it keeps the `normalize.search_key` of its fields, a character signature,
the offsets in the body key where sentences and paragraphs end, and the few row values
that filtering by facet and sorting by date need.

Fields: `title` (the heading and, after a unit separator that no key contains, the
table-of-contents title), `body`, `org` (the byline's unit) and `authors` (the byline's
names, separated the same way). A plain query term matches any of them.

On disk the store is data, never code: `store.json` (format, rows, sentence and paragraph
ends) and one UTF-16 file per field (documents separated by NUL, which no key contains;
UTF-16 decodes at memory speed) plus `signatures.bin`. Nothing in it is unpickled, so a
store from elsewhere cannot run anything when it is opened.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, NamedTuple

from .errors import IndexVersionError
from .normalize import search_key

if TYPE_CHECKING:
    from .parser import Record

STORE_FORMAT = 1
FIELDS = ("title", "body", "org", "authors")
SEPARATOR = "\x1f"  # between the title and the TOC title, and between authors
FIELD_SEPARATOR = "\x1e"  # between the fields of a document in `TextStore.text`
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

    One string per document and field, and one character signature per document: a key's
    signature rules out most documents, and a Python `in` checks the rest at close to
    memory speed.
    """

    def __init__(self, entries: list[Entry | None]):
        self.entries = entries
        self.rows = [e.row if e is not None else None for e in entries]
        self.docs = {f: [e.keys[i] if e is not None else "" for e in entries] for i, f in enumerate(FIELDS)}
        # All fields of a document in one string, for "anywhere" tests: one `in` instead of
        # four. A field separator no key contains, so no match spans two fields.
        self.text = [FIELD_SEPARATOR.join(e.keys) if e is not None else "" for e in entries]
        self.signatures = [e.signature if e is not None else 0 for e in entries]
        self.live = [i for i, r in enumerate(self.rows) if r is not None]
        self.day = [int(r.date.replace("-", "")) if r is not None else 0 for r in self.rows]  # for sorting by date

    def average_length(self) -> float:
        """The mean length of the body keys (for BM25's length normalisation)."""
        if not hasattr(self, "_average"):
            bodies = self.docs["body"]
            self._average = (sum(len(bodies[d]) for d in self.live) / len(self.live)) if self.live else 1.0
        return self._average or 1.0

    def entry(self, docnum: int) -> Entry | None:
        return self.entries[docnum]

    def docs_containing(self, key: str, field: str, within: Iterable[int] | None = None) -> set[int]:
        """Docnums whose `field` contains `key`; only those `within`, if given."""
        docs, sigs, need = self.docs[field], self.signatures, signature(key)
        candidates = range(len(docs)) if within is None else within
        return {d for d in candidates if sigs[d] & need == need and key in docs[d]}

    def docs_with_text(self, key: str, within: Iterable[int] | None = None) -> set[int]:
        """Docnums where any field (title, body, byline) contains `key`."""
        sigs, need, text = self.signatures, signature(key), self.text
        candidates = range(len(self.rows)) if within is None else within
        return {d for d in candidates if sigs[d] & need == need and key in text[d]}

    # ------------------------------------------------------------------ on disk

    def dump(self, folder: Path) -> None:
        """Write the store into `folder` (a generation being built)."""
        from .index import _write_atomic

        meta = {
            "format": STORE_FORMAT,
            "count": len(self.entries),
            "rows": [None if e is None else list(e.row) for e in self.entries],
            "sentences": [[] if e is None else e.sentences for e in self.entries],
            "paragraphs": [[] if e is None else e.paragraphs for e in self.entries],
        }
        _write_atomic(folder / "store.json", json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode())
        for f in FIELDS:
            _write_atomic(folder / f"store-{f}.u16", "\x00".join(self.docs[f]).encode("utf-16-le", "surrogatepass"))
        _write_atomic(folder / "store-signatures.bin",
                      b"".join(s.to_bytes(_SIGNATURE_BYTES, "little") for s in self.signatures))

    @classmethod
    def load(cls, folder: Path) -> "TextStore":
        try:
            meta = json.loads((folder / "store.json").read_bytes())
            if meta.get("format") != STORE_FORMAT:
                raise ValueError(f"store format {meta.get('format')!r}")
            n = meta["count"]
            docs = [(folder / f"store-{f}.u16").read_bytes().decode("utf-16-le", "surrogatepass").split("\x00")
                    for f in FIELDS]
            raw = (folder / "store-signatures.bin").read_bytes()
            rows, sentences, paragraphs = meta["rows"], meta["sentences"], meta["paragraphs"]
            if any(len(x) != n for x in (*docs, rows, sentences, paragraphs)) or len(raw) != n * _SIGNATURE_BYTES:
                raise ValueError("the store's parts disagree in length")
            entries = []
            for d in range(n):
                if rows[d] is None:
                    entries.append(None)
                    continue
                sig = int.from_bytes(raw[d * _SIGNATURE_BYTES:(d + 1) * _SIGNATURE_BYTES], "little")
                entries.append(Entry(StoreRow(*map(str, rows[d])), tuple(f[d] for f in docs), sig,
                                     sentences[d], paragraphs[d]))
        except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
            raise IndexVersionError(f"the index's text store in {folder} is damaged ({type(exc).__name__}); "
                                    f"rebuild it: `searchkit index --rebuild`") from None
        return cls(entries)


STORE_FILES = ("store.json", *(f"store-{f}.u16" for f in FIELDS), "store-signatures.bin")


def remove_store(folder: Path) -> None:
    for name in STORE_FILES:
        try:
            os.unlink(folder / name)
        except FileNotFoundError:
            pass
