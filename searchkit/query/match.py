"""Query step 3, match: which documents belong to which tier.

1. `exact`: the query's boolean tree, every term as typed (compared by search key:
   whitespace, case, width and traditional/simplified folded), in the title, the
   table-of-contents title, the body or the byline. What grep finds in the rejoined text.
2. `words`: the same tree, each plain term replaced by "all of its words", each word
   found by itself or an alternative, as a substring (so a segmentation difference never
   hides a hit). Quoted phrases, field terms and everything under NOT stay exact.
3. `partial`: plain terms need only part of their words: the words a document holds must
   carry at least a third of the term's weight (each word weighs its inverse document
   frequency, so a rare word counts for more than 代表); generic words (in more than a
   third of the records) or a district name alone are never enough; a word counts in
   part through the shorter words inside it, or the character pairs of a slip.
   Everything that must hold exactly still must.

The store answers "which documents contain this key" (`TextStore.docs_with_text`).
"""

from __future__ import annotations

import math

from ..bulletin import CITY_LEVEL, DISTRICT_NAMES, DISTRICTS
from .filters import Filters
from .syntax import Not, Or, Term
from .understand import Understanding

PARTIAL_SHARE = 1 / 3  # of a term's word weight that a partial hit must hold
GENERIC_SHARE = 1 / 3  # a word in more than this share of the documents says little about any one
PART_CREDIT = 0.75  # what a word's parts are worth, all held, against the word itself
# District names qualify a topic; alone they are not part of it.
_QUALIFIERS = frozenset([*DISTRICT_NAMES, *DISTRICTS, CITY_LEVEL, "杭州", "杭州市"])


