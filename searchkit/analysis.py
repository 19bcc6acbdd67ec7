"""Stage 2, analyze: Chinese text -> jieba's words, counted for query understanding and BM25F.

`words(text)` segments with jieba (through `rjieba`, the jieba-rs port: the same dictionary
and algorithm, about 25x faster, loaded in 0.1 s instead of 1 s) plus the domain dictionary
shipped in `searchkit/data/dict.txt` and any user dictionaries, folds each word as matching
folds text (`normalize.search_key`) and drops the ones that hold no letter, digit or Han
character (punctuation, spaces).

What the index keeps of the words is how often each occurs and in how many records
(`record_words`, summed per store segment into its word table, `store.lexicon`): query
understanding segments queries with that vocabulary and weighs words by it. Words only
rank hits: which records match is decided on the exact text (see `query`), so a
segmentation choice can never hide a hit.

Issues are segmented where they are parsed, in the build's worker processes. The segmenter
is imported, and its dictionary loaded, only when text is first segmented, so a search
(which reads the word tables, never jieba) does not pay for it. It keeps its dictionary in
memory: nothing is cached in the shared temp folder.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .dictionary import DOMAIN_DICT
from .dictionary import dictionary_words as _dictionary_words
from .normalize import search_key

_WORDLIKE = re.compile(r"[^\W_]")  # a letter, digit or Han character

SEGMENTER = "rjieba-0.2"  # part of the dictionaries digest: another segmenter means re-analysis
_segmenters: dict[tuple[str, ...], object] = {}
_active: tuple[str, ...] = ()
_folded: dict[str, str] = {}  # jieba's word -> its search key, "" for punctuation (words recur)
_FOLDED_MAX = 1_000_000


def use_dictionaries(paths=()) -> None:
    """Segment with the domain dictionary plus these user dictionaries from now on."""
    global _active
    _active = tuple(str(Path(p).resolve()) for p in paths)


def dictionaries_digest(paths=()) -> str:
    """A fingerprint of the dictionaries in use: an index built with others must be re-analysed."""
    h = hashlib.sha1(SEGMENTER.encode())
    for p in (DOMAIN_DICT, *paths):
        h.update(Path(p).read_bytes())
    return h.hexdigest()[:16]


def segmenter():
    """The segmenter for the active dictionaries, loaded once per process."""
    seg = _segmenters.get(_active)
    if seg is None:
        import rjieba

        seg = rjieba.Jieba()
        for path in (DOMAIN_DICT, *_active):
            for word, freq, tag in _dictionary_words(path):
                seg.add_word(word, freq, tag)
        _segmenters[_active] = seg
    return seg


def _fold(word: str) -> str:
    key = search_key(word)
    return key if _WORDLIKE.search(key) else ""


def words(text: str) -> list[str]:
    """jieba's words of `text`, in order, folded as matching folds text; punctuation and
    spaces dropped."""
    folded = _folded
    if len(folded) > _FOLDED_MAX:
        folded.clear()
    out = []
    for raw in segmenter().cut(text, True):
        w = folded.get(raw)
        if w is None:
            w = folded[raw] = _fold(raw)
        if w:
            out.append(w)
    return out


def record_texts(title: str, toc_title: str, body: str, org: str, authors) -> tuple[str, str, str]:
    """The texts of a record whose words count: its titles, its body, its byline."""
    return f"{title}\n{toc_title}", body, " ".join(filter(None, [org, *authors]))


def record_words(record: dict) -> dict[str, int]:
    """How often each of jieba's words occurs in a record's titles, body and byline; the
    record as the store shows it (`Record.to_dict`)."""
    counts: dict[str, int] = {}
    get = counts.get
    fields = [record.get(f, "") for f in ("title", "toc_title", "body", "org")]
    for text in record_texts(*fields, record.get("authors", ())):
        for w in words(text):
            counts[w] = get(w, 0) + 1
    return counts
