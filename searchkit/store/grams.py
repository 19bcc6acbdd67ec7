"""Character postings: for each character and each pair of adjacent characters of the search
keys, the documents of a segment that hold it, and how often each holds it.

A key of one or two characters is found by one look-up; a longer one by intersecting the
postings of its pairs, rarest first, and checking the few documents left with `in`. So a
search reads the postings of its pairs, never the whole archive's text, and what it finds is
still exactly what grep finds (the check decides; the postings only rule documents out).

Each posting also carries the gram's weighted count in the document: its occurrences in the
four fields plus twice those in the title (capped at 255), which is a word's BM25F term
frequency for a word of one character or of two different ones, and a bound on it for a
longer word (see `query.rank`).

On disk (`store-<segment>.grams`, little-endian): a 16-byte header (`SKG3`, the number of
grams, the width of a docnum: 2 or 4 bytes), the grams' codes in ascending order (8 bytes
each: the first character's code point shifted left 21 bits, plus the second's, 0 for a
single character), where each gram's block ends (4 bytes each, cumulative; the top bit
marks a narrow block), then the blocks. A block holds a gram's postings (ascending local
docnums), then their counts (a byte each). Postings are docnums of the given width, or, in
a narrow block, the first docnum and then the gaps to the next, a byte each: the common
grams, whose gaps are small, take half the room. The table is opened with `mmap` and
searched by bisection, so opening it reads nothing and a look-up touches a few pages.

A build counts a document's grams with numpy (`codes_of`, `Postings.add`) and sorts them a
chunk of documents at a time, so no Python object is made per posting.
"""

from __future__ import annotations

import bisect
import io
import mmap
import operator
import struct
import sys
from array import array
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING

from .records import SEPARATOR

if TYPE_CHECKING:
    import numpy as np

MAGIC = b"SKG3"
NARROW = 1 << 31  # the flag of a narrow block in its end
_HEADER = struct.Struct("<4sIII")
CAP = 255  # counts are kept in a byte: 255 means "255 or more"
_SEP = ord(SEPARATOR)


def code(gram: str) -> int:
    return (ord(gram[0]) << 21) | (ord(gram[1]) if len(gram) > 1 else 0)


def codes_of(text: str) -> "np.ndarray":
    """The codes of every character and adjacent pair of `text`, one per occurrence; pairs
    never span SEPARATOR, which parts of a key (and the keys of a document) are joined with."""
    import numpy as np

    chars = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint64)
    kept = chars != _SEP
    shifted = chars << np.uint64(21)
    pairs = (shifted[:-1] | chars[1:])[kept[:-1] & kept[1:]]
    return np.concatenate([shifted[kept], pairs])


def grams_of(keys) -> "np.ndarray":
    """The gram codes of a document's field keys, one per occurrence (never across fields,
    nor across the separator inside the title and author keys)."""
    return codes_of(SEPARATOR.join(keys))


