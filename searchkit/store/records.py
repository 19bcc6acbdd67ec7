"""What the store keeps of one record: its row, its fields' search keys, its sentence ends."""

from __future__ import annotations

import json
import re
import zlib
from typing import TYPE_CHECKING, NamedTuple

from ..normalize import search_key

if TYPE_CHECKING:
    from ..parser import Record

FIELDS = ("title", "body", "org", "authors")
SEPARATOR = "\x1f"  # between the title and the TOC title, and between authors; no key contains it
# A sentence ends at 。！？；!?; (and its closing quotes or brackets), a paragraph at a line break.
_SENTENCE_END = re.compile(r"[。！？；!?;…]+[”’」』)）]*")


class StoreRow(NamedTuple):
    """What filtering by facet, sorting by date and reporting need of one document."""

    id: str
    district: str
    section: str
    date: str


class Entry(NamedTuple):
    """One document as the store holds it."""

    row: StoreRow
    keys: tuple[str, str, str, str]  # in FIELDS order
    sentences: list[int]
    paragraphs: list[int]
    shown: bytes  # the record as JSON (`Record.to_dict`), compressed: what a hit shows, in the bulletin's own text
    words: dict[str, int] | None = None  # how often each of jieba's words occurs in it (`analysis.record_words`)


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


def store_entry(record: Record) -> Entry:
    """A record's store row, its field keys, the body's sentence and paragraph ends, the
    record itself as JSON, and its words (segmented here: a build's workers make entries)."""
    from ..analysis import record_words

    keys = (
        search_key(record.title) + SEPARATOR + search_key(record.toc_title),
        search_key(record.body),
        search_key(record.org),
        SEPARATOR.join(search_key(a) for a in record.authors),
    )
    sentences, paragraphs = breaks(record.body)
    shown = record.to_dict()
    return Entry(StoreRow(record.id, record.district, record.section, record.date), keys, sentences, paragraphs,
                 zlib.compress(json.dumps(shown, ensure_ascii=False, separators=(",", ":")).encode(
                     "utf-8", "surrogatepass")), record_words(shown))
