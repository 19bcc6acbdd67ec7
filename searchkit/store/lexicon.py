"""The words jieba made of a segment's records, with how often each occurs: the vocabulary
that query understanding segments with (`query.understand.Vocabulary`).

The build counts them as it segments each record (`analysis.record_words`): how often a
word occurs in the records' titles, bodies and bylines, and in how many records. A search
tries a few hundred candidate words, so the table is sorted: a word is found by bisection
and the words under a prefix by a range. A segment merged from others sums their tables,
less the words of the records left behind.

On disk (`store-<segment>.words`, little-endian): `SKW1` and the number of words, each
word's end in the text (4 bytes each), its frequency and its document count (4 bytes each),
then the words in code point order as UTF-16-LE.
"""

from __future__ import annotations

import bisect
import struct
from array import array
from pathlib import Path

from .grams import _le, _view, map_file

MAGIC = b"SKW1"
_HEADER = struct.Struct("<4sI")


def build(freq: dict[str, int], docs: dict[str, int]) -> bytes:
    """The table of a segment's words: occurrences and documents of each (words left with no
    document are dropped)."""
    words = sorted(w for w, n in docs.items() if n > 0)
    ends, units = array("I"), 0
    for w in words:
        units += len(w.encode("utf-16-le", "surrogatepass")) // 2
        ends.append(units)
    parts = [ends, array("I", (min(freq[w], 0xFFFFFFFF) for w in words)), array("I", (docs[w] for w in words))]
    return (_HEADER.pack(MAGIC, len(words)) + b"".join(_le(a) for a in parts)
            + "".join(words).encode("utf-16-le", "surrogatepass"))


class Lexicon:
    """A segment's word table, mapped from its file; a sorted sequence of its words."""

    def __init__(self, path: Path):
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            data = map_file(f)
        if size < _HEADER.size:
            raise ValueError("word table cut short")
        magic, n = _HEADER.unpack_from(data, 0)
        if magic != MAGIC:
            raise ValueError("not a word table")
        view = memoryview(data)
        at = _HEADER.size
        self.ends, self.freqs, self.docs = (_view(view[at + 4 * n * i:at + 4 * n * (i + 1)], "I") for i in range(3))
        self._text = view[at + 12 * n:]
        if len(self.ends) != n or (n and 2 * self.ends[n - 1] != len(self._text)):
            raise ValueError("word table and its words disagree in length")
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> str:
        start = self.ends[i - 1] if i else 0
        return self._text[2 * start:2 * self.ends[i]].tobytes().decode("utf-16-le", "surrogatepass")

    def find(self, word: str) -> int:
        """The word's place, or -1."""
        i = bisect.bisect_left(self, word)
        return i if i < self.n and self[i] == word else -1

    def counts(self, word: str) -> tuple[int, int]:
        """(frequency, document count) of a word; (0, 0) for one the segment lacks."""
        i = self.find(word)
        return (self.freqs[i], self.docs[i]) if i >= 0 else (0, 0)

    def prefixed(self, prefix: str):
        """The words that start with `prefix`, with their document counts."""
        i = bisect.bisect_left(self, prefix)
        while i < self.n:
            word = self[i]
            if not word.startswith(prefix):
                return
            yield word, self.docs[i]
            i += 1

    def total(self) -> int:
        return sum(self.freqs)

    def items(self):
        """Every (word, occurrences, documents), in word order."""
        for i in range(self.n):
            yield self[i], self.freqs[i], self.docs[i]
