"""Stage 4, query: a query string -> ranked hits in tiers, with exact highlights.

One module per step:

    syntax      query string -> tree of terms, AND, OR, NOT (and field prefixes)
    filters     district, section, year, issue, dates, author, unit
    understand  each plain term -> words (segmented as jieba does), stop words dropped
    synonyms    the domain's abbreviations and renamed districts, shipped and the user's
    match       which documents are in which tier: exact, words, partial
    proximity   whether a record's words stand in one sentence or paragraph (同句 / 同段)
    rank        the order within and across tiers: title, proximity, BM25F, date
    highlight   exact spans of what matched, and snippets around them
    suggest     next steps when nothing matches
    pipeline    `search`, which runs the steps in order

Matching is decided on the text, not on words (see `match`), so a term that occurs in a
record always finds it, whatever the segmenter made of either.
"""

from .filters import Filters, canonical_district, canonical_section, parse_date
from .highlight import MAX_SNIPPETS, SNIPPET_CHARS, find_spans, snippets
from .pipeline import WITHIN, browse, canonical_id, facet_counts, get_record, issue_records, search, show_record
from .results import TIERS, Hit, SearchResult, Snippet
from .syntax import FIELDS, MAX_QUERY_CHARS, And, Not, Or, Term, parse_query, positive_terms

__all__ = [
    "Filters", "canonical_district", "canonical_section", "parse_date", "MAX_SNIPPETS", "SNIPPET_CHARS", "find_spans",
    "snippets", "WITHIN", "browse", "canonical_id", "facet_counts", "get_record", "issue_records", "search",
    "show_record", "TIERS", "Hit", "SearchResult",
    "Snippet", "FIELDS", "MAX_QUERY_CHARS", "And", "Not", "Or", "Term", "parse_query", "positive_terms",
]
