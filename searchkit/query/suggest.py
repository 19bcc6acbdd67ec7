"""Query step 6, suggest: when no record holds the query (nor all of its words), concrete
next steps, each with the number of hits it would give.

* A correction from the index's own vocabulary for an input-method slip: a word of the
  query that no record holds, and a word of the archive of the same length and the same
  pinyin (代表连络站 -> 代表联络站). Pinyin only proposes; nothing is corrected silently.
* A filter to drop (`--district 余杭`), when the query finds records without it.
* A word to drop, when the rest of the query finds records.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .filters import Filters
from .match import GENERIC_SHARE
from .syntax import Term

MOST = 5


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "correction", "drop_filter" or "drop_word"
    query: str  # the query to run instead
    hits: int  # exact and words hits it gives
    option: str = ""  # drop_filter: the option to leave out
    word: str = ""  # drop_word: the word left out; correction: the word replaced
    replacement: str = ""  # correction: what replaces it

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v != ""}


def _count(snapshot, query: str, filters: Filters, within) -> int:
    """Exact and words hits of a query made from the user's words; 0 for one that does not
    parse (a word that folds to syntax, such as （ to ( ): it is not suggested."""
    from ..errors import QuerySyntaxError
    from .pipeline import search

    try:
        result = search(snapshot, query, filters, limit=1, with_snippets=False, within=within,
                        tiers=("exact", "words"), suggest=False)
    except QuerySyntaxError:
        return 0
    return result.total


PINYIN_TABLE = Path(__file__).resolve().parent.parent / "data" / "pinyin.txt"


@lru_cache(maxsize=1)
def _readings() -> dict[str, str]:
    """Character -> its toneless pinyin (pypinyin's, shipped: see scripts/make_pinyin.py)."""
    out = {}
    with open(PINYIN_TABLE, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or " " not in line:
                continue
            syllable, chars = line.rstrip("\n").split(" ", 1)
            out.update(dict.fromkeys(chars, syllable))
    return out


def _pinyin(word: str) -> tuple[str, ...] | None:
    readings = _readings()
    out = tuple(readings.get(c, "") for c in word)
    return None if "" in out else out


@lru_cache(maxsize=1)
def _homophones() -> dict[str, str]:
    """Toneless syllable -> the characters read so."""
    out: dict[str, str] = {}
    for char, syllable in _readings().items():
        out[syllable] = out.get(syllable, "") + char
    return out


def corrections(store, word: str, limit: int = 3) -> list[str]:
    """Words of the index of the same length and pinyin as `word` (a slip of the input method).

    Such a word starts with a homophone of the word's first character that some record
    holds (the store's character postings say which), so only the index's words under
    those few prefixes are read, not its whole vocabulary."""
    if len(word) < 2 or not all("\u3400" <= c <= "\u9fff" for c in word):
        return []
    target = _pinyin(word)
    if target is None:
        return []
    found: list[tuple[int, str]] = []
    for first in _homophones().get(target[0], ""):
        if not store.holds_character(first):
            continue
        for term, docs in store.words_with_prefix(first).items():
            # A slip changes some characters, not all: it shares one in place.
            if len(term) == len(word) and term != word and any(a == b for a, b in zip(term, word)) \
                    and _pinyin(term) == target:
                found.append((-docs, term))
    return [t for _, t in sorted(found)[:limit]]


def suggestions(snapshot, text: str, tree, filters: Filters, understanding, vocab, matcher, nothing: bool,
                within=None) -> list[Suggestion]:
    out: list[Suggestion] = []
    plain = [r for r in understanding.readings if not r.exact_only]
    # 1. Slips: a missing word (or a run of words next to it) replaced by a known word.
    for reading in plain:
        for word in reading.words:
            if matcher.word_docs(word):
                continue
            for fix in corrections(matcher.store, word.key):
                query = text.replace(reading.term.text, reading.term.key.replace(word.key, fix), 1)
                n = _count(snapshot, query, filters, within)
                if n:
                    out.append(Suggestion("correction", query, n, word=word.key, replacement=fix))
    if not nothing and not filters.any():
        return out[:MOST]
    # 2. A filter to drop.
    for option, rest in filters.each():
        n = _count(snapshot, text, rest, within)
        if n:
            out.append(Suggestion("drop_filter", text, n, option=option))
    # 3. A word to drop, when the query has several.
    words = [(reading, w) for reading in plain for w in reading.words]
    if len(words) > 1:
        drops = []
        generic = GENERIC_SHARE * max(matcher.store.live_count, 1)
        for reading, w in words:
            rest = [x.key for r, x in words if x is not w]
            if all(len(matcher.key_docs(k)) > generic for k in rest):
                continue  # never reduce the query to generic words
            query = " ".join(rest)
            n = _count(snapshot, query, filters, within)
            if n:
                drops.append(Suggestion("drop_word", query, n, word=w.key))
        out += sorted(drops, key=lambda s: -s.hits)[:2]
    return out[:MOST]


__all__ = ["Suggestion", "suggestions", "corrections", "Term"]
