"""normalize: width folding and the search key that all matching compares."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit.normalize import fold_width, search_key, search_key_map

ALL_CHARS = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]
SPACES = [c for c in ALL_CHARS if c.isspace()]
# Invisible format characters that converters leave behind; matching ignores them too.
INVISIBLE = ["\x00", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]  # NUL also separates documents in the store

# Text that looks like the bulletin: Han characters, both widths of ASCII, every kind of space.
bulletin_text = st.text(
    alphabet=st.sampled_from("西湖龙井人大代表联络站“”《》、。,:()：（），ＡＢＣａｂ１２AbCdz09-+"
                             + "".join(SPACES) + "".join(INVISIBLE)),
    max_size=60,
)


# --------------------------------------------------------------------------- fold_width


@pytest.mark.parametrize("text, folded", [
    ("：（），；！？", ":(),;!?"),
    ("ＡＢＣ１２３ａｂｃ", "ABC123abc"),
    ("上城区：绘好（三张图）", "上城区:绘好(三张图)"),
    ("２０２４年", "2024年"),
    ("\u3000姜\u3000康", " 姜 康"),
    ("～＂＃", '~"#'),
    ("“金字招牌”《条例》、。", "“金字招牌”《条例》、。"),  # CJK punctuation has no halfwidth twin
    ("⦅｡", "⦅｡"),  # U+FF5F and later are not fullwidth ASCII
])
def test_fold_width_examples(text, folded):
    assert fold_width(text) == folded


@given(st.text())
def test_fold_width_keeps_length_and_is_idempotent(text):
    folded = fold_width(text)
    assert len(folded) == len(text)
    assert fold_width(folded) == folded
    assert search_key(folded) == search_key(text)


# --------------------------------------------------------------------------- search_key


@pytest.mark.parametrize("text, key", [
    ("西湖 龙井", "西湖龙井"),
    ("姜 康", "姜康"),
    ("DEPA", "depa"),
    ("ＤＥＰＡ", "depa"),
    ("余检 e 站", "余检e站"),
    ("2024\u3000年", "2024年"),
    ("组长的专\n\n项课题组", "组长的专项课题组"),
    ("全省 人大代表\r\n工作", "全省人大代表工作"),
    ("\ufeff西\u200b湖\u00a0区", "西湖区"),
    ("上城区：绘好（三张图）", "上城区:绘好(三张图)"),
])
def test_search_key_examples(text, key):
    assert search_key(text) == key


def test_search_key_drops_every_unicode_space():
    assert search_key("".join(SPACES)) == ""
    assert search_key("".join(INVISIBLE)) == ""


def test_search_key_is_one_to_one_on_every_character():
    """Each character is kept as one character or dropped, never expanded: spans map back."""
    kept = {c: search_key(c) for c in ALL_CHARS}
    assert all(len(k) <= 1 for k in kept.values())
    assert {c for c, k in kept.items() if not k} == set(SPACES) | set(INVISIBLE)  # nothing else disappears
    assert all(k == c for c, k in kept.items()
               if k and not ("A" <= c <= "Z" or 0xFF01 <= ord(c) <= 0xFF5E))


@given(st.text())
def test_search_key_removes_all_whitespace(text):
    key = search_key(text)
    assert not any(c.isspace() for c in key)
    assert key == search_key(key)  # idempotent
    assert not any("A" <= c <= "Z" for c in key)
    ascii_folded = "".join(c.lower() if c.isascii() else c for c in text)
    assert search_key(ascii_folded) == key  # ASCII case is ignored


@given(st.text())
def test_search_key_map_points_back_at_the_source(text):
    key, where = search_key_map(text)
    assert key == search_key(text)
    assert len(where) == len(key)
    assert where == sorted(set(where))  # strictly increasing
    for i, c in zip(where, key):
        assert search_key(text[i]) == c
    dropped = set(range(len(text))) - set(where)
    assert all(search_key(text[i]) == "" for i in dropped)


@settings(max_examples=300)
@given(bulletin_text, st.data())
def test_search_key_map_carries_a_match_to_its_displayed_span(text, data):
    """A substring of the key maps to the exact displayed span: no leading/trailing spaces."""
    key, where = search_key_map(text)
    if not key:
        return
    s = data.draw(st.integers(0, len(key) - 1))
    e = data.draw(st.integers(s + 1, len(key)))
    a, b = where[s], where[e - 1] + 1
    assert search_key(text[a:b]) == key[s:e]
    assert search_key(text[a]) and search_key(text[b - 1])


@given(st.text(alphabet=st.sampled_from("西湖 龙井\n\t　ＡａB：:\u200b\ufeff\x1f"), max_size=60))
def test_key_offsets_agrees_with_search_key_map(text):
    from searchkit.normalize import key_offsets

    folded, where = search_key_map(text)
    folded2, to_text = key_offsets(text)
    assert folded2 == folded
    assert [to_text(k) for k in range(len(folded))] == where
