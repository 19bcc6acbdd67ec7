"""analysis: jieba's words as the index counts them, for query understanding and BM25F.

What the word tables depend on: the words are jieba's, folded as matching folds text, with
punctuation and spaces dropped, and nothing else changed.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit.analysis import DOMAIN_DICT, record_words, segmenter, use_dictionaries, words
from searchkit.normalize import search_key


@pytest.fixture(autouse=True)
def _domain_dictionary_only():
    """Segment with the shipped dictionary only (an index update may have switched it)."""
    use_dictionaries(())
    yield
    use_dictionaries(())


def sample_texts(records):
    for r in records:
        yield r.body
        if r.title:
            yield r.title
        if r.toc_title:
            yield r.toc_title


def check_words(text):
    """`words` is jieba's segmentation of the text, each word folded, punctuation dropped."""
    raw = segmenter().cut(text, True)
    assert "".join(raw) == text  # jieba's words tile the text
    expected = [search_key(w) for w in raw]
    expected = [w for w in expected if any(c.isalnum() for c in w)]
    got = words(text)
    assert got == expected
    for w in got:
        assert w and w == search_key(w)
    return got


# --------------------------------------------------------------------------- words


def test_words_of_every_sample_text(seed_records):
    texts = list(sample_texts(seed_records))
    assert len(texts) > 80
    for text in texts:
        check_words(text)


generated_text = st.text(
    alphabet=st.one_of(
        st.sampled_from("西湖龙井茶人大常委会代表联络站全过程人民民主双岗建功新质生产力“”《》、。,:;()+-%."),
        st.sampled_from("ABCDEPAaei0123456789 \n\t\u3000\r\u200b"),
        st.characters(codec="utf-8"),
    ),
    max_size=80,
)


@settings(max_examples=200, deadline=None)
@given(generated_text)
def test_words_of_generated_text(text):
    check_words(text)


def test_words_fold_and_drop_punctuation_and_spaces():
    text = "《杭州市数字贸易促进条例》(DEPA) 余检 e 站,姜 康。Ｄ Ｅ Ｐ Ａ：ＡＢ餐"
    got = check_words(text)
    assert "depa" in got
    assert "e" in got
    assert not any(c in w for w in got for c in "《》()、。, ：")


def test_record_words_count_titles_body_and_byline(seed_records):
    r = next(r for r in seed_records if r.authors and r.org and r.toc_title)
    counts = record_words(r.to_dict())
    texts = [f"{r.title}\n{r.toc_title}", r.body, " ".join([r.org, *r.authors])]
    expected: dict[str, int] = {}
    for text in texts:
        for w in words(text):
            expected[w] = expected.get(w, 0) + 1
    assert counts == expected
    assert all(search_key(a) in counts or len(words(a)) > 1 for a in r.authors)


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
    found = words("深入实践全过程人民民主,引导代表双岗建功,用好人大代表联络站")
    for word in ("全过程人民民主", "双岗建功"):
        assert word in found


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
