"""Stage 5, the way out: text from outside made safe for a terminal.

Issue text, file names and queries come from elsewhere. Printed raw, they can drive the
terminal: ESC and CSI sequences (clear the screen, recolour), OSC 52 (write the
clipboard), OSC 8 (hyperlinks), C1 controls (a one-byte CSI), bidi overrides that show a
line in another order than it is, zero-width characters that hide text, and a newline
that forges a second `Error:` line. `visible` shows each of those as a Python-style
escape (`\\x1b`, `\\u202e`), so the reader sees that it is there and nothing happens; a
file name's undecodable bytes (surrogate escapes) show as `\\xNN`. `one_line` does the
same to newlines, for messages that must stay one line.

Applied where text leaves the program for people: the rich console of `render` and the
CLI's error boundary. JSON and CSV keep the text exact; their formats escape it.
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls; bidi marks, embeddings, overrides and
# isolates; zero-width characters and other invisible formatting; line/paragraph
# separators; lone surrogates (undecodable bytes of a file name).
_UNSAFE = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff"
)
_UNSAFE_RE = re.compile(f"[{_UNSAFE}]")
_UNSAFE_LINE_RE = re.compile(f"[{_UNSAFE}\n]")


def _escape(m: re.Match) -> str:
    c = m.group()
    n = ord(c)
    if 0xDC80 <= n <= 0xDCFF:  # os.fsdecode's escape of an undecodable byte
        return f"\\x{n - 0xDC00:02x}"
    if n < 0x100:
        return {"\n": "\\n", "\r": "\\r"}.get(c, f"\\x{n:02x}")
    return f"\\u{n:04x}"


def visible(text: str) -> str:
    """`text` with every control, bidi, zero-width and undecodable character shown as an escape;
    newlines and tabs kept."""
    return _UNSAFE_RE.sub(_escape, text)


def one_line(text: str) -> str:
    """`visible`, and newlines shown as `\\n` too: the text stays on one line."""
    return _UNSAFE_LINE_RE.sub(_escape, text)


def is_safe(text: str, newlines: bool = True) -> bool:
    """Whether printing `text` can do nothing but show characters."""
    return not (_UNSAFE_RE if newlines else _UNSAFE_LINE_RE).search(text)
