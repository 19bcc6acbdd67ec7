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

from ..store.segment import FIELD_SEPARATOR

K1, B = 1.2, 0.75
TITLE_WEIGHT = 3.0  # the byline weighs as the body


class Scorer:
    """BM25F over the query's words as they occur in each record's text.

    A word's frequency in a record is how often it occurs in the search key (title x3,
    body, byline), the same strings that decide matching, so scoring and matching never
    disagree about what a record holds; its IDF comes from how many records hold it.
    Scoring costs a few `str.count` calls per record, so only the records a page needs
    are scored (see `rank`)."""

    def __init__(self, store, words: list[str], df):
        self.store = store
        n = max(store.live_count, 1)
        self.idf = {w: math.log(1 + (n - df(w) + 0.5) / (df(w) + 0.5)) for w in words}
        self.average = store.average_length()

    def scores(self, docs: set[int], limit: int | None) -> dict[int, float]:
        """BM25F scores of the best `limit` (None: all) of `docs` that hold a query word."""
        if not self.idf or not docs:
            return {}
        store, out = self.store, {}
        words = list(self.idf.items())
        flat, per_char = K1 * (1 - B), K1 * B / self.average
        # A document's keys are one string, title SEP body SEP org SEP authors (`Segment.whole`):
        # a word never holds SEP, so counting it in the whole string counts it in every field,
        # and counting it up to the first SEP counts it in the title.
        for seg, base, local in store.by_segment(docs):
            whole, sep = seg.whole, FIELD_SEPARATOR
            for d in local:
                text = whole(d)
                title_end = text.find(sep)
                norm = flat + per_char * (text.find(sep, title_end + 1) - title_end - 1)
                score = 0.0
                for w, idf in words:
                    tf = text.count(w)
                    if tf:
                        tf += (TITLE_WEIGHT - 1) * text.count(w, 0, title_end)
                        score += idf * tf / (tf + norm)
                if score:
                    out[base + d] = score
        if limit is not None and len(out) > limit:
            keep = heapq.nsmallest(limit, out, key=lambda d: (-out[d], d))
            out = {d: out[d] for d in keep}
        return out


def rank(scorer: Scorer, store, groups: list[set[int]], limit: int | None) -> tuple[list[int], dict[int, float]]:
    """The best `limit` documents of the groups, taken in order: each group by BM25F, then newest first."""
    page: list[int] = []
    scores: dict[int, float] = {}
    for group in groups:
        need = None if limit is None else limit - len(page)
        if need is not None and need <= 0:
            break
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
