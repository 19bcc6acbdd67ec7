"""Text normalisation shared by every stage.

Two levels:

* `fold_width` is applied by the parser to all stored text: fullwidth ASCII forms
  (`：（），Ａ１`) become their halfwidth twins and the ideographic space becomes a space, so
  a record reads the same whichever converter produced the file.
* `search_key` is what matching compares: width-folded, Latin letters lower-cased,
  traditional characters folded to simplified (OpenCC's table, `data/t2s.txt`: 龍 -> 龙,
  鄧 -> 邓), and every whitespace or invisible character removed (page breaks, padded
  names, wrapped headings). It keeps or drops each character on its own, one to one, so
  `search_key_map` can carry a match back to the exact span of the displayed text.
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path

T2S_TABLE = Path(__file__).with_name("data") / "t2s.txt"
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


def _t2s() -> dict[int, str]:
    """Traditional -> simplified, character for character (see scripts/make_t2s.py)."""
    with open(T2S_TABLE, encoding="utf-8") as f:
        return {ord(line[0]): line[1] for line in f if not line.startswith("#") and len(line) >= 2}


T2S = _t2s()
_KEY.update(T2S)
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

    The same mapping as `search_key_map`, in O(log n) a lookup: the j-th dropped
    character has `dropped[j] - j` kept characters before it, a nondecreasing sequence, so
    the dropped characters before the k-th kept one are found by bisection.
    """
    kept_before = [m.start() - j for j, m in enumerate(_DROPPED_RE.finditer(text))]

    def to_text(k: int) -> int:
        return k + bisect.bisect_right(kept_before, k)

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