class Postings:
    """A segment's gram table being built, one document at a time (in docnum order).

    A document's grams are counted when it is added; every CHUNK documents, the chunk's
    (gram, document, count) rows are sorted by gram (a stable sort keeps each gram's
    documents in order). `write` merges the chunks a batch of grams at a time."""

    CHUNK = 1024  # documents sorted together
    BATCH = 1 << 19  # postings merged together when written

    def __init__(self, count: int):
        import numpy as np

        self.width = 2 if count <= 0xFFFF else 4
        self._dtype = np.dtype("<u2" if self.width == 2 else "<u4")
        self._pending: list = []  # (docnum, its grams, their counts)
        self._chunks: list = []  # (grams, where each one's rows start, documents, counts)

    def add(self, docnum: int, codes: np.ndarray) -> None:
        """A document's gram codes, one per occurrence (`grams_of`)."""
        import numpy as np

        grams, counts = np.unique(codes, return_counts=True)
        self._pending.append((docnum, grams, np.minimum(counts, CAP).astype(np.uint8)))
        if len(self._pending) >= self.CHUNK:
            self._flush()

    def _flush(self) -> None:
        import numpy as np

        pending, self._pending = self._pending, []
        if not pending:
            return
        grams = np.concatenate([g for _, g, _ in pending])
        counts = np.concatenate([c for _, _, c in pending])
        docs = np.repeat(np.array([d for d, _, _ in pending], dtype=self._dtype), [len(g) for _, g, _ in pending])
        order = np.argsort(grams, kind="stable")
        keys, sizes = np.unique(grams[order], return_counts=True)
        self._chunks.append((keys, np.concatenate([[0], np.cumsum(sizes)]), docs[order], counts[order]))

    def write(self, f) -> None:
        """Write the table into the seekable binary file `f` (the blocks first, then the
        ends before them: a block's size is known once it is made)."""
        import numpy as np

        self._flush()
        chunks, self._chunks = self._chunks, []
        vocab = np.unique(np.concatenate([c[0] for c in chunks])) if chunks else np.zeros(0, np.uint64)
        totals = np.zeros(len(vocab), np.int64)
        where = [np.searchsorted(vocab, keys) for keys, *_ in chunks]  # each chunk's grams in the vocabulary
        for at, (keys, starts, _, _) in zip(where, chunks):
            totals[at] += np.diff(starts)
        firsts = np.cumsum(totals) - totals  # where each gram's rows start among all rows
        head = f.tell()
        f.write(_HEADER.pack(MAGIC, len(vocab), self.width, 0))
        f.write(vocab.astype("<u8").tobytes())
        ends_at = f.tell()
        f.seek(ends_at + 4 * len(vocab))
        ends, written, g0 = [], 0, 0
        while g0 < len(vocab):  # a batch of grams at a time: their rows of every chunk, in chunk order
            g1 = max(int(np.searchsorted(firsts, firsts[g0] + self.BATCH, "right")), g0 + 1)
            docs, counts, grams = [], [], []
            for at, (keys, starts, chunk_docs, chunk_counts) in zip(where, chunks):
                lo, hi = np.searchsorted(at, [g0, g1])
                docs.append(chunk_docs[starts[lo]:starts[hi]])
                counts.append(chunk_counts[starts[lo]:starts[hi]])
                grams.append(np.repeat(at[lo:hi], np.diff(starts[lo:hi + 1])))
            order = np.argsort(np.concatenate(grams), kind="stable")
            docs, counts = np.concatenate(docs)[order].astype(np.int64), np.concatenate(counts)[order]
            bounds = (firsts[g0:g1] - firsts[g0]).tolist() + [len(docs)]
            gaps = np.diff(docs)
            blocks = []
            for i in range(g1 - g0):
                lo, hi = bounds[i], bounds[i + 1]
                narrow = hi - lo >= 2 and int(gaps[lo:hi - 1].max()) <= 0xFF
                if narrow:
                    blocks += [docs[lo:lo + 1].astype(self._dtype).tobytes(), gaps[lo:hi - 1].astype(np.uint8).tobytes()]
                else:
                    blocks.append(docs[lo:hi].astype(self._dtype).tobytes())
                blocks.append(counts[lo:hi].tobytes())
                written += (self.width + 2 * (hi - lo) - 1) if narrow else (self.width + 1) * (hi - lo)
                if written >= NARROW:
                    raise ValueError("a gram table of 2 GB or more")
                ends.append(written | (NARROW if narrow else 0))
            f.write(b"".join(blocks))
            g0 = g1
        f.seek(ends_at)
        f.write(np.array(ends, dtype="<u4").tobytes())
        f.seek(0, 2)
        assert f.tell() == head + _HEADER.size + 12 * len(vocab) + written


