"""Text normalisation shared by every stage.

Two levels:

* `fold_width` is applied by the parser to all stored text: fullwidth ASCII forms
  (`：（），Ａ１`) become their halfwidth twins and the ideographic space becomes a space, so
  a record reads the same whichever converter produced the file.
* `search_key` is what matching compares: width-folded, Latin letters lower-cased, and
  every whitespace or invisible character removed (page breaks, padded names, wrapped
  headings). It keeps or drops each character on its own, one to one, so
  `search_key_map` can carry a match back to the exact span of the displayed text.
"""

from __future__ import annotations

import re

_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH[0x3000] = 0x20
_WIDTH_TABLE = str.maketrans(_WIDTH)

# Whitespace (everything str.isspace accepts) and the invisible format characters that
# converters leave behind; all are dropped from search keys.
_DROPPED = (
    "\x00\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u200b\u200c\u200d\u2060\ufeff"
)
_KEY = {cp: chr(cp - 0xFEE0).lower() for cp in range(0xFF01, 0xFF5F)}
_KEY.update({cp: chr(cp).lower() for cp in range(ord("A"), ord("Z") + 1)})
_KEY.update({ord(c): None for c in _DROPPED})
_KEY_TABLE = str.maketrans(_KEY)


def fold_width(text: str) -> str:
    """Fullwidth ASCII forms to halfwidth; ideographic space to space."""
    return text.translate(_WIDTH_TABLE)


def search_key(text: str) -> str:
    """The form in which text is matched: folded, lower-cased, whitespace removed."""
    return text.translate(_KEY_TABLE)


_DROPPED_RE = re.compile("[" + re.escape(_DROPPED) + "]")


def key_offsets(text: str) -> tuple[str, "callable"]:
    """`search_key(text)` and a function from an offset in it to the offset in `text`.

    The same mapping as `search_key_map`, but paid per dropped character (a few per
    paragraph) rather than per character of the text.
    """
    dropped = [m.start() for m in _DROPPED_RE.finditer(text)]

    def to_text(k: int) -> int:
        i = k
        for p in dropped:  # each dropped character before the target shifts it right by one
            if p <= i:
                i += 1
            else:
                break
        return i

    return text.translate(_KEY_TABLE), to_text


def search_key_map(text: str) -> tuple[str, list[int]]:
    """`search_key(text)` and, for each of its characters, the index in `text` it came from."""
    chars: list[str] = []
    where: list[int] = []
    for i, c in enumerate(text):
        k = c.translate(_KEY_TABLE)
        if k:
            chars.append(k)
            where.append(i)
    return "".join(chars), where
