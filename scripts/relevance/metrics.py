"""Ranking metrics over graded judgments (grades 0-3; a record not judged above 0 is 0).

nDCG@k   DCG@k / ideal DCG@k, with the grade itself as the gain (linear gains) and the
         standard log2 discount: the hit at rank i (1-based) contributes grade / log2(i + 1).
         The ideal ranking is every judged record sorted by grade, so a relevant record a
         system never returns costs it. Defined for queries with at least one grade >= 1.
P@k      the share of the first k ranks (k fixed, empty ranks count as misses) that hold a
         record of grade >= 2 (substantially relevant or better).
RR       1 / rank of the first grade >= 2 record in the returned list, 0 without one;
         MRR is its mean. P@k and RR are defined for queries with a grade >= 2 record.
"""

from __future__ import annotations

import math

RELEVANT = 2  # the grade from which a hit counts as relevant for P@k and MRR


def dcg(gains: list[int], k: int) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k]))


def ndcg_at(ranked: list[str], grades: dict[str, int], k: int = 10) -> float | None:
    ideal = dcg(sorted(grades.values(), reverse=True), k)
    if ideal == 0:
        return None
    return dcg([grades.get(doc, 0) for doc in ranked], k) / ideal


def precision_at(ranked: list[str], grades: dict[str, int], k: int = 5) -> float | None:
    if not any(g >= RELEVANT for g in grades.values()):
        return None
    return sum(grades.get(doc, 0) >= RELEVANT for doc in ranked[:k]) / k


def reciprocal_rank(ranked: list[str], grades: dict[str, int]) -> float | None:
    if not any(g >= RELEVANT for g in grades.values()):
        return None
    for i, doc in enumerate(ranked):
        if grades.get(doc, 0) >= RELEVANT:
            return 1 / (i + 1)
    return 0.0


def mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None
