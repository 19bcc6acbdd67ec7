"""Serve step 2, present: results as the parts a page shows, in the request's language.

Bulletin text leaves this module as plain strings in `(text, marked)` pieces; `marked`
escapes each piece (markupsafe, as Jinja2's autoescaping does) and wraps the matches in
`<mark>`: the only markup built outside the templates. The explanation of a query mirrors `render.understanding` and
`render.suggestions`, message for message (the same gettext msgids).
"""

from __future__ import annotations

from markupsafe import Markup, escape

from ..explain import _sep, explanation, tried  # noqa: F401 (explanation, tried: shared with render)
from ..cite import title_of
from ..i18n import N_
from ..render import PROXIMITY_MARKS, TIER_MARKS

PUBLICATION = "杭州人大信息"
TIER_LABELS = {"exact": N_("exact match"), "words": N_("all words"), "partial": N_("partial match")}


def pieces(text: str, spans) -> list[tuple[str, bool]]:
    """`text` cut into (piece, marked) at the highlight spans."""
    out, at = [], 0
    for s, e in sorted(spans):
        s, e = max(s, at), min(e, len(text))
        if s >= e:
            continue
        if s > at:
            out.append((text[at:s], False))
        out.append((text[s:e], True))
        at = e
    if at < len(text):
        out.append((text[at:], False))
    return out


def marked(pieces_) -> Markup:
    """Pieces as HTML: every piece escaped, the marked ones in `<mark>` (the one place that
    writes markup around bulletin text; what it wraps is always escaped first)."""
    return Markup("".join(f"<mark>{escape(text)}</mark>" if on else str(escape(text)) for text, on in pieces_))


def paragraphs(text: str, spans) -> list[list[tuple[str, bool]]]:
    """The body's paragraphs (lines), each as pieces with the spans that fall in it."""
    out, start = [], 0
    for para in text.split("\n"):
        end = start + len(para)
        local = [(max(s, start) - start, min(e, end) - start) for s, e in spans if s < end and e > start]
        if para.strip():
            out.append(pieces(para, local))
        start = end + 1
    return out


def suggestions(result, opts, t) -> list[tuple[str, str]]:
    """Next steps as (text, query string of the search to run instead)."""
    _ = t.gettext
    out = []
    for s in result.suggestions:
        if s.kind == "correction":
            out.append((_("Did you mean: {query} ({n} hits)").format(query=s.query, n=s.hits),
                        opts.query_string(q=s.query, page=None)))
        elif s.kind == "drop_filter":
            name, _sp, value = s.option.lstrip("-").partition(" ")
            name = {"districts": "district"}.get(name, name)
            current = getattr(opts, name, None)
            if isinstance(current, tuple):
                change = tuple(v for v in current if str(v) != value)
            else:
                change = None
            out.append((_("Without {option}: {n} hits").format(option=s.option, n=s.hits),
                        opts.query_string(**{name: change, "page": None})))
        else:
            out.append((_("Without {word}: {query} ({n} hits)").format(word=s.word, query=s.query, n=s.hits),
                        opts.query_string(q=s.query, page=None)))
    return out


def tier_mark(tier: str, t) -> str:
    return t.gettext(TIER_MARKS[tier]) if tier in TIER_MARKS else ""


def proximity_mark(hit, t) -> str:
    return t.gettext(PROXIMITY_MARKS[hit.proximity]) if hit.proximity in PROXIMITY_MARKS else ""


def tier_label(tier: str, t) -> str:
    return t.gettext(TIER_LABELS.get(tier, tier))


def short_title(hit) -> str:
    """A title for lists: the article's, or for a brief (信息摘登 items have none) its lead
    clause, as the terminal and the exports call it (`cite.title_of`)."""
    return title_of(hit)


def byline(hit) -> str:
    return " ".join(filter(None, [hit.org, *hit.authors]))


def issue_name(issue: int, issue_total: int) -> str:
    return f"第{issue}期(总第{issue_total}期)"


def citation(hit) -> str:
    """A reference to the article as one would cite it (GB/T 7714 style, in Chinese)."""
    who = "，".join(hit.authors) or hit.org
    title = title_of(hit)
    year = hit.date[:4]
    head = f"{who}. " if who else ""
    return f"{head}{title}[N]. {PUBLICATION}, {year}年第{hit.issue}期(总第{hit.issue_total}期), {hit.date}."
