"""Query step 2, understand: each plain term of the query -> the words it means.

Chinese is typed without spaces, so a term such as 西湖区代表联络站 is segmented into
words (西湖区 + 代表 + 联络站) the way jieba segments: the most probable path through the
graph of dictionary words (a unigram model, `log P(w) = log freq(w) - log total`). The
dictionary is the index's own vocabulary, which jieba (with the domain dictionary and any
user dictionary) produced at index time, with its frequencies in this archive; plus the
domain dictionary, the synonym rules and the stop words. So a query costs a few term
look-ups and never loads jieba's 350,000-word dictionary. Runs of single characters that
are no words of their own (an unknown name, a slip such as 连络) stay together as one
unit, as jieba's HMM would keep them.

Then function and question words (的, 怎样, 如何, 吗, ...) are dropped, and each word gets
its alternatives from the synonym rules (`synonyms`). Quoted phrases and field terms are
not understood: they stay exact.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from ..normalize import search_key
from .synonyms import Alternative, Synonyms
from .syntax import Term

MAX_WORD = 12

#: Function words, question words, pronouns and degree adverbs: dropped from a query read
#: as words (a query of nothing else keeps them).
STOPWORDS = frozenset("""
的 地 得 之 了 着 过 吗 呢 吧 啊 呀 么 嘛 哦 哪 谁 几 何
和 与 及 以及 或 或者 跟 同 并 并且 而 而且 且 还是 但 但是
是 在 于 对 对于 把 被 让 使 给 为 为了 从 向 由 以 将 其 所 等
这 那 这些 那些 这个 那个 这样 那样 这里 那里 此
我 我们 你 你们 您 他 他们 她 她们 它 它们 大家 自己 有人
什么 怎样 怎么 怎么样 如何 为什么 为何 是否 是不是 有没有 能否 可否 哪些 哪个 哪里 哪儿 多少 啥
请问 请 关于 有关 一下 一些 有些 有的 一个 一种
更 更好 更加 很 最 非常 较 比较 都 也 还 就 又 再 已 已经 曾 正在
能 能够 可以 可 要 会 该 应 应该 需要 想 做 搞 有 没有 无 哪些方面
""".split())

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_WORDLIKE = re.compile(r"[^\W_]")


@lru_cache(maxsize=1)
def _domain_words() -> dict[str, int]:
    from ..dictionary import DOMAIN_DICT, dictionary_words

    return {search_key(w): freq or 1 for w, freq, _ in dictionary_words(DOMAIN_DICT)}


@dataclass
class Word:
    key: str  # search key
    alternatives: list[Alternative] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        """The word and each alternative, as search keys."""
        return [self.key, *(a.key for a in self.alternatives)]


@dataclass
class Reading:
    """How one term was understood."""

    term: Term
    words: list[Word]  # what the words tier needs, each by any of its keys
    dropped: list[str] = field(default_factory=list)  # stop words left out

    @property
    def exact_only(self) -> bool:
        """Quoted or fielded: matched as typed in every tier."""
        return self.term.quoted or self.term.field != ""


@dataclass
class Understanding:
    readings: list[Reading]
    exact: bool = False  # --exact: nothing but the terms as typed

    def find(self, term: Term) -> Reading | None:
        return next((r for r in self.readings if r.term == term), None)

    def reading(self, term: Term) -> Reading:
        found = self.find(term)
        if found is None:
            raise KeyError(term)
        return found

    @property
    def words(self) -> list[Word]:
        return [w for r in self.readings if not r.exact_only for w in r.words]

    def to_dict(self) -> dict:
        expansions = [{"word": w.key, "alternatives": [a.text for a in w.alternatives],
                       **({"label": w.alternatives[0].label} if w.alternatives[0].label else {})}
                      for w in self.words if w.alternatives]
        return {
            "words": [w.key for w in self.words],
            "exact": [r.term.text for r in self.readings if r.exact_only],
            "expansions": expansions,
            "dropped": [d for r in self.readings for d in r.dropped],
        }


class Vocabulary:
    """Word frequencies from the index (jieba's words, summed over the word fields; the
    store's word tables), plus the domain dictionary, synonym keys and stop words."""

    def __init__(self, store, synonyms: Synonyms):
        self.store = store
        self.extra = dict(_domain_words())
        for k in synonyms.keys:
            self.extra.setdefault(k, 100)
        for w in STOPWORDS:
            self.extra.setdefault(w, 10_000)
        self.total = store.word_total() + 1
        self._freq: dict[str, int] = {}
        self.segments: dict[str, list[str]] = {}  # search key -> its words, segmented once a query

    def freq(self, word: str) -> int:
        f = self._freq.get(word)
        if f is None:
            f = self._freq[word] = max(self.store.word_counts(word)[0], self.extra.get(word, 0))
        return f

    def doc_frequency(self, word: str) -> int:
        return self.store.word_counts(word)[1]


def segment(key: str, vocab: Vocabulary) -> list[str]:
    """A search key -> words: jieba's most probable path over the vocabulary's words."""
    cached = vocab.segments.get(key)
    if cached is None:
        cached = vocab.segments[key] = _segment(key, vocab)
    return list(cached)


def _segment(key: str, vocab: Vocabulary) -> list[str]:
    words: list[str] = []
    for run in re.split(r"([\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)", key):
        if not run:
            continue
        if _CJK.fullmatch(run):
            words.extend(_segment_han(run, vocab))
        else:  # Latin letters, digits and punctuation: one unit between punctuation runs
            words.extend(p for p in re.split(r"[^\w+.#-]+", run) if _WORDLIKE.search(p))
    return words


def _segment_han(text: str, vocab: Vocabulary, longest: int = MAX_WORD) -> list[str]:
    n = len(text)
    log_total = math.log(vocab.total)
    best: list[tuple[float, int]] = [(0.0, n)] * (n + 1)
    for i in range(n - 1, -1, -1):
        options = []
        for j in range(i + 1, min(n, i + longest) + 1):
            w = text[i:j]
            f = vocab.freq(w)
            if f or j == i + 1:
                options.append((math.log(f or 1) - log_total + best[j][0], j))
        best[i] = max(options)
    pieces, i = [], 0
    while i < n:
        j = best[i][1]
        pieces.append(text[i:j])
        i = j
    # Single characters stay with their neighbours, as jieba's HMM would keep them: a run of
    # them is one unit (an unknown name, a slip such as 连络站, an abbreviation such as 四督),
    # and one alone joins the word after it (or, last, the one before): by itself it would
    # match nearly everything. Stop words stay apart, to be left out.
    units: list[list] = []  # [text, is a run of single characters]
    for p in pieces:
        single = len(p) == 1 and p not in STOPWORDS
        last = units[-1] if units else None
        if single and last and last[1]:
            last[0] += p  # the run goes on
        elif not single and p not in STOPWORDS and last and last[1] and len(last[0]) == 1:
            units[-1] = [last[0] + p, False]  # a lone character joins the word after it
        else:
            units.append([p, single])
    if len(units) > 1 and units[-1][1] and len(units[-1][0]) == 1 and units[-2][0] not in STOPWORDS:
        units[-2:] = [[units[-2][0] + units[-1][0], False]]  # ... or, last, the one before
    return [u for u, _ in units]


def understand(tree_terms: list[Term], vocab: Vocabulary | None, synonyms: Synonyms | None,
               exact: bool = False) -> Understanding:
    """Read every positive term of a query; with `exact` (or no vocabulary), as typed."""
    readings = []
    for term in tree_terms:
        if exact or vocab is None or term.quoted or term.field:
            readings.append(Reading(term, [Word(term.key)]))
            continue
        pieces = segment(term.key, vocab)
        kept = [p for p in pieces if p not in STOPWORDS]
        dropped = [p for p in pieces if p in STOPWORDS]
        if not kept:  # nothing but stop words: keep them
            kept, dropped = pieces or [term.key], []
        words = [Word(k, synonyms.expand(k) if synonyms else []) for k in dict.fromkeys(kept)]
        readings.append(Reading(term, words, dropped))
    return Understanding(readings, exact)
