"""Query step 3b, proximity: whether a record's words stand in one sentence or one
paragraph of its body (同句 / 同段), which orders the words tier and `--within` filters.

Sentence and paragraph ends are the store's (`Segment.breaks`: offsets in the body key,
where the parser cut the text); a word is found as `match` finds it, any of its keys as a
substring of the search keys.
"""

from __future__ import annotations

import bisect

from ..store import SEPARATOR
from ..store.segment import FIELD_SEPARATOR

SENTENCE, PARAGRAPH, SCATTERED = 2, 1, 0
NAMES = {SENTENCE: "sentence", PARAGRAPH: "paragraph", SCATTERED: ""}


def levels(store, keys_per_word: list[list[str]], docs, df) -> dict[int, int]:
    """For each of `docs`: SENTENCE if every word (by any of its keys) stands in one sentence
    of the body, or all in one part of the title; PARAGRAPH if in one paragraph of the body;
    else SCATTERED. `df(key)` says how many records hold a key.

    The word the fewest records hold is the anchor: each of its occurrences in the body
    names one paragraph, where the other words are looked for in place (`str.find` with
    bounds; each paragraph once); in a paragraph that holds them all, the sentence around
    the occurrence is searched for them. The cost follows the anchor's occurrences, not
    the length of the record. (One loop, without a call per document: this runs for
    every record of the words tier.)"""
    if len(keys_per_word) < 2:
        return dict.fromkeys(docs, SENTENCE)
    anchor = min(range(len(keys_per_word)), key=lambda i: min(df(k) for k in keys_per_word[i]))
    anchor_keys = keys_per_word[anchor]
    others = [keys for i, keys in enumerate(keys_per_word) if i != anchor]
    bisect_right = bisect.bisect_right

    def holds(text: str, start: int, end: int) -> bool:
        for keys in others:  # loops, not all(any(...)): this runs for every occurrence
            for o in keys:
                if text.find(o, start, end) >= 0:
                    break
            else:
                return False
        return True

    out: dict[int, int] = {}
    for seg, base, local in store.by_segment(docs):
        whole_of = seg.whole
        s_ends, s_at, p_ends, p_at = seg.all_breaks  # document d's: [x_at[d], x_at[d + 1])
        for d in local:
            # The record's keys as one string (`Segment.whole`): the body is searched in
            # place, between its separators; the breaks are offsets in the body.
            whole = whole_of(d)
            title_end = whole.find(FIELD_SEPARATOR)
            start = title_end + 1
            end = whole.find(FIELD_SEPARATOR, start)
            best = SCATTERED
            for k in anchor_keys:
                if whole.find(k, 0, title_end) >= 0:
                    title = whole[:title_end]
                    if all(any(o in title for o in keys) for keys in others) and any(
                            all(any(o in part for o in keys) for keys in keys_per_word)
                            for part in title.split(SEPARATOR)):
                        best = SENTENCE
                    break
            if best == SCATTERED:
                p_lo, p_hi, s_lo, s_hi = p_at[d], p_at[d + 1], s_at[d], s_at[d + 1]
                paragraphs: dict[int, bool] = {}  # paragraph -> whether it holds every word
                for k in anchor_keys:
                    i = whole.find(k, start, end)
                    while i >= 0:
                        at = bisect_right(p_ends, i - start, p_lo, p_hi)
                        p_start = start + p_ends[at - 1] if at > p_lo else start
                        p_end = start + p_ends[at] if at < p_hi else end
                        if i + len(k) <= p_end:  # not across a paragraph break
                            full = paragraphs.get(at)
                            if full is None:
                                full = paragraphs[at] = holds(whole, p_start, p_end)
                            if full:
                                best = PARAGRAPH
                                at = bisect_right(s_ends, i - start, s_lo, s_hi)
                                s_start = start + s_ends[at - 1] if at > s_lo else start
                                s_end = start + s_ends[at] if at < s_hi else end
                                if holds(whole, s_start, s_end):
                                    best = SENTENCE
                                    break
                        i = whole.find(k, i + 1, end)
                    if best == SENTENCE:
                        break
            out[base + d] = best
    return out
