"""Query step 4, rank: an ordered list of groups, each ordered by BM25F, then newest first.

Ranking is a list of criteria, each breaking the ties of the one before (as Meilisearch
puts it): the tier (exact, words, partial); within `exact`, how many query terms the
title holds; within `words`, whether the words stand in one sentence, one paragraph or
apart, then how many stand in the title; within `partial`, how many of the query's words
the record holds. Each group is then ordered by BM25F over the jieba words the query
holds (title words weigh 3x; see `Scorer`), and records that hold none of its words come
last, newest first. Groups are scored one after another until the page is full.
"""

from __future__ import annotations

import heapq
import math
import sys

from ..store.grams import CAP  # a count of CAP means CAP or more
from ..store.segment import FIELD_SEPARATOR

K1, B = 1.2, 0.75
TITLE_WEIGHT = 3.0  # the byline weighs as the body


class Scorer:
    """BM25F over the query's words as they occur in each record's text.

    A word's frequency in a record is how often it occurs in the search key (title x3,
    body, byline), the same strings that decide matching, so scoring and matching never
    disagree about what a record holds; its IDF comes from how many records hold it.

    Two ways to the same scores. By text: a few `str.count` calls per record. By counts
    (numpy): the character postings carry each gram's weighted count in each record, which
    is the frequency itself for a word of one character or of two different ones, and a
    bound on it for a longer word (each occurrence of the word holds one of each of its
    pairs); records are scored a segment at a time from those counts and the body lengths,
    and only the records whose bound could reach the page are counted again in their text.
    Scores are equal to the last bit either way (the same operations, in the same order)."""

    def __init__(self, store, words: list[str], df):
        self.store = store
        n = max(store.live_count, 1)
        self.idf = {w: math.log(1 + (n - df(w) + 0.5) / (df(w) + 0.5)) for w in words}
        self.average = store.average_length()
        self.flat, self.per_char = K1 * (1 - B), K1 * B / self.average

    def scores(self, docs: set[int], limit: int | None) -> dict[int, float]:
        """BM25F scores of the best `limit` (None: all) of `docs` that hold a query word."""
        if not self.idf or not docs:
            return {}
        if by_counts(len(docs)):
            return self._by_counts(docs, limit)
        out = {}
        for seg, base, local in self.store.by_segment(docs):
            for d in local:
                score = self._by_text(seg, d)
                if score:
                    out[base + d] = score
        if limit is not None and len(out) > limit:
            keep = heapq.nsmallest(limit, out, key=lambda d: (-out[d], d))
            out = {d: out[d] for d in keep}
        return out

    def _by_text(self, seg, d: int) -> float:
        # A document's keys are one string, title SEP body SEP org SEP authors (`Segment.whole`):
        # a word never holds SEP, so counting it in the whole string counts it in every field,
        # and counting it up to the first SEP counts it in the title.
        text, sep = seg.whole(d), FIELD_SEPARATOR
        title_end = text.find(sep)
        norm = self.flat + self.per_char * (text.find(sep, title_end + 1) - title_end - 1)
        score = 0.0
        for w, idf in self.idf.items():
            tf = text.count(w)
            if tf:
                tf += (TITLE_WEIGHT - 1) * text.count(w, 0, title_end)
                score += idf * tf / (tf + norm)
        return score

    def _by_counts(self, docs: set[int], limit: int | None) -> dict[int, float]:
        import numpy as np

        store = self.store
        found, bounds, recount = [], [], []  # per segment: docnums, scores (or bounds), bound only
        ordered = np.fromiter(docs, dtype=np.int64, count=len(docs))
        ordered.sort()
        cuts = np.searchsorted(ordered, [*store.bases, store.count]).tolist()
        for seg, base, start, end in zip(store.segments, store.bases, cuts, cuts[1:]):
            if start == end:
                continue
            local = ordered[start:end] - base
            norm = self.flat + self.per_char * seg.lengths[local]
            score, bound = np.zeros(len(local)), np.zeros(len(local), dtype=bool)
            keys = local.astype(seg.grams.dtype)  # as the postings hold them: searched without converting those
            for w, idf in self.idf.items():
                tf = _counts(seg.grams, w, keys)
                if tf is None:
                    continue
                score += idf * tf / (tf + norm)
                bound |= tf >= CAP if len(w) == 1 or (len(w) == 2 and w[0] != w[1]) else tf > 0
            held = score > 0
            found.append(local[held] + base)
            bounds.append(score[held])
            recount.append(bound[held])
        found, score, bound = np.concatenate(found), np.concatenate(bounds), np.concatenate(recount)
        if limit is None or (len(found) <= limit and not bound.any()):  # every one of them
            out = {}
            for d, s, b in zip(found.tolist(), score.tolist(), bound.tolist()):
                if b:
                    s = self._by_text(*self.store.locate(d))
                if s:
                    out[d] = s
            return out
        if not bound.any():  # the `limit` best, ties to the lower docnum
            cut = np.partition(score, len(score) - limit)[len(score) - limit]
            above = np.flatnonzero(score > cut)
            pick = np.concatenate([above, np.flatnonzero(score == cut)[:limit - len(above)]])
            return dict(zip(found[pick].tolist(), score[pick].tolist()))
        # Some scores are bounds: take documents best bound first, counting those in their
        # text, until no bound left can beat the page's worst.
        worst: list[tuple[float, int]] = []  # the page: (score, -docnum), worst first
        for i in np.lexsort((found, -score)).tolist():
            d, s = int(found[i]), float(score[i])
            if len(worst) == limit and (s, -d) < worst[0]:
                break
            if bound[i]:
                s = self._by_text(*self.store.locate(d))
            if s and (len(worst) < limit or (s, -d) > worst[0]):
                (heapq.heappush if len(worst) < limit else heapq.heapreplace)(worst, (s, -d))
        return {-d: s for s, d in worst}