def build(docs_grams) -> bytes:
    """The gram table of a list of documents' gram codes (`grams_of`), as bytes."""
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
        if size != at + ((self.ends[n - 1] & ~NARROW) if n else 0):
            raise ValueError("gram table and its blocks disagree in length")
        self._blocks, self._blocks_at, self._width, self.count = view[at:], at, width, count
        self._typecode = "H" if width == 2 else "I"
        self._path = path

    def _block(self, gram: str) -> tuple[int, int, bool]:
        """Where the gram's block starts, how many postings it has, and whether it is narrow."""
        c = code(gram)
        i = bisect.bisect_left(self.codes, c)
        if i == len(self.codes) or self.codes[i] != c:
            return 0, 0, False
        start, end, width = (self.ends[i - 1] & ~NARROW) if i else 0, self.ends[i], self._width
        size = (end & ~NARROW) - start
        # Checked here, not when opened (that would read every end): a block out of its file's
        # bounds, or of a size no block has, is a damaged file.
        if end & NARROW:
            n = ((size - width) >> 1) + 1
            ok = size >= width + 3 and (size - width) % 2
        else:
            n = size // (width + 1)
            ok = size > 0 and not size % (width + 1)
        if not ok or start + size > len(self._blocks):
            from . import damaged

            raise damaged(self._path.parent, ValueError(f"gram block {i}"))
        return start, n, bool(end & NARROW)

    def size(self, gram: str) -> int:
        """How many documents hold the gram."""
        return self._block(gram)[1]

    def docs(self, gram: str):
        """The local docnums that hold the gram, ascending."""
        start, n, narrow = self._block(gram)
        width = self._width
        if not narrow:
            return _view(self._blocks[start:start + width * n], self._typecode)
        if "numpy" in sys.modules:  # loaded already: its running sum is four times as fast
            return self.arrays(gram)[0].tolist()
        first = int.from_bytes(self._blocks[start:start + width], "little")
        return list(accumulate(self._blocks[start + width:start + width + n - 1], initial=first))

    def arrays(self, gram: str) -> "tuple[np.ndarray, np.ndarray]":
        """The gram's postings and counts, as numpy arrays (the counts over the mapped file)."""
        import numpy as np

        start, n, narrow = self._block(gram)
        at, width, dtype = self._blocks_at + start, self._width, self.dtype
        if not narrow:
            docs = np.frombuffer(self._map, dtype=dtype, count=n, offset=at)
            return docs, np.frombuffer(self._map, dtype=np.uint8, count=n, offset=at + width * n)
        docs = np.empty(n, dtype)  # docnums of the same width as a wide block's (no conversions)
        docs[0] = np.frombuffer(self._map, dtype=dtype, count=1, offset=at)[0]
        np.cumsum(np.frombuffer(self._map, dtype=np.uint8, count=n - 1, offset=at + width), dtype=dtype, out=docs[1:])
        docs[1:] += docs[0]
        return docs, np.frombuffer(self._map, dtype=np.uint8, count=n, offset=at + width + n - 1)

    @property
    def dtype(self) -> str:
        """The numpy type of this table's docnums (`arrays`)."""
        return "<u2" if self._width == 2 else "<u4"

    def candidates(self, key: str, enough: int = 32) -> set[int] | None:
        """Local docnums that may hold `key` (all of them do, for a key of one or two
        characters); None for the empty key (every document holds it)."""
        if not key:
            return None
        grams = list(dict.fromkeys(map(operator.add, key, key[1:]))) if len(key) > 1 else [key]
        blocks = sorted(((self._block(g), g) for g in grams), key=lambda b: b[0][1])
        found = set(self.docs(blocks[0][1]))
        for (start, n, narrow), gram in blocks[1:4]:  # a few pairs rule out nearly everything; `in` checks the rest
            if len(found) <= enough:
                break
            if n > 16 * len(found) and not narrow:  # a long list: look the few candidates up in it
                post = self.docs(gram)
                found = {d for d in found if _holds(post, d, 0, n)}
            else:
                found &= set(self.docs(gram))
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
