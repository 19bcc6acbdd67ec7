"""How a query was understood, in words: the line above the hits of `search` (terminal and
web page), and what was tried when nothing was found. Shared by `render` and the web page,
each passing its translation (gettext) and language.
"""

from __future__ import annotations


def _sep(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def explanation(result, t, lang: str) -> dict | None:
    """How the query was read and how many hits each tier has, as `render.understanding` prints it."""
    u = result.understood
    if u is None or u.exact:
        return None
    _ = t.gettext
    words = " + ".join([*(w.key for w in u.words), *(f'"{x}"' for x in u.to_dict()["exact"])])
    counts = [_("exact {n}").format(n=result.tiers.get("exact", 0))]
    if result.proximity:
        for name, label in (("sentence", _("same sentence {n}")), ("paragraph", _("same paragraph {n}")),
                            ("anywhere", _("anywhere {n}"))):
            if result.proximity.get(name):
                counts.append(label.format(n=result.proximity[name]))
    elif not result.tiers.get("exact"):
        counts.append(_("all words {n}").format(n=0))
    if result.tiers.get("partial"):
        counts.append(_("partial {n}").format(n=result.tiers["partial"]))
    line = _("Understood as: {words} — {counts}").format(words=words, counts=_sep(lang, "，", ", ").join(counts))
    also = []
    join = _sep(lang, "、", ", ")
    for w in u.words:
        if w.alternatives:
            labels = join.join(dict.fromkeys(a.label for a in w.alternatives if a.label))
            text = _("{word} also finds {alternatives}").format(word=w.key, alternatives=join.join(
                a.text for a in w.alternatives))
            if labels:
                text += _sep(lang, f"（{labels}）", f" ({labels})")
            also.append(text)
    dropped = u.to_dict()["dropped"]
    left_out = _("Left out: {words}").format(words=join.join(dict.fromkeys(dropped))) if dropped else ""
    return {"line": line, "also": also, "left_out": left_out}


def tried(result, t) -> str:
    """The 'nothing found' line: what was tried (as `render.search_result`)."""
    u = result.understood
    if u is None or u.exact or result.total:
        return ""
    _ = t.gettext
    return _("Tried: the query as typed; all its words ({words}); part of them.").format(
        words=" + ".join(w.key for w in u.words))
