"""Stage 5, what a record is called and how it is cited, the same in the terminal, the
exports and JSON.

* An article's title is its heading. A brief (信息摘登 item) has none in the bulletin: it is
  called by its lead clause (`拱墅区人大常委会将政务服务增值化改革工作列入年度监督计划…`), or
  where that is no usable title, `信息摘登：<unit>`.
* A citation names the publication and the issue as the bulletin itself does:
  `《杭州人大信息》2024年第9期（总第697期）`.
* `complete` gives the hits of a result their brief titles (and, when asked, their whole
  text) from the index's store.
"""

from __future__ import annotations

import re

from .bulletin import BRIEF_SECTION, PUBLICATION

_CLAUSE = re.compile(r"[^，,。；;！？!?：:\n]+")
_TITLE_MIN, _TITLE_MAX = 6, 48


def brief_title(body: str, org: str = "", district: str = "") -> str:
    """A brief's title: its lead clause (with `…` when the sentence goes on), or
    `信息摘登：<unit>` when the clause is too short or too long to serve as one."""
    text = " ".join(body.split())
    m = _CLAUSE.match(text)
    clause = m.group(0).strip() if m else ""
    if _TITLE_MIN <= len(clause) <= _TITLE_MAX:
        rest = text[m.end():]
        return clause + ("…" if rest and rest[0] not in "。！？!?" else "")
    unit = org or district
    return f"{BRIEF_SECTION}：{unit}" if unit else BRIEF_SECTION


def title_of(hit, body: str | None = None) -> str:
    """The hit's title; a brief's made from its text (`body`, else its first snippet)."""
    if hit.title:
        return hit.title
    if body is None:
        body = hit.snippets[0].text if hit.snippets and hit.snippets[0].start == 0 else ""
    return brief_title(body, hit.org, hit.district)


def citation(hit) -> str:
    """`《杭州人大信息》2024年第9期（总第697期）`: where the record was published."""
    return f"《{PUBLICATION}》{hit.date[:4]}年第{hit.issue}期（总第{hit.issue_total}期）"


def complete(snapshot, hits, body: bool = False) -> None:
    """Give each brief among `hits` its title (`brief_title`), and with `body` each hit its
    whole text as `hit.body`, read from the index's store."""
    for hit in hits:
        if hit.title and not body:
            continue
        record = snapshot.store.shown(hit.docnum) or {}  # the store: no Whoosh opened for this
        text = record.get("body", "")
        if not hit.title:
            hit.title = brief_title(text, hit.org, hit.district)
            hit.title_highlights = []
        if body:
            hit.body = text


def result_dict(result) -> dict:
    """`search --format json` (and the web page's /api/search): the result with each hit's
    citation; call `complete` first, so that briefs carry their titles."""
    data = result.to_dict()
    for d, hit in zip(data["hits"], result.hits):
        d["citation"] = citation(hit)
    return data