COUNTED_FROM = 128  # fewer documents are scored by their text: numpy's set-up costs more
LOAD_FOR = 25_000  # documents whose text costs about as long to score as loading numpy (~75 ms)


def by_counts(n: int) -> bool:
    """Whether to score `n` documents by counts: when numpy is loaded already (a server, see
    `preload`) or the job is big enough to pay for loading it (a one-query process)."""
    return n >= COUNTED_FROM and ("numpy" in sys.modules or n >= LOAD_FOR)


def preload() -> None:
    """Load numpy now: a long-running process (the web server) scores by counts from its
    first query on."""
    import numpy  # noqa: F401


def _counts(grams, word: str, local):
    """The word's weighted counts in the local docnums `local` (a numpy array), as floats:
    exact for a word of one character or two different ones (below CAP), else the smallest
    count of its pairs, a bound; None when the segment has none of it."""
    import numpy as np

    out = None
    for gram in dict.fromkeys(word[i:i + 2] for i in range(max(len(word) - 1, 1))):
        docs, counts = grams.arrays(gram)
        if not len(docs):
            return None
        at = np.minimum(np.searchsorted(docs, local), len(docs) - 1)
        got = np.where(docs[at] == local, counts[at], 0)
        out = got if out is None else np.minimum(out, got)
    return out.astype(np.float64)


def rank(scorer: Scorer, store, groups: list, limit: int | None) -> tuple[list[int], dict[int, float]]:
    """The best `limit` documents of the groups, taken in order: each group by BM25F, then
    newest first. A group is a set, or a function that makes it (called only if the page
    reaches it)."""
    page: list[int] = []
    scores: dict[int, float] = {}
    for group in groups:
        need = None if limit is None else limit - len(page)
        if need is not None and need <= 0:
            break
        if callable(group):
            group = group()
        if not group:
            continue
        group_scores = scorer.scores(group, need)
        scores.update(group_scores)
        # Ties go to the lower docnum, as in Whoosh's top-k, so a page is the head of the full ranking.
        ranked = sorted(group_scores, key=lambda d: (-group_scores[d], d))
        if need is None or len(ranked) < need:  # documents sharing no word with the query: newest first
            ranked += sorted(group.difference(group_scores), key=lambda d: (-store.day[d], store.rows[d].id))
        page += ranked if need is None else ranked[:need]
    return page, scores


def by_date(store, docs, limit: int | None, oldest_first: bool = False) -> list[int]:
    ordered = sorted(docs, key=lambda d: (store.day[d], store.rows[d].id), reverse=not oldest_first)
    return ordered[:limit] if limit else ordered
