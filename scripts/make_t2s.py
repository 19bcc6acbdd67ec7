"""Regenerate `searchkit/data/t2s.txt`, the traditional -> simplified character table.

The table is OpenCC's (Apache-2.0): every CJK character is converted on its own with
OpenCC's `t2s` configuration, and the ones that change become a line `繁简`. Converting
one character at a time keeps the fold one-to-one, so a match in folded text maps back to
the same span of the original. Characters that are also ordinary simplified characters in
their own right (乾 in 乾潭镇, 乾隆) are left alone: folding them would make 干 find 乾.

    pip install opencc && python scripts/make_t2s.py

`tests/test_normalize.py` checks that the shipped table is what this script makes.
"""

from __future__ import annotations

import sys
from pathlib import Path

TABLE = Path(__file__).resolve().parent.parent / "searchkit" / "data" / "t2s.txt"
RANGES = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00), (0x20000, 0x2EBF0), (0x30000, 0x3134B))
KEEP = "乾"  # also a simplified character: 乾坤, 乾隆, 乾潭镇 (建德市)
HEADER = """\
# Traditional -> simplified, one character for one: each line is a traditional character
# and its simplified form. Generated from OpenCC's t2s conversion (OpenCC,
# https://github.com/BYVoid/OpenCC, Apache License 2.0) by scripts/make_t2s.py; do not edit.
"""


def table() -> str:
    import opencc

    convert = opencc.OpenCC("t2s.json").convert
    chars = [chr(c) for lo, hi in RANGES for c in range(lo, hi)]
    out = convert("\n".join(chars)).split("\n")
    if len(out) != len(chars):
        raise SystemExit("OpenCC changed the number of lines; cannot pair characters")
    fold = {a: b for a, b in zip(chars, out) if a != b and len(b) == 1 and a not in KEEP}
    for a, b in fold.items():  # 薴 -> 苧 -> 苎: fold straight to the end, so folding twice changes nothing
        while b in fold:
            b = fold[b]
        fold[a] = b
    return HEADER + "".join(a + b + "\n" for a, b in fold.items())


if __name__ == "__main__":
    TABLE.write_text(table(), encoding="utf-8")
    print(f"wrote {TABLE} ({sum(1 for _ in TABLE.open(encoding='utf-8')) - 3} characters)", file=sys.stderr)
