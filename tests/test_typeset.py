"""typeset: Chinese line breaking by display width, with basic kinsoku, over generated text."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit.typeset import NO_END, NO_START, cells, wrap

PIECES = st.sampled_from(list("人大代表联络站西湖龙井监督") + list("。，、”）“（《") + [" ", "DEPA", "2024", "6.5%", "e"])


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, min_size=1, max_size=120).map("".join), st.sampled_from([10, 20, 37, 58, 118]))
def test_lines_fit_keep_the_text_and_respect_kinsoku(text, width):
    lines = wrap(text, width)
    assert all(cells(line) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")  # nothing lost, only spaces at breaks
    for before, after in zip(lines, lines[1:]):
        if before and after:
            # A closing mark may start a line only when the line before holds nothing else to
            # move: one character, one word, or marks alone.
            alone = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.%+\-_/]*|.", before.rstrip())
            assert after[0] not in NO_START or alone or all(c in NO_START | NO_END for c in before), (before, after)
            assert before[-1] not in NO_END or all(c in NO_END for c in before), (before, after)


def test_a_space_inside_chinese_text_is_not_a_break():
    """Lines are filled to the width: `在 52 个村社` does not break after `52` early."""
    text = "建成投用区人大代表联络总站,在 52 个村社、产业园区和企业设立选区站。出台代表联络站规范化建设文件"
    for width in (20, 30, 40, 60):
        lines = wrap(text, width)
        assert all(cells(line) >= width - 3 for line in lines[:-1]), (width, lines)
