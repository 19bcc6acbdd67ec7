"""Query step 5, highlight: the exact occurrences of what matched, as spans of the displayed
text, and snippets around them.

Spans are found in the search key and carried back through the normalisation, so a
highlight is exactly the occurrence as displayed (a padded name keeps its space). Linear
in the text: one scan per key, one bisection per span end.
"""

from __future__ import annotations

from ..normalize import key_offsets
from .results import Snippet

SNIPPET_CHARS = 100
MAX_SNIPPETS = 3


def find_spans(text: str, keys) -> list[tuple[int, int]]:
    """Every occurrence of each key in `text` (compared by search key), as spans of `text`.

    Overlapping occurrences merge into one span; each span starts and ends on a matched
    character, so it is exactly the occurrence as displayed.
    """
    folded, to_text = key_offsets(text)
    raw = []
    for key in set(keys):
        if not key:
            continue
        i = folded.find(key)
        while i >= 0:
            raw.append((i, i + len(key)))
            i = folded.find(key, i + 1)
    raw.sort()
    merged: list[list[int]] = []
    for s, e in raw:
        if merged and s < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(to_text(s), to_text(e - 1) + 1) for s, e in merged]


def snippets(text: str, spans: list[tuple[int, int]], size: int = SNIPPET_CHARS,
             most: int = MAX_SNIPPETS) -> list[Snippet]:
    """Up to `most` fragments of about `size` characters around the spans, each span whole."""
    flat = text.replace("\n", " ")
    if not spans:
        return [Snippet(flat[:size], [], 0, size >= len(flat))] if flat else []
    clusters: list[list[tuple[int, int]]] = []
    for s, e in spans:
        if clusters and e - clusters[-1][0][0] <= size:
            clusters[-1].append((s, e))
        else:
            clusters.append([(s, e)])
    chosen = sorted(sorted(clusters, key=lambda c: -len(c))[:most], key=lambda c: c[0][0])
    windows: list[list[int]] = []
    for c in chosen:
        first, last = c[0][0], c[-1][1]
        slack = max(0, size - (last - first))
        a = max(0, first - slack // 2)
        b = min(len(flat), max(last, a + size))
        a = max(0, min(a, b - size))
        for s, e in spans:  # never cut a match at a window edge
            if s < a < e:
                a = s
            if s < b < e:
                b = e
        if windows:  # fragments never overlap; a span cut by the previous one's end stays there
            a = max(a, windows[-1][1])
        if a < b:
            windows.append([a, b])
    return [Snippet(flat[a:b], [(s - a, e - a) for s, e in spans if a <= s and e <= b], a, b == len(flat))
            for a, b in windows]


