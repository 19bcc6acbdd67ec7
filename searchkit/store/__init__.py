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
from .segment import PARTS, Segment, Writer

STORE_FORMAT = 5  # 4: words counted by the build, records compressed in its workers; 5: gram counts, lengths
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

    def by_segment(self, docnums):
        """`docnums` cut by segment: (segment, its base, the local docnums in it), ascending."""
        ordered = sorted(docnums)
        at = 0
        for seg, base in zip(self.segments, self.bases):
            end = bisect.bisect_left(ordered, base + seg.count, at)
            if end > at:
                yield seg, base, [d - base for d in ordered[at:end]] if base else ordered[at:end]
            at = end

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
        return any(seg.count and seg.grams.size(char) for seg in self.segments)

    def docs_containing(self, key: str, field: str, within: Iterable[int] | None = None) -> set[int]:
        """Docnums whose `field` contains `key`; only those `within`, if given."""
        return self._find(key, FIELDS.index(field), within)

    def docs_with_text(self, key: str, within: Iterable[int] | None = None) -> set[int]:
        """Docnums where any field (title, body, byline) contains `key`."""
        return self._find(key, None, within)

    _CACHE_KEYS = 256  # keys whose documents a store remembers (a long-running process reuses them)
    _CACHE_DOCS = 2_000_000  # and at most this many docnums in all

    def holding(self, key, find=None) -> frozenset[int]:
        """All documents where any field contains `key`, remembered for the next queries:
        common words (代表, 人大) recur in query after query of a server or a session.
        `find()`, if given, finds them where `docs_with_text(key)` would be slower (among
        the documents that hold all of the key's words, say), or finds something else
        about every live document that `key` then names (("title", key): the title holds it)."""
        cache = self.__dict__.setdefault("_holding", {})
        docs = cache.pop(key, None)
        if docs is None:
            docs = frozenset(find() if find is not None else self.docs_with_text(key))
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


def carry_over(folder: Path, ix, old: TextStore | None) -> dict[str, dict]:
    """The store segments of a Whoosh index's segments that an update did not add documents
    to: `store.json` entries by segment id.

    Segments the old store already has (linked into `folder` with the rest of the old
    generation) are kept as they are, with their deletions brought up to date. A segment
    that Whoosh merged from old ones in this update gets its documents from those, and
    their word tables summed, less the words of the documents that did not move (deleted
    ones), segmented again."""
    from ..analysis import record_words

    specs: dict[str, dict] = {}
    old_specs = {s["id"]: s for s in old._specs} if old is not None else {}
    merged = []
    for seg in ix._segments():
        if seg.segid in old_specs:
            specs[seg.segid] = dict(old_specs[seg.segid], deleted=sorted(seg.deleted_docs()))
        else:
            merged.append(seg)
    if not merged:
        return specs
    if old is None or len(merged) > 1:  # a store that does not match its Whoosh index
        raise damaged(folder, ValueError(f"{len(merged)} segments without a store segment"))
    seg = merged[0]
    gone = [(g, set(s["deleted"])) for s, g in zip(old._specs, old.segments) if s["id"] not in specs]  # merged away
    docs = [(g, local) for g, __ in gone for local in range(g.count) if g.rows[local] is not None]
    where = {g.rows[local].id: (g, local) for g, dead in gone for local in range(g.count)
             if g.rows[local] is not None and local not in dead}  # ids are unique among live documents
    with ix.reader() as whole:
        reader = next(r for r, __ in whole.leaf_readers() if r.segment().segid == seg.segid)
        ids = list(reader.column_reader("id")) if seg.doc_count_all() else []
    out = Writer(folder, seg.segid, seg.doc_count_all())
    try:
        moved = set()
        for local in range(seg.doc_count_all()):
            was = where.get(ids[local])
            out.add(was[0].entry(was[1]) if was else None)
            moved.add(was)
        for g, __ in gone:
            out.count_words(g.words.items())
        for g, local in docs:
            if (g, local) not in moved:
                out.count_words(((w, n, 1) for w, n in record_words(g.shown(local)).items()), -1)
        spec = out.finish()
    finally:
        out.close()
    specs[seg.segid] = dict(spec, deleted=sorted(seg.deleted_docs()))
    return specs


def save(folder: Path, ix, specs: dict[str, dict], write_file) -> None:
    """Write `store.json` for the segments of the Whoosh index `ix` (their store segments'
    entries in `specs`, by id), in Whoosh's order, and remove the files of segments it no
    longer has. `write_file(path, data)` writes atomically."""
    ordered = [specs[seg.segid] for seg in ix._segments()]
    write_file(folder / "store.json", json.dumps({"format": STORE_FORMAT, "segments": ordered},
                                                 separators=(",", ":")).encode())
    live = {s["id"] for s in ordered}
    for p in folder.glob("store-*.*"):
        if p.name.split(".", 1)[0][len("store-"):] not in live:
            p.unlink()


__all__ = ["FIELDS", "SEPARATOR", "STORE_FILES", "Entry", "StoreRow", "TextStore", "Writer", "breaks",
           "carry_over", "save", "store_entry"]
