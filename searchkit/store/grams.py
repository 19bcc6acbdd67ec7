"""Character postings: for each character and each pair of adjacent characters of the search
keys, the documents of a segment that hold it.

A key of one or two characters is found by one look-up; a longer one by intersecting the
postings of its pairs, rarest first, and checking the few documents left with `in`. So a
search reads the postings of its pairs, never the whole archive's text, and what it finds is
still exactly what grep finds (the check decides; the postings only rule documents out).

On disk (`store-<segment>.grams`, little-endian): a 16-byte header (`SKG1`, the number of
grams, the width of a posting: 2 or 4 bytes), the grams' codes in ascending order (8 bytes
each: the first character's code point shifted left 21 bits, plus the second's, 0 for a
single character), where each gram's postings end (4 bytes each, cumulative), then the
postings (ascending local docnums). It is opened with `mmap` and searched by bisection, so
opening it reads nothing and a look-up touches a few pages.
"""

from __future__ import annotations

import bisect
import io
import mmap
import operator
import struct
import sys
from array import array
from pathlib import Path

from .records import SEPARATOR

MAGIC = b"SKG1"
_HEADER = struct.Struct("<4sIII")


def code(gram: str) -> int:
    return (ord(gram[0]) << 21) | (ord(gram[1]) if len(gram) > 1 else 0)


def grams_of(keys) -> set[str]:
    """The characters and adjacent pairs of a document's field keys (never across fields,
    nor across the separator inside the title and author keys)."""
    out: set[str] = set()
    for key in keys:
        for part in key.split(SEPARATOR) if SEPARATOR in key else (key,):
            out.update(part)
            out.update(map(operator.add, part, part[1:]))
    return out


class Postings:
    """A segment's gram table being built, one document at a time (in docnum order)."""

    def __init__(self, count: int):
        self.width = 2 if count <= 0xFFFF else 4
        self._typecode = "H" if self.width == 2 else "I"
        self._postings: dict[str, array] = {}

    def add(self, docnum: int, grams) -> None:
        postings = self._postings
        for g in grams:
            p = postings.get(g)
            if p is None:
                p = postings[g] = array(self._typecode)
            p.append(docnum)

    def write(self, f) -> None:
        """Write the table into the binary file `f`; each posting list is dropped once written."""
        postings = self._postings
        order = sorted(postings, key=code)
        ends, total = array("I"), 0
        for g in order:
            total += len(postings[g])
            ends.append(total)
        f.write(_HEADER.pack(MAGIC, len(order), self.width, 0))
        f.write(_le(array("Q", map(code, order))))
        f.write(_le(ends))
        for g in order:
            f.write(_le(postings.pop(g)))


def build(docs_grams) -> bytes:
    """The gram table of a list of documents' grams, as bytes."""
    table = Postings(len(docs_grams))
    for d, grams in enumerate(docs_grams):
        table.add(d, grams)
    out = io.BytesIO()
    table.write(out)
    return out.getvalue()


def _le(a: array) -> bytes:
    if sys.byteorder != "little":
        a = array(a.typecode, a)
        a.byteswap()
    return a.tobytes()


class Grams:
    """A segment's gram table, mapped from its file."""

    def __init__(self, path: Path, count: int):
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            self._map = map_file(f)
        if size < _HEADER.size:
            raise ValueError("gram table cut short")
        magic, n, width, _ = _HEADER.unpack_from(self._map, 0)
        if magic != MAGIC or width not in (2, 4) or (width == 2 and count > 0x10000):
            raise ValueError("not a gram table")
        view = memoryview(self._map)
        at = _HEADER.size
        self.codes = _view(view[at:at + 8 * n], "Q")
        at += 8 * n
        self.ends = _view(view[at:at + 4 * n], "I")
        at += 4 * n
        total = self.ends[n - 1] if n else 0
        if size != at + width * total:
            raise ValueError("gram table and its postings disagree in length")
        self.postings = _view(view[at:], "H" if width == 2 else "I")
        self.count = count

    def span(self, gram: str) -> tuple[int, int]:
        """Where the gram's postings lie (an empty span for a gram no document holds)."""
        c = code(gram)
        i = bisect.bisect_left(self.codes, c)
        if i == len(self.codes) or self.codes[i] != c:
            return 0, 0
        return (self.ends[i - 1] if i else 0), self.ends[i]

    def docs(self, gram: str):
        start, end = self.span(gram)
        return self.postings[start:end]

    def candidates(self, key: str, enough: int = 32) -> set[int] | None:
        """Local docnums that may hold `key` (all of them do, for a key of one or two
        characters); None for the empty key (every document holds it)."""
        if not key:
            return None
        grams = list(dict.fromkeys(map(operator.add, key, key[1:]))) if len(key) > 1 else [key]
        spans = sorted((self.span(g) for g in grams), key=lambda s: s[1] - s[0])
        start, end = spans[0]
        found = set(self.postings[start:end])
        for start, end in spans[1:4]:  # a few pairs rule out nearly everything; `in` checks the rest
            if len(found) <= enough:
                break
            if (end - start) > 16 * len(found):  # a long list: look the few candidates up in it
                post = self.postings
                found = {d for d in found if _holds(post, d, start, end)}
            else:
                found &= set(self.postings[start:end])
        return found


def _holds(post, d: int, lo: int, hi: int) -> bool:
    i = bisect.bisect_left(post, d, lo, hi)
    return i < hi and post[i] == d


def map_file(f):
    """An open file mapped read-only (b"" when empty: mmap refuses those). Its pages are
    the page cache's, shared with every process that maps the file; a process's RSS counts
    those it has touched (and the kernel maps up to 64 KB around each)."""
    if not f.seek(0, 2):
        return b""
    return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def _view(mv: memoryview, typecode: str):
    """A little-endian array in the file as a sequence of ints (a copy on a big-endian machine)."""
    if sys.byteorder == "little":
        return mv.cast(typecode)
    a = array(typecode)
    a.frombytes(mv)
    a.byteswap()
    return a
