"""Regenerate `searchkit/data/pinyin.txt`, the toneless pinyin of each Chinese character.

The readings are pypinyin's (MIT): for every character of the CJK blocks, its most common
reading without tone (`lazy_pinyin`), grouped as one line per syllable: `lian 连联怜…`.
searchkit uses it only to propose corrections for input-method slips (`query/suggest.py`):
shipping the table keeps pypinyin's half-second import out of the search process.

    pip install pypinyin && python scripts/make_pinyin.py

`tests/test_understand.py` checks that the shipped table is what this script makes.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

TABLE = Path(__file__).resolve().parent.parent / "searchkit" / "data" / "pinyin.txt"
RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000))
HEADER = """\
# Toneless pinyin of Chinese characters, one syllable a line: the syllable, a space, the
# characters read that way (their most common reading). Generated from pypinyin
# (https://github.com/mozillazg/python-pinyin, MIT License) by scripts/make_pinyin.py; do not edit.
"""


def table() -> str:
    from pypinyin import lazy_pinyin

    groups: dict[str, list[str]] = defaultdict(list)
    for lo, hi in RANGES:
        for code in range(lo, hi):
            char = chr(code)
            reading = lazy_pinyin(char, errors=lambda _: [""])[0]
            if reading and reading.isascii() and reading.isalpha():
                groups[reading].append(char)
    return HEADER + "".join(f"{syllable} {''.join(chars)}\n" for syllable, chars in sorted(groups.items()))


if __name__ == "__main__":
    TABLE.write_text(table(), encoding="utf-8")
    print(f"wrote {TABLE}", file=sys.stderr)
