"""Stage 3b, store: every document's search keys, for grep-exact matching and proximity.

The Whoosh index ranks words; this store decides what matches a string. For each document
(in Whoosh docnum order) it keeps the `normalize.search_key` of its fields (`title`: the
heading and, after a separator no key contains, the table-of-contents title; `body`; `org`,
the byline's unit; `authors`), the offsets in the body key where sentences and paragraphs
end, the few row values that filtering and sorting by date need, and character postings
that say which documents can hold a string (`grams`).

It is cut into segments as the Whoosh index is, one store segment per Whoosh segment with
the same documents in the same order (`segment`): an update writes store segments only for
the Whoosh segments it wrote (new documents, or small segments merged), and links the rest.
`store.json` lists the segments with their sizes and deleted documents.

On disk the store is data, never code: JSON and arrays of numbers, nothing unpickled, so a
store from elsewhere cannot run anything when it is opened. A search opens `store.json` and
maps the parts it touches; nothing is read whole.
"""

from __future__ import annotations

import bisect
import json
import re
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import IndexVersionError
from ..i18n import _
from .records import FIELDS, SEPARATOR, Entry, StoreRow, breaks, store_entry
from .segment import PARTS, Segment, write

STORE_FORMAT = 3
STORE_FILES = ("store.json",)  # written afresh by every update; segment files are linked
_SEGID = re.compile(r"[0-9a-z]{1,64}")


class _Column(Sequence):
    """One value per docnum, read from the document's segment on demand."""

    def __init__(self, store: "TextStore", get):
        self._store, self._get = store, get

    def __len__(self) -> int:
        return self._store.count

    def __getitem__(self, docnum: int):
        if not 0 <= docnum < self._store.count:
            raise IndexError(docnum)
        seg, local = self._store.locate(docnum)
        return self._get(seg, local, docnum)


class TextStore:
    """Search keys of every document, in Whoosh docnum order, for grep-exact matching."""

    def __init__(self, folder: Path, specs: list[dict]):
        self.folder = folder
        self.segments = [Segment(folder, s["id"], s["count"]) for s in specs]
        self.bases, base = [], 0
        for s in specs:
            self.bases.append(base)
            base += s["count"]
        self.count = base
        self.deleted = {b + d for b, s in zip(self.bases, specs) for d in s["deleted"]}
        self._body_total = sum(s["body"] for s in specs)
        self._specs = specs
        self.rows = _Column(self, lambda seg, i, d: None if d in self.deleted else seg.rows[i])
        self.docs = {f: _Column(self, lambda seg, i, d, f=n: seg.key(i, f)) for n, f in enumerate(FIELDS)}
        self.day = _Column(self, lambda seg, i, d: int(seg.rows[i].date.replace("-", "")) if seg.rows[i] else 0)

    def locate(self, docnum: int) -> tuple[Segment, int]:
        i = bisect.bisect_right(self.bases, docnum) - 1
        return self.segments[i], docnum - self.bases[i]

    @property
    def live(self) -> list[int]:
        """Every document not deleted, ascending."""
        if not hasattr(self, "_live"):
            self._live = [d for d in range(self.count) if d not in self.deleted] if self.deleted \
                else list(range(self.count))
        return self._live

    @property
    def live_set(self) -> frozenset[int]:
        """`live` as a set, made once: the universe of every query without filters."""
        if not hasattr(self, "_live_set"):
            self._live_set = frozenset(self.live)
        return self._live_set

    @property
    def live_count(self) -> int:
        return self.count - len(self.deleted)

    def average_length(self) -> float:
        """The mean length of the body keys (for BM25's length normalisation)."""
        if not hasattr(self, "_average"):
            total = self._body_total - sum(seg.body_length(local) for seg, local in map(self.locate, self.deleted))
            self._average = total / max(self.live_count, 1)
        return self._average or 1.0

    def keys(self, docnum: int) -> tuple[str, str, str, str]:
        """A document's four field keys (title, body, org, authors)."""
        seg, local = self.locate(docnum)
        return seg.keys(local)

    def shown(self, docnum: int) -> dict | None:
        """A document's record as the parser read it (`Record.to_dict`); None if deleted."""
        if docnum in self.deleted:
            return None
        seg, local = self.locate(docnum)
        return seg.shown(local)

    # ------------------------------------------------------------------ matching

    def _find(self, key: str, field: int | None, within: Iterable[int] | None) -> set[int]:
        """Docnums (of `within`, if given) where `field` (None: any field) contains `key`."""
        exact = len(key) <= 2 and field in (None, 0)  # the postings are the answer
        if within is not None:
            within = within if isinstance(within, (set, frozenset)) else set(within)
            if len(within) <= 64:  # a handful: check them, no postings needed
                out = set()
                for d in within:
                    if d not in self.deleted:
                        seg, local = self.locate(d)
                        if seg.holding(key, (local,), field):
                            out.add(d)
                return out
        out: set[int] = set()
        for seg, base in zip(self.segments, self.bases):
            if not seg.count:
                continue
            local = (seg.title_grams if field == 0 else seg.grams).candidates(key)
            if local is None:
                local = range(seg.count)
            if within is not None:
                local = {d for d in local if base + d in within} if len(local) < len(within) \
                    else {d - base for d in within if base <= d < base + seg.count and d - base in local}
            if not exact:
                local = seg.holding(key, local, field)
            found = set(local) if not base else {base + d for d in local}
            if self.deleted:
                found -= self.deleted
            out |= found
        return out

    def holds_character(self, char: str) -> bool:
        """Whether any document (deleted ones included) holds the character."""
        return any(seg.count and seg.grams.span(char)[1] for seg in self.segments)

    def docs_containing(self, key: str, field: str, within: Iterable[int] | None = None) -> set[int]:
        """Docnums whose `field` contains `key`; only those `within`, if given."""
        return self._find(key, FIELDS.index(field), within)

    def docs_with_text(self, key: str, within: Iterable[int] | None = None) -> set[int]:
        """Docnums where any field (title, body, byline) contains `key`."""
        return self._find(key, None, within)

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

    # ------------------------------------------------------------------ words

    def word_counts(self, word: str) -> tuple[int, int]:
        """(occurrences, documents) of one of jieba's words over the segments; (0, 0) if none."""
        cache = self.__dict__.setdefault("_word_counts", {})
        counts = cache.get(word)
        if counts is None:
            freq = docs = 0
            for seg in self.segments:
                if seg.count:
                    f, d = seg.words.counts(word)
                    freq, docs = freq + f, docs + d
            counts = cache[word] = (freq, docs)
        return counts

    def word_total(self) -> int:
        """How many words jieba made of the whole archive."""
        if not hasattr(self, "_word_total"):
            self._word_total = sum(seg.words.total() for seg in self.segments if seg.count)
        return self._word_total

    def words_with_prefix(self, prefix: str) -> dict[str, int]:
        """jieba's words that start with `prefix`, with their document counts."""
        out: dict[str, int] = {}
        for seg in self.segments:
            if seg.count:
                for word, docs in seg.words.prefixed(prefix):
                    out[word] = out.get(word, 0) + docs
        return out

    # ------------------------------------------------------------------ on disk

    @classmethod
    def load(cls, folder: Path) -> "TextStore":
        try:
            meta = json.loads((folder / "store.json").read_bytes())
            if not isinstance(meta, dict) or meta.get("format") != STORE_FORMAT:
                raise ValueError(f"store format {meta.get('format') if isinstance(meta, dict) else '?'!r}")
            specs = meta["segments"]
            for s in specs:
                if not (isinstance(s["id"], str) and _SEGID.fullmatch(s["id"]) and isinstance(s["count"], int)
                        and s["count"] >= 0 and isinstance(s["body"], int)
                        and all(isinstance(d, int) and 0 <= d < s["count"] for d in s["deleted"])):
                    raise ValueError("segment list")
                for part in PARTS:
                    if not (folder / f"store-{s['id']}.{part}").is_file():
                        raise ValueError(f"store-{s['id']}.{part} is missing")
        except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
            raise damaged(folder, exc) from None
        return cls(folder, specs)


