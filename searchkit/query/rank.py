"""Query step 4, rank: an ordered list of groups, each ordered by BM25F, then newest first.

Ranking is a list of criteria, each breaking the ties of the one before (as Meilisearch
puts it): the tier (exact, words, partial); within `exact`, how many query terms the
title holds; within `words`, whether the words stand in one sentence, one paragraph or
apart, then how many stand in the title; within `partial`, how many of the query's words
the record holds. Each group is then ordered by BM25F over the jieba words the query
shares with the index (title words weigh 3x), and records that share no word with it
come last, newest first. Only as many documents are scored as the page needs, group by
group, so Whoosh can skip postings blocks that cannot reach the page.
"""

from __future__ import annotations

_FEW = 1000  # up to this many documents may be scored by stepping to each of them
SCORED_FIELDS = ("title_words", "body_words", "byline_words")


def scoring_query(words):
    """BM25F over these index words in every word field, or None."""
    from whoosh import query as wq

    if not words:
        return None
    q = wq.Or([wq.Term(f, w) for w in words for f in SCORED_FIELDS])
    # A tree of union matchers keeps Whoosh's block-quality skipping for top-k; its default
    # for small segments scores every posting of every word up front.
    q.matcher_type = wq.Or.DEFAULT_MATCHER
    return q


class Scorer:
    def __init__(self, searcher, words):
        self.searcher = searcher
        self.query = scoring_query([w for w in words if any((f, w) in searcher.reader() for f in SCORED_FIELDS)])
        reader = searcher.reader()
        self.postings = sum(reader.doc_frequency(t.fieldname, t.text) for t in self.query.subqueries) \
            if self.query is not None else 0

    def scores(self, docs: set[int], limit: int | None) -> dict[int, float]:
        """BM25F scores of the best `limit` (None: all) of `docs` that share a word with the query."""
        if self.query is None or not docs:
            return {}
        searcher = self.searcher
        if len(docs) > _FEW or len(docs) * 4 > self.postings:
            # Walk the postings: with a limit, Whoosh skips blocks that cannot reach the top.
            return {hit.docnum: hit.score for hit in searcher.search(self.query, filter=docs, limit=limit)}
        # Few documents: step the matcher to each of them instead of walking every posting.
        scores: dict[int, float] = {}
        context = searcher.context()
        for sub, offset in searcher.leaf_searchers():
            wanted = sorted(d - offset for d in docs if offset <= d < offset + sub.doc_count_all())
            if not wanted:
                continue
            matcher = self.query.matcher(sub, context)
            for d in wanted:
                if not matcher.is_active():
                    break
                if matcher.id() < d:
                    matcher.skip_to(d)
                    if not matcher.is_active():
                        break
                if matcher.id() == d:
                    scores[d + offset] = matcher.score()
        if limit is not None and len(scores) > limit:
            keep = sorted(scores, key=lambda d: (-scores[d], d))[:limit]
            scores = {d: scores[d] for d in keep}
        return scores


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
