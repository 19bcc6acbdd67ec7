"""Line breaking for Chinese text in a terminal: by display width, with basic kinsoku.

* Chinese characters take two columns and a line may break between any two of them; a
  space inside Chinese text is an ordinary character, not a preferred place to break
  (`在 52 个村社` does not break after `52` when the line has room).
* Latin words and numbers (`DEPA`, `2024`, `6.5%`) are not split unless longer than a line.
* Kinsoku: closing punctuation (`。，、」”）…`) never starts a line and opening punctuation
  (`“（《「`) never ends one: the character before (or the opening mark) moves to the next
  line instead, so no line is wider than asked.
"""

from __future__ import annotations

import re
import unicodedata

NO_START = set("。，、；：？！）》」』”’〕】〉…—·%,.;:?!)]}" + "ー々〻")
NO_END = set("“‘（《「『〔【〈([{")
_PIECE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.%+\-_/]*|.", re.S)


def cells(text: str) -> int:
    """Display width: wide and fullwidth characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def breaks(text: str, width: int) -> list[int]:
    """Offsets where `text` (one paragraph, no newlines) should break to fit `width` columns."""
    width = max(width, 4)
    pieces = [(m.start(), m.group()) for m in _PIECE.finditer(text)]
    out: list[int] = []
    line_start, used = 0, 0
    i = 0
    while i < len(pieces):
        start, piece = pieces[i]
        w = cells(piece)
        if used + w <= width or start == line_start:
            if w > width and start == line_start and len(piece) > 1:  # a word longer than a line: cut it
                cut = start + _fit(piece, width)
                pieces[i:i + 1] = [(start, text[start:cut]), (cut, text[cut:start + len(piece)])]
                continue
            used += w
            i += 1
            continue
        at = i
        # Kinsoku: the next line may not start with closing punctuation (spaces at a break
        # are dropped, so what counts is the first piece after them), nor may this one end
        # with opening punctuation or a space: move characters down.
        while at > 0 and pieces[at - 1][0] > line_start and (
                _first_shown(pieces, at) in NO_START or pieces[at - 1][1] in NO_END or pieces[at - 1][1].isspace()):
            at -= 1
        if pieces[at][0] == line_start:  # nothing could move: break where it overflows
            at = i
        out.append(pieces[at][0])
        line_start, used, i = pieces[at][0], 0, at
        while i < len(pieces) and pieces[i][1] == " " and pieces[i][0] == line_start:
            i += 1  # a line never starts with a space
            line_start = pieces[i][0] if i < len(pieces) else len(text)
            out[-1] = line_start
    return out


def _first_shown(pieces, at: int) -> str:
    while at < len(pieces) and pieces[at][1] == " ":
        at += 1
    return pieces[at][1] if at < len(pieces) else ""


def _fit(word: str, width: int) -> int:
    used = 0
    for n, c in enumerate(word):
        used += cells(c)
        if used > width:
            return max(n, 1)
    return len(word)


def wrap(text: str, width: int) -> list[str]:
    """`text` as lines of at most `width` columns (each paragraph broken by `breaks`)."""
    lines: list[str] = []
    for para in text.split("\n"):
        at = [0, *breaks(para, width), len(para)]
        lines.extend(para[a:b].rstrip() for a, b in zip(at, at[1:]))
    return lines