def damaged(folder: Path, exc: BaseException) -> IndexVersionError:
    return IndexVersionError(_("the index's text store in {folder} is damaged ({error}); "
                               "rebuild it: `searchkit index --rebuild`").format(folder=folder, error=type(exc).__name__))


def write_store(folder: Path, ix, old: TextStore | None, new_records: dict, write_file) -> None:
    """Write the store of a committed Whoosh index into its generation folder `folder`.

    Whoosh segments the old store already has (linked into `folder` with the rest of the old
    generation) are kept as they are, with their deletions brought up to date; a segment
    Whoosh wrote in this update gets its store segment from the new records (id -> Record)
    and, for documents a merge moved, from the old store's segments that the merge
    replaced. Entries are made one document at a time and written to every part at once
    (`segment.write`), so memory follows the postings of the largest segment.
    `write_file(path, data)` writes store.json atomically."""
    segments = ix._segments()
    old_specs = {s["id"]: s for s in old._specs} if old is not None else {}
    kept = {seg.segid for seg in segments if seg.segid in old_specs}
    moved: dict[str, tuple[Segment, int]] = {}  # id -> where its entry is, in a segment merged away
    if old is not None and any(seg.segid not in kept for seg in segments):
        for s, gone in zip(old._specs, old.segments):
            if s["id"] not in kept:  # merged away: its live documents may be in a new segment
                dead = set(s["deleted"])
                for local in range(gone.count):
                    if local not in dead and gone.rows[local] is not None:
                        moved[gone.rows[local].id] = (gone, local)
    specs = []
    readers = None
    for seg in segments:
        deleted = sorted(seg.deleted_docs())
        if seg.segid in kept:
            specs.append({"id": seg.segid, "count": seg.doc_count_all(), "deleted": deleted,
                          "body": old_specs[seg.segid]["body"]})
            continue
        if readers is None:
            readers = {r.segment().segid: r for r, _ in ix.reader().leaf_readers()}
        ids = readers[seg.segid].column_reader("id") if seg.doc_count_all() else []

        def entries(ids=ids):
            for local in range(seg.doc_count_all()):
                rid = ids[local]
                record, was = new_records.get(rid), moved.get(rid)
                yield store_entry(record) if record is not None else was[0].entry(was[1]) if was else None

        body = write(folder, seg.segid, entries(), seg.doc_count_all(), readers[seg.segid])
        specs.append({"id": seg.segid, "count": seg.doc_count_all(), "deleted": deleted, "body": body})
    write_file(folder / "store.json", json.dumps({"format": STORE_FORMAT, "segments": specs},
                                                 separators=(",", ":")).encode())
    live = {s["id"] for s in specs}
    for p in folder.glob("store-*.*"):
        if p.name.split(".", 1)[0][len("store-"):] not in live:
            p.unlink()


__all__ = ["FIELDS", "SEPARATOR", "STORE_FILES", "Entry", "StoreRow", "TextStore", "breaks", "store_entry",
           "write_store"]