class Matcher:
    """Evaluates a query tree over the store, tier by tier, within a universe of documents."""

    def __init__(self, store, searcher, universe: set[int], understanding: Understanding, vocab=None):
        """`searcher`: a function that gives a Whoosh searcher, opened only for filters."""
        self.store = store
        self.searcher = searcher
        self.universe = universe
        self.understanding = understanding
        self.vocab = vocab
        self._key_docs: dict[str, set[int]] = {}
        self._df: dict[str, int] = {}
        self._term_words: dict[Term, set[int]] = {}
        self._exact_cache: dict[int, set[int]] = {}
        self.settled: set[int] = set()  # documents already in a higher tier: not partial candidates
        self.held: dict[int, float] = {}  # partial: how many of the query's words a document holds

    # ------------------------------------------------------------------ exact

    @property
    def whole(self) -> bool:
        """Whether the universe is every live document (no filters)."""
        return len(self.universe) == self.store.live_count

    def key_docs(self, key: str) -> frozenset[int] | set[int]:
        """Documents of the universe holding `key` anywhere (title, body, byline); not to be
        changed (without filters, the store's remembered set itself)."""
        docs = self._key_docs.get(key)
        if docs is None:
            docs = self._key_docs[key] = (self.store.holding(key) if self.whole
                                          else self.store.docs_with_text(key, self.universe))
        return docs

    def every(self, key: str, docs) -> bool:
        """Whether `docs` is the set of every live document holding `key` (`key_docs` without
        filters), so that any set of documents with the key is part of it."""
        return self.whole and self._key_docs.get(key) is docs

    def term(self, t: Term, within: set[int]) -> set[int]:
        key = t.key
        if t.field == "title":
            return self.store.docs_containing(key, "title", within)
        if t.field == "":
            if key in self._key_docs:
                return self._key_docs[key] & within
            reading = self.understanding.find(t)  # None for a term under NOT
            if reading and not reading.exact_only and (len(reading.words) > 1 or reading.words[0].key != key):
                # Every word of a term is a piece of it, so a record holding the term holds
                # its words: look for the term only where they all are.
                def find():
                    return self.store.docs_with_text(key, within & self.term_words(t))

                if within is self.universe and len(within) == self.store.live_count:
                    return set(self.store.holding(key, find))  # remembered, as a single word's
                return find()
            if within is self.universe:
                return self.key_docs(key)  # of the universe already
            return self.store.docs_with_text(key, within)
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
        return set(self.searcher().docs_for_query(q)) if q is not None else self.store.live_set

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

    def word_docs(self, word, within: set[int] | None = None) -> set[int]:
        """Documents (of `within`, default the universe) holding a word or any of its alternatives."""
        if within is None:
            if len(word.keys) == 1:
                return self.key_docs(word.keys[0])
            return set().union(*(self.key_docs(k) for k in word.keys))
        out: set[int] = set()
        whole = self.whole
        for k in word.keys:
            # A key of one or two characters is its postings: without filters, the store's
            # remembered set of it (made once a process) is cut to `within` in C; a longer key
            # is checked in the text of `within`'s documents only.
            if k in self._key_docs or (whole and len(k) <= 2):
                out |= self.key_docs(k) & within
            else:
                out |= self.store.docs_with_text(k, within - out)
        return out

    def df(self, key: str) -> int:
        """How many documents hold `key`: estimated from the index's postings for a word the
        index knows (a lower bound: it may also stand inside longer words), else counted by
        a scan. Only the key decides which, so rankings never depend on what was looked up
        before."""
        if key not in self._df:
            estimate = self.vocab.doc_frequency(key) if self.vocab is not None else 0
            self._df[key] = estimate if estimate else len(self.key_docs(key))
        return self._df[key]

    def weak(self, key: str) -> bool:
        """A generic word (in more than GENERIC_SHARE of the documents), or a district name."""
        return key in _QUALIFIERS or self.df(key) > GENERIC_SHARE * max(self.store.live_count, 1)

    def words(self, node) -> set[int]:
        """The documents the tree matches with each plain term read as all of its words."""
        if isinstance(node, Term):
            if self.understanding.reading(node).exact_only:
                return self.exact(node)
            return self.term_words(node)
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

    def term_words(self, t: Term) -> set[int]:
        """Documents of the universe holding every word of a plain term (or an alternative)."""
        out = self._term_words.get(t)
        if out is None:
            # Rarest first, each later word looked for only in what the earlier ones left.
            for w in sorted(self.understanding.reading(t).words, key=lambda w: self.df(w.key)):
                out = self.word_docs(w) if out is None else self.word_docs(w, out)
                if not out:
                    break
            out = self._term_words[t] = out or set()
        return out

    # ------------------------------------------------------------------ partial

    def idf(self, key: str) -> float:
        n = max(self.store.live_count, 1)
        df = self.df(key)
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
        """Documents holding enough of a term's words, with the share of its weight they hold.

        Each word weighs its IDF and counts whole, or in part through its parts: the
        shorter index words inside it (联系群众: 联系, 群众, as jieba's search mode cuts),
        or, for a word no record holds (a slip such as 连络站), its character pairs that
        some record holds. A part is worth PART_CREDIT of the whole. A document qualifies
        when it holds at least PARTIAL_SHARE of the weight, unless all it holds are
        generic words or district names (qualifiers, not topics)."""
        units = []  # (word, weight, parts [(part weight, part documents)], weak)
        for w in words:
            held_somewhere = self.df(w.key) > 0 or any(self.df(k) for k in w.keys)
            parts = [(self.idf(p), docs) for p, docs in self.parts(w.key, held_somewhere)]
            weight = self.idf(w.key) if held_somewhere else sum(pw for pw, _ in parts)
            if weight:
                units.append((w, weight, parts, self.weak(w.key) and len(words) > 1))
        total = sum(u[1] for u in units)
        if not total:
            return {}
        # Candidates. A record that holds none of the heaviest words (nor their parts) can
        # reach at most the weight of the others: the heaviest words whose weight the rest
        # cannot make up on their own are enough to find every candidate, and they are the
        # rarest (weight is IDF), so the common words are then looked for among those only.
        # Of these, a candidate must also hold a word that is not weak, or part of one.
        need = PARTIAL_SHARE * total
        rest, heavy = total, set()
        for i in sorted(range(len(units)), key=lambda i: -units[i][1]):
            if rest < need:
                break
            heavy.add(i)
            rest -= units[i][1]
        candidates: set[int] = set()
        for i in heavy:
            w, weight, parts, weak = units[i]
            candidates |= self.word_docs(w).union(*(docs for _, docs in parts))
        candidates -= self.settled
        strong: set[int] = set()
        for w, weight, parts, weak in units:
            if not weak:
                strong |= self.word_docs(w, candidates).union(*(docs & candidates for _, docs in parts))
        candidates &= strong
        holds = {w.key: self.word_docs(w, candidates) for w, weight, parts, weak in units}
        # Each document's share, added unit by unit, set by set: the candidates that hold
        # the same words (and parts) have the same share, so they are kept together as one
        # class, split by each unit, and each class's share is added up once (in C, not
        # document by document: the candidates of a common word run to thousands).
        classes = [(candidates, 0.0, 0.0)]  # (documents, share, words held)
        for w, weight, parts, weak in units:
            have = holds[w.key]
            split = []
            for docs, s, h in classes:
                inside = docs & have
                if inside:
                    split.append((inside, s + weight, h + 1))
                rest = docs - inside
                if not rest:
                    continue
                # Without the word: by the parts held, each adding its weight in turn.
                got = [(rest, 0.0)]
                for pw, part_docs in parts:
                    got = [(g, a + pw if with_part else a) for kept, a in got
                           for with_part, g in ((True, kept & part_docs), (False, kept - part_docs)) if g]
                whole = sum(pw for pw, _ in parts)
                split += [(g, s + weight * PART_CREDIT * a / whole, h + 0.5) if a else (g, s, h) for g, a in got]
            classes = split
        out: dict[int, float] = {}
        for docs, s, h in classes:
            if s >= PARTIAL_SHARE * total:
                out.update(dict.fromkeys(docs, s / total))
                before = docs & self.held.keys()  # from another term of the query
                self.held.update(dict.fromkeys(docs - before if before else docs, h))
                for d in before:
                    self.held[d] = max(self.held[d], h)
        return out

    def parts(self, key: str, known: bool) -> list[tuple[str, set[int]]]:
        """The parts of a word that some document holds: shorter index words inside a known
        word of three or more characters; character pairs of a word no document holds. Only
        Chinese words have parts: a code or a number (SK00350, 2024) is whole or nothing."""
        from .understand import _CJK

        if not _CJK.fullmatch(key):
            return []
        if known:
            if len(key) < 3 or self.vocab is None:
                return []
            from .understand import _segment_han

            # Generic parts (人大 in 人大常委会) say little and cost a long posting list: skipped.
            most = GENERIC_SHARE * self.store.live_count
            pieces = [p for p in _segment_han(key, self.vocab, longest=len(key) - 1)
                      if len(p) >= 2 and 0 < self.vocab.doc_frequency(p) <= most]
        else:
            pieces = [key[i:i + 2] for i in range(len(key) - 1)]
        return [(p, docs) for p, docs in ((p, self.key_docs(p)) for p in dict.fromkeys(pieces)) if docs]
