"""Query step 3, match: which documents belong to which tier.

1. `exact`: the query's boolean tree, every term as typed (compared by search key:
   whitespace, case, width and traditional/simplified folded), in the title, the
   table-of-contents title, the body or the byline. What grep finds in the rejoined text.
2. `words`: the same tree, each plain term replaced by "all of its words", each word
   found by itself or an alternative, as a substring (so a segmentation difference never
   hides a hit). Quoted phrases, field terms and everything under NOT stay exact.
3. `partial`: plain terms need only part of their words: the words a document holds must
   carry at least half of the term's weight (each word weighs its inverse document
   frequency, so a rare word counts for more than 代表), and one generic word alone is
   never enough. Everything that must hold exactly still must.

The store answers "which documents contain this key" (`TextStore.docs_with_text`);
`proximity` tells whether a document's words stand in one sentence or one paragraph.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from ..store import SEPARATOR
from .filters import Filters
from .syntax import And, Not, Or, Term
from .understand import Understanding

PARTIAL_SHARE = 0.5  # of a term's word weight that a partial hit must hold
GENERIC_SHARE = 0.1  # a word in more than this share of the documents is generic

SENTENCE, PARAGRAPH, SCATTERED = 2, 1, 0
PROXIMITY_NAMES = {SENTENCE: "sentence", PARAGRAPH: "paragraph", SCATTERED: ""}


class Matcher:
    """Evaluates a query tree over the store, tier by tier, within a universe of documents."""

    def __init__(self, store, searcher, universe: set[int], understanding: Understanding, vocab=None):
        self.store = store
        self.searcher = searcher
        self.reader = searcher.reader()
        self.universe = universe
        self.understanding = understanding
        self.vocab = vocab
        self.title_sets: dict[str, set[int]] = {}  # exact term key -> documents with it in the title
        self._key_docs: dict[str, set[int]] = {}
        self._exact_cache: dict[int, set[int]] = {}

    # ------------------------------------------------------------------ exact

    def key_docs(self, key: str) -> set[int]:
        """Documents of the universe holding `key` anywhere (title, body, byline)."""
        docs = self._key_docs.get(key)
        if docs is None:
            docs = self._key_docs[key] = self.store.docs_with_text(key, self.universe)
        return docs

    def term(self, t: Term, within: set[int]) -> set[int]:
        key = t.key
        if t.field in ("", "title"):
            title = self.store.docs_containing(key, "title", within)
            self.title_sets[key] = self.title_sets.get(key, set()) | title
            if t.field == "title":
                return title
            if key in self._key_docs:
                return self._key_docs[key] & within
            return title | self.store.docs_with_text(key, within - title)
        if t.field == "org":
            return self.store.docs_containing(key, "org", within)
        if t.field == "author":
            return Filters(authors=(t.text,)).byline_docs(self.store, within)
        f = Filters(districts=(t.text,)) if t.field == "district" else Filters(sections=(t.text,))
        return self.whoosh(f) & within

    def whoosh(self, filters: Filters) -> set[int]:
        from ..bulletin import KNOWN_SECTIONS

        known = KNOWN_SECTIONS
        if filters.sections:  # sections seen in this index count as known too
            known = sorted({r.section for r in self.store.rows if r is not None and r.section} | set(known))
        q = filters.whoosh_query(known)
        return set(self.searcher.docs_for_query(q)) if q is not None else set(self.store.live)

    def estimate(self, node) -> float:
        """Roughly how many documents a node matches, to evaluate the rarest first."""
        if isinstance(node, Term) and node.field in ("", "title") and self.vocab is not None:
            from .understand import segment

            words = segment(node.key, self.vocab)
            return min((self.vocab.doc_frequency(w) for w in words), default=0)
        if isinstance(node, Not):
            return math.inf  # exclusions go last, over what is left
        return len(self.universe)

    def exact(self, node, within: set[int] | None = None) -> set[int]:
        """The documents (of `within`, default the universe) that the tree matches as typed."""
        within = self.universe if within is None else within
        if within is self.universe and id(node) in self._exact_cache:
            return self._exact_cache[id(node)]
        if isinstance(node, Term):
            out = self.term(node, within)
        elif isinstance(node, Not):
            out = within - self.exact(node.item, within)
        elif isinstance(node, Or):
            out = set().union(*(self.exact(item, within) for item in node.items))
        else:  # And: rarest first, each later part only over what the earlier ones left
            out = within
            for item in sorted(node.items, key=self.estimate):
                out = self.exact(item, out)
                if not out:
                    break
        if within is self.universe:
            self._exact_cache[id(node)] = out
        return out

    # ------------------------------------------------------------------ words

    def word_docs(self, word) -> set[int]:
        """Documents holding a word or any of its alternatives."""
        return set().union(*(self.key_docs(k) for k in word.keys))

    def words(self, node) -> set[int]:
        """The documents the tree matches with each plain term read as all of its words."""
        if isinstance(node, Term):
            reading = self.understanding.reading(node)
            if reading.exact_only:
                return self.exact(node)
            out = None
            for w in sorted(reading.words, key=lambda w: self.vocab.doc_frequency(w.key) if self.vocab else 0):
                docs = self.word_docs(w)
                out = docs if out is None else out & docs
                if not out:
                    break
            return out or set()
        if isinstance(node, Not):
            return self.universe - self.exact(node.item)
        if isinstance(node, Or):
            return set().union(*(self.words(item) for item in node.items))
        out = self.universe
        for item in node.items:
            out = out & self.words(item)
            if not out:
                break
        return out

    # ------------------------------------------------------------------ partial

    def idf(self, key: str) -> float:
        n = max(len(self.store.live), 1)
        df = len(self.key_docs(key))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def coverage(self, node) -> dict[int, float]:
        """Documents that hold enough of the tree, with the share of it they hold (0-1]."""
        if isinstance(node, Term):
            reading = self.understanding.reading(node)
            if reading.exact_only:
                return dict.fromkeys(self.exact(node), 1.0)
            return self._term_coverage(reading.words)
        if isinstance(node, Not):
            return dict.fromkeys(self.universe - self.exact(node.item), 1.0)
        if isinstance(node, Or):
            out: dict[int, float] = {}
            for item in node.items:
                for d, c in self.coverage(item).items():
                    out[d] = max(out.get(d, 0.0), c)
            return out
        hard = [i for i in node.items if self._hard(i)]
        soft = [i for i in node.items if not self._hard(i)]
        allowed = self.universe
        for item in hard:
            allowed = allowed & set(self.coverage(item))
        if not soft:
            return dict.fromkeys(allowed, 1.0)
        weights = [self._weight(i) for i in soft]
        total = sum(weights) or 1.0
        out = {}
        for item, weight in zip(soft, weights):
            for d, c in self.coverage(item).items():
                if d in allowed:
                    out[d] = out.get(d, 0.0) + c * weight / total
        return {d: c for d, c in out.items() if c >= PARTIAL_SHARE}

    def _hard(self, node) -> bool:
        """Must hold as typed: a quoted phrase, a field term, an exclusion."""
        if isinstance(node, Not):
            return True
        return isinstance(node, Term) and self.understanding.reading(node).exact_only

    def _weight(self, node) -> float:
        if isinstance(node, Term):
            return sum(self.idf(w.key) for w in self.understanding.reading(node).words) or 1.0
        if isinstance(node, Not):
            return 0.0
        return max((self._weight(i) for i in node.items), default=1.0)

    def _term_coverage(self, words) -> dict[int, float]:
        weights = {w.key: max(self.idf(w.key), 0.01) for w in words}
        total = sum(weights.values())
        live = max(len(self.store.live), 1)
        held: dict[int, list[str]] = {}
        for w in words:
            for d in self.word_docs(w):
                held.setdefault(d, []).append(w.key)
        out = {}
        for d, keys in held.items():
            share = sum(weights[k] for k in keys) / total
            if len(keys) == 1 and len(words) > 1 and len(self.key_docs(keys[0])) > GENERIC_SHARE * live:
                continue  # one generic word alone is not part of the query, it is noise
            if share >= PARTIAL_SHARE or len(words) == 1:
                out[d] = share
        return out

    # ------------------------------------------------------------------ proximity

    def proximity(self, docnum: int, keys_per_word: list[list[str]]) -> int:
        """SENTENCE if every word (by any of its keys) stands in one sentence of the body, or
        all in the title; PARAGRAPH if in one paragraph; else SCATTERED."""
        if len(keys_per_word) < 2:
            return SENTENCE
        entry = self.store.entry(docnum)
        title = entry.keys[0].split(SEPARATOR)
        if any(all(any(k in t for k in keys) for keys in keys_per_word) for t in title):
            return SENTENCE
        body = entry.keys[1]
        sentence_sets, paragraph_sets = [], []
        for keys in keys_per_word:
            sentences, paragraphs = set(), set()
            for k in keys:
                i = body.find(k)
                while i >= 0:
                    sentences.add(bisect.bisect_right(entry.sentences, i))
                    paragraphs.add(bisect.bisect_right(entry.paragraphs, i))
                    i = body.find(k, i + 1)
            if not sentences:
                return SCATTERED  # in the byline or the title only
            sentence_sets.append(sentences)
            paragraph_sets.append(paragraphs)
        if set.intersection(*sentence_sets):
            return SENTENCE
        if set.intersection(*paragraph_sets):
            return PARAGRAPH
        return SCATTERED


@dataclass
class Tiers:
    exact: set[int]
    words: set[int]
    partial: dict[int, float]  # with the share of the query each holds
