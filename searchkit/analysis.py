"""Stage 2, analyze: Chinese text -> jieba words for Whoosh's BM25F scoring.

The analyzer is a chain of small Whoosh parts:

    JiebaTokenizer() | SearchKeyFilter() | PunctuationFilter()

* `JiebaTokenizer` segments with jieba (through `rjieba`, the jieba-rs port: the same
  dictionary and algorithm, about 25x faster, loaded in 0.1 s instead of 1 s) plus the
  domain dictionary shipped in
  `searchkit/data/dict.txt` and any user dictionaries, and honours Whoosh's tokenizer
  arguments: token *ordinals* as positions (`start_pos`), true character offsets
  (`start_char`), `keeporiginal`, `tokenize=False`. (jieba's own `ChineseAnalyzer` stores
  character offsets as positions and swallows these arguments.)
* `SearchKeyFilter` folds each token as matching does (`normalize.search_key`) and drops
  whitespace tokens.
* `PunctuationFilter` drops tokens that hold no letter, digit or Han character.

Words only rank hits. Which records match is decided on the exact text (see `query`),
so a segmentation choice can never hide a hit. The query side needs no jieba at all: it
reads query words off the index's own vocabulary (`query.scoring_words`).

The segmenter is imported, and its dictionary loaded, only when text is first segmented,
so that opening an index for search (which unpickles this analyzer) stays fast. It keeps
its dictionary in memory: nothing is cached in the shared temp folder.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from whoosh.analysis import Filter, Token, Tokenizer

from .dictionary import DOMAIN_DICT
from .dictionary import dictionary_words as _dictionary_words
from .normalize import search_key

_WORDLIKE = re.compile(r"[^\W_]")  # a letter, digit or Han character

SEGMENTER = "rjieba-0.2"  # part of the dictionaries digest: another segmenter means re-analysis
_segmenters: dict[tuple[str, ...], object] = {}
_active: tuple[str, ...] = ()


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


class JiebaTokenizer(Tokenizer):
    """Segments text into jieba words; positions are word ordinals, chars true offsets."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        for pos, (word, start, end) in enumerate(segmenter().tokenize(value, "default", True)):
            t.text = word
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = word
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar, t.endchar = start_char + start, start_char + end
            yield t


class SearchKeyFilter(Filter):
    """Fold tokens the way matching folds text; drop the ones that fold to nothing."""

    def __call__(self, tokens):
        for t in tokens:
            t.text = search_key(t.text)
            if t.text:
                yield t


class PunctuationFilter(Filter):
    """Drop tokens without a letter, digit or Han character (punctuation, symbols)."""

    def __call__(self, tokens):
        for t in tokens:
            if _WORDLIKE.search(t.text):
                yield t


def ChineseAnalyzer():
    """The analyzer for searchkit's word fields."""
    return JiebaTokenizer() | SearchKeyFilter() | PunctuationFilter()
