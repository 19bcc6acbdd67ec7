"""Baseline: character-bigram BM25F over title and body, in plain Python.

Text is NFKC-folded (fullwidth -> halfwidth), lowercased and stripped of whitespace (the
bulletin pads two-character names, 李 寄); it is then cut at anything that is not a letter
or digit (punctuation, quotes, brackets), and each piece becomes its overlapping character
bigrams (a one-character piece stays a unigram). A query is the OR of its distinct bigrams.

Scoring is BM25F: per field, the term frequency is length-normalised (b = 0.75 against
that field's mean length) and weighted (title 2, body 1); the weighted sum goes through
BM25's saturation (k1 = 1.2) and is multiplied by the term's IDF (the Lucene form,
log(1 + (N - df + 0.5) / (df + 0.5)), always positive). Ties keep the records' order in
the seeds, so the ranking is deterministic. No stop words, no dictionary, no folding of
traditional characters: the plain baseline of issue 9.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter

K1, B = 1.2, 0.75
WEIGHTS = {"title": 2.0, "body": 1.0}
_PIECES = re.compile(r"[^\W_]+")


def bigrams(text: str) -> list[str]:
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).lower())
    out = []
    for piece in _PIECES.findall(text):
        out.extend([piece] if len(piece) == 1 else [piece[i:i + 2] for i in range(len(piece) - 1)])
    return out


class BigramBM25:
    name = "bigram BM25"

    def __init__(self, records: list[dict]):
        self.ids = [r["id"] for r in records]
        self.fields = {f: [Counter(bigrams(r[f])) for r in records] for f in WEIGHTS}
        self.lengths = {f: [sum(c.values()) for c in tfs] for f, tfs in self.fields.items()}
        self.avg = {f: (sum(ls) / len(ls)) or 1.0 for f, ls in self.lengths.items()}
        df: Counter = Counter()
        for i in range(len(records)):
            df.update(set().union(*(self.fields[f][i] for f in WEIGHTS)))
        n = len(records)
        self.idf = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}

    def search(self, query: str, limit: int = 10) -> list[str]:
        terms = [t for t in dict.fromkeys(bigrams(query)) if t in self.idf]
        scores = []
        for i, doc in enumerate(self.ids):
            score = 0.0
            for t in terms:
                tf = sum(WEIGHTS[f] * self.fields[f][i][t] / (1 - B + B * self.lengths[f][i] / self.avg[f])
                         for f in WEIGHTS)
                if tf:
                    score += self.idf[t] * tf * (K1 + 1) / (tf + K1)
            if score > 0:
                scores.append((-score, i, doc))
        return [doc for _, _, doc in sorted(scores)[:limit]]
