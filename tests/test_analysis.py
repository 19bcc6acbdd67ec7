"""analysis: the jieba tokenizer and filters that feed BM25F.

What highlighting and phrase scoring depend on: token character offsets slice back to the
token, positions are word ordinals, and Whoosh's tokenizer arguments are honoured.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit.analysis import DOMAIN_DICT, ChineseAnalyzer, JiebaTokenizer, segmenter, use_dictionaries
from searchkit.normalize import search_key


@pytest.fixture(autouse=True)
def _domain_dictionary_only():
    """Segment with the shipped dictionary only (an index update may have switched it)."""
    use_dictionaries(())
    yield
    use_dictionaries(())


def tokens(analyzer, text, **kwargs):
    """Whoosh reuses one Token object; copy out what each token says."""
    return [(t.text, getattr(t, "pos", None), getattr(t, "startchar", None), getattr(t, "endchar", None),
             getattr(t, "original", None))
            for t in analyzer(text, **kwargs)]


def sample_texts(records):
    for r in records:
        yield r.body
        if r.title:
            yield r.title
        if r.toc_title:
            yield r.toc_title


def check_tokenizer(text, start_pos=0, start_char=0):
    toks = tokens(JiebaTokenizer(), text, positions=True, chars=True, keeporiginal=True,
                  start_pos=start_pos, start_char=start_char)
    assert [p for _, p, _, _, _ in toks] == list(range(start_pos, start_pos + len(toks)))
    for word, _, s, e, original in toks:
        assert text[s - start_char : e - start_char] == word
        assert original == word
    # The words tile the text: nothing is dropped or repeated by the tokenizer itself.
    assert "".join(w for w, *_ in toks) == text
    return toks


def check_analyzer(text):
    toks = tokens(ChineseAnalyzer(), text, positions=True, chars=True)
    positions = [p for _, p, _, _, _ in toks]
    assert positions == sorted(set(positions))
    for word, _, s, e, _ in toks:
        assert word and word == search_key(word)
        assert any(c.isalnum() for c in word)
        assert search_key(text[s:e]) == word
    return toks


# --------------------------------------------------------------------------- offsets and positions


def test_tokenizer_offsets_slice_back_on_every_sample_text(seed_records):
    texts = list(sample_texts(seed_records))
    assert len(texts) > 80
    for text in texts:
        check_tokenizer(text)
        check_analyzer(text)


generated_text = st.text(
    alphabet=st.one_of(
        st.sampled_from("西湖龙井茶人大常委会代表联络站全过程人民民主双岗建功新质生产力“”《》、。,:;()+-%."),
        st.sampled_from("ABCDEPAaei0123456789 \n\t\u3000\r\u200b"),
        st.characters(codec="utf-8"),
    ),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(generated_text, st.integers(0, 1000), st.integers(0, 5000))
def test_tokenizer_offsets_slice_back_on_generated_text(text, start_pos, start_char):
    check_tokenizer(text, start_pos, start_char)
    check_analyzer(text)


def test_positions_are_word_ordinals_not_character_offsets():
    text = "市人大常委会积极推动西湖龙井“金字招牌”越擦越亮"
    toks = check_tokenizer(text)
    assert [p for _, p, *_ in toks] == list(range(len(toks)))
    assert toks[-1][1] < toks[-1][2]  # jieba's own adapter would store the char offset here


def test_start_pos_and_start_char_shift_every_token():
    text = "全过程人民民主 代表联络站"
    base = tokens(JiebaTokenizer(), text, positions=True, chars=True)
    shifted = tokens(JiebaTokenizer(), text, positions=True, chars=True, start_pos=7, start_char=100)
    assert [(w, p + 7, s + 100, e + 100) for w, p, s, e, _ in base] == [(w, p, s, e) for w, p, s, e, _ in shifted]


def test_tokenize_false_yields_the_whole_value_once():
    toks = tokens(JiebaTokenizer(), "西湖龙井 茶", positions=True, chars=True, tokenize=False,
                  start_pos=3, start_char=10)
    assert toks == [("西湖龙井 茶", 3, 10, 16, "西湖龙井 茶")]


def test_analyzer_folds_tokens_and_drops_punctuation_and_spaces():
    text = "《杭州市数字贸易促进条例》(DEPA) 余检 e 站,姜 康。"
    words = [w for w, *_ in check_analyzer(text)]
    assert "depa" in words
    assert "e" in words
    assert not any(c in w for w in words for c in "《》()、。, ")


def test_analyzer_offsets_point_at_the_original_text():
    text = "Ｄ Ｅ Ｐ Ａ：ＡＢ餐"
    for word, _, s, e, _ in tokens(ChineseAnalyzer(), text, chars=True):
        assert search_key(text[s:e]) == word


# --------------------------------------------------------------------------- dictionaries


def domain_words():
    return [line.split()[0] for line in DOMAIN_DICT.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("word", ["人大常委会", "人大代表", "代表联络站", "全过程人民民主", "双岗建功", "新质生产力"])
def test_domain_words_the_issue_names_are_in_the_dictionary(word):
    assert word in domain_words()


def test_every_domain_word_stays_one_token():
    split = [w for w in domain_words() if [t for t, *_ in segmenter().tokenize(w)] != [w]]
    assert not split


def test_domain_words_survive_in_running_text():
    words = [w for w, *_ in tokens(JiebaTokenizer(), "深入实践全过程人民民主,引导代表双岗建功,用好人大代表联络站")]
    for word in ("全过程人民民主", "双岗建功"):
        assert word in words


def test_user_dictionary_adds_words(tmp_path):
    invented = "绘好三张图"
    assert invented not in [w for w, *_ in segmenter().tokenize("上城区绘好三张图推动监督")]
    userdict = tmp_path / "userdict.txt"
    userdict.write_text(f"{invented} 100 n\n", encoding="utf-8")
    use_dictionaries([userdict])
    assert invented in [w for w, *_ in segmenter().tokenize("上城区绘好三张图推动监督")]
    use_dictionaries(())
    assert invented not in [w for w, *_ in segmenter().tokenize("上城区绘好三张图推动监督")]


def test_loading_dictionaries_leaves_no_file_open(tmp_path):
    """Loading dictionaries leaves no file open (a ResourceWarning under -W error)."""
    import gc
    import warnings

    userdict = tmp_path / "userdict.txt"
    userdict.write_text("三张图 10 n\n", encoding="utf-8")
    use_dictionaries([userdict])  # a dictionary set not loaded before: segmenter() loads afresh
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        segmenter()
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
