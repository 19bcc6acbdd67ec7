"""Query understanding: tiers, words, synonyms, traditional characters, slips, modes.

The truth is computed here from the parsed records (`seed_records`) with plain string
tests on `normalize.search_key`, never by asking the index.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit.errors import UsageError
from searchkit.index import open_snapshot, update_index
from searchkit.normalize import search_key
from searchkit.query import Filters, search
from searchkit.query.understand import STOPWORDS

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
TIER_ORDER = {"exact": 0, "words": 1, "partial": 2}
SENTENCE_END = re.compile(r"[。！？；!?;…]+[”’」』)）]*")


def keys(record) -> list[str]:
    return [search_key(record.title), search_key(record.toc_title), search_key(record.body), search_key(record.org),
            *(search_key(a) for a in record.authors)]


def holds(record, key: str) -> bool:
    return any(key in k for k in keys(record))


@pytest.fixture(scope="session")
def records(seed_records):
    return {r.id: r for r in seed_records}


def run(snapshot, query, **kw):
    return search(snapshot, query, limit=None, **kw)


def check_tiers(result, records):
    """Hits are unique, in tier order, and each holds what its tier promises."""
    ids = [h.id for h in result.hits]
    assert len(ids) == len(set(ids))
    order = [TIER_ORDER[h.match] for h in result.hits]
    assert order == sorted(order), "a looser hit ranks above a stricter one"
    assert result.total == len(ids) == sum(result.tiers.values())
    words = result.understood.words
    for hit in result.hits:
        if hit.match == "words":
            for w in words:
                assert any(holds(records[hit.id], k) for k in w.keys), (hit.id, w.key)


# --------------------------------------------------------------------------- the seven searches of issue 9


def test_a_district_and_a_topic_without_spaces(seed_snapshot, records):
    result = run(seed_snapshot, "西湖区代表联络站")
    assert [w.key for w in result.understood.words] == ["西湖区", "代表联络站"]
    first = records[result.hits[0].id]
    assert holds(first, "西湖区") and holds(first, "代表联络站")
    check_tiers(result, records)


@pytest.mark.parametrize("query, words", [
    ("代表联络站建设", ["代表联络站", "建设"]),
    ("提升代表履职能力", ["提升", "代表", "履职", "能力"]),
])
def test_unsegmented_queries_find_records_with_all_their_words(seed_snapshot, records, query, words):
    result = run(seed_snapshot, query)
    assert [w.key for w in result.understood.words] == words
    truth = {rid for rid, r in records.items() if all(holds(r, w) for w in words)}
    got = {h.id for h in result.hits if h.match in ("exact", "words")}
    assert truth and got == truth  # a segmentation difference never hides a hit
    check_tiers(result, records)


def test_a_question_drops_its_function_words(seed_snapshot, records):
    result = run(seed_snapshot, "怎样让代表更好地联系群众")
    understood = result.understood.to_dict()
    assert understood["words"] == ["代表", "联系群众"]
    assert {"怎样", "让", "地"} <= set(understood["dropped"]) <= STOPWORDS
    assert result.hits and all(holds(records[h.id], "联系群众") for h in result.hits if h.match != "partial")
    check_tiers(result, records)


def test_a_plain_query_finds_the_bylines(seed_snapshot, records):
    truth = {rid for rid, r in records.items() if "李兴军" in r.authors}
    result = run(seed_snapshot, "李兴军")
    assert len(truth) >= 2 and {h.id for h in result.hits if h.match == "exact"} == truth
    unit = run(seed_snapshot, "代表工委")
    assert {rid for rid, r in records.items() if "代表工委" in r.org} <= {h.id for h in unit.hits if h.match == "exact"}


def test_traditional_characters_find_the_simplified_text_and_back(seed_snapshot, records):
    for query in ("西湖龍井", "西湖龙井"):
        exact = {h.id for h in run(seed_snapshot, query).hits if h.match == "exact"}
        assert exact == {rid for rid, r in records.items() if holds(r, "西湖龙井")}
    byline = [rid for rid, r in records.items() if "鄧珍" in r.authors]
    assert byline and {h.id for h in run(seed_snapshot, "邓珍", exact=True).hits} == set(byline)
    hit = run(seed_snapshot, "邓珍").hits[0]
    assert hit.authors == ["鄧珍"]  # the bulletin's own characters are shown


def test_an_input_method_slip_is_offered_never_applied(seed_snapshot, records):
    result = run(seed_snapshot, "代表连络站")
    assert not [h for h in result.hits if h.match != "partial"]
    correction = [s for s in result.suggestions if s.kind == "correction"]
    assert correction and correction[0].query == "代表联络站"
    fixed = search(seed_snapshot, "代表联络站", limit=None, tiers=("exact", "words"))
    assert correction[0].hits == fixed.total > 0


def test_no_hits_only_when_nothing_is_related(seed_snapshot):
    result = run(seed_snapshot, "量子纠缠")
    assert result.total == 0 and result.hits == []
    assert result.understood.to_dict()["words"] == ["量子纠缠"]


def test_a_filter_to_drop_is_suggested_with_its_count(seed_snapshot, records):
    result = run(seed_snapshot, "西湖龙井", filters=Filters(districts=("滨江",)))
    assert result.total == 0
    drop = [s for s in result.suggestions if s.kind == "drop_filter"]
    assert [(s.option, s.hits) for s in drop] == [("--district 滨江", 1)]


# --------------------------------------------------------------------------- properties over generated queries


@st.composite
def unspaced_query(draw, records):
    """Two or three words of one record, run together as a reader types them."""
    rid = draw(st.sampled_from(sorted(records)))
    words = re.findall(r"[\u4e00-\u9fff]{2,4}", records[rid].body)
    picked = draw(st.lists(st.sampled_from(words), min_size=2, max_size=3, unique=True))
    return rid, "".join(picked)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_tiers_keep_their_promises_on_generated_queries(seed_snapshot, records, data):
    rid, query = data.draw(unspaced_query(records), label="query")
    result = run(seed_snapshot, query)
    check_tiers(result, records)
    exact = {h.id for h in result.hits if h.match == "exact"}
    assert exact == {r for r, rec in records.items() if holds(rec, search_key(query))}
    words = result.understood.words
    truth = {r for r, rec in records.items() if all(any(holds(rec, k) for k in w.keys) for w in words)}
    assert {h.id for h in result.hits if h.match in ("exact", "words")} == truth | exact
    if all(holds(records[rid], w.key) for w in words):
        assert rid in {h.id for h in result.hits}  # the record the words came from is found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_exact_and_words_tiers_obey_set_logic(seed_snapshot, records, data):
    a = data.draw(unspaced_query(records))[1]
    b = data.draw(unspaced_query(records))[1]

    def ids(q):
        return {h.id for h in search(seed_snapshot, q, limit=None, with_snippets=False, tiers=("exact", "words")).hits}

    assert ids(f"{a} OR {b}") == ids(a) | ids(b)
    assert ids(f"{a} {b}") == ids(a) & ids(b)


def sentences(record) -> list[str]:
    out = []
    for para in record.body.split("\n"):
        key = search_key(para)
        start = 0
        for m in SENTENCE_END.finditer(key):
            out.append(key[start:m.end()])
            start = m.end()
        out.append(key[start:])
    return out


@pytest.mark.parametrize("query", ["提升代表履职能力", "代表联络站建设", "怎样让代表更好地联系群众", "基层立法联系点作用"])
def test_within_sentence_keeps_words_in_one_sentence_and_ranks_them_first(seed_snapshot, records, query):
    loose = run(seed_snapshot, query)
    words = [w.keys for w in loose.understood.words]

    def together(rid):
        r = records[rid]
        title = search_key(r.title), search_key(r.toc_title)
        return any(all(any(k in s for k in ks) for ks in words) for s in [*title, *sentences(r)])

    within = run(seed_snapshot, query, within="sentence")
    words_hits = [h for h in within.hits if h.match == "words"]
    assert all(together(h.id) for h in words_hits)
    assert {h.id for h in words_hits} == {h.id for h in loose.hits if h.match == "words" and together(h.id)}
    levels = [{"sentence": 2, "paragraph": 1, "": 0}[h.proximity] for h in loose.hits if h.match == "words"]
    assert levels == sorted(levels, reverse=True)


# --------------------------------------------------------------------------- modes, fields, synonyms


def test_exact_mode_is_the_exact_tier_alone(seed_snapshot):
    for query in ("西湖区代表联络站", "提升代表履职能力", "人大常委会", "江干区"):
        loose = run(seed_snapshot, query)
        strict = run(seed_snapshot, query, exact=True)
        assert [h.id for h in strict.hits] == [h.id for h in loose.hits if h.match == "exact"]
        assert strict.understood.to_dict()["expansions"] == []


def test_quotes_keep_a_phrase_exact(seed_snapshot, records):
    result = run(seed_snapshot, '"西湖区代表联络站"')
    assert result.total == 0  # no record holds the phrase; its words apart do not count
    assert result.understood.to_dict()["exact"] == ["西湖区代表联络站"]


def test_org_field_and_filter(seed_snapshot, records):
    truth = {rid for rid, r in records.items() if "上城区" in r.org}
    assert truth
    assert {h.id for h in run(seed_snapshot, "org:上城区").hits} == truth
    assert {h.id for h in run(seed_snapshot, "人大", filters=Filters(orgs=("上城区",)), exact=True).hits} == truth


def test_shipped_synonyms_expand_in_the_words_tier_only(seed_snapshot, records):
    result = run(seed_snapshot, "江干区")
    expansion = result.understood.to_dict()["expansions"]
    assert expansion and set(expansion[0]["alternatives"]) == {"上城区", "钱塘区"} and "2021" in expansion[0]["label"]
    assert not [h for h in result.hits if h.match == "exact"]
    assert {h.id for h in result.hits if h.match == "words"} == {
        rid for rid, r in records.items() if holds(r, "上城区") or holds(r, "钱塘区")}


@pytest.fixture
def own_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("synonyms") / "index"
    update_index([SEEDS], root)
    return root


def test_a_user_synonym_file_next_to_the_index(own_index, records):
    (own_index / "synonyms.txt").write_text("# 我的同义词\n茶叶品牌 => 西湖龙井  # 地理标志\n", encoding="utf-8")
    result = run(open_snapshot(own_index), "茶叶品牌")
    assert result.understood.to_dict()["expansions"] == [
        {"word": "茶叶品牌", "alternatives": ["西湖龙井"], "label": "地理标志"}]
    assert {h.id for h in result.hits if h.match == "words"} == {rid for rid, r in records.items() if holds(r, "西湖龙井")}
    assert run(open_snapshot(own_index), '"茶叶品牌"').total == 0


@pytest.mark.parametrize("content, where", [
    ("只有一个词\n", ":1:"), ("甲 => \n", ":1:"), ("# ok\n甲 => 乙 => 丙\n", ":2:")])
def test_a_malformed_synonym_file_is_a_one_line_error(own_index, content, where):
    (own_index / "synonyms.txt").write_text(content, encoding="utf-8")
    with pytest.raises(UsageError) as info:
        run(open_snapshot(own_index), "西湖")
    assert where in str(info.value) and "\n" not in str(info.value)


# --------------------------------------------------------------------------- the terminal and the languages


def cli(*args, lang="en"):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
    env.update(SEARCHKIT_LANG=lang, NO_COLOR="1")
    return subprocess.run([sys.executable, "-c", "from searchkit.cli import main; main()", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_the_explanation_in_both_languages(seed_index_dir):
    en = cli("search", "西湖区代表联络站", "--index-dir", str(seed_index_dir))
    assert en.returncode == 0, en.stderr
    assert en.stdout.splitlines()[0].startswith("Understood as: 西湖区 + 代表联络站 — exact 0, ")
    zh = cli("search", "西湖区代表联络站", "--index-dir", str(seed_index_dir), lang="zh")
    assert zh.stdout.splitlines()[0].startswith("理解为：西湖区 + 代表联络站 — 完整匹配 0 篇，")
    slip = cli("search", "代表连络站", "--index-dir", str(seed_index_dir), lang="zh")
    assert re.search(r"^  您是不是要找：代表联络站（\d+ 篇）$", slip.stdout, re.M), slip.stdout


def test_every_message_has_its_translation():
    """scripts/messages.py: every `_()` message of the code is in every compiled catalog."""
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "messages.py")], capture_output=True, text=True)
    assert result.returncode == 0 and "missing" not in result.stdout, result.stdout


def test_the_json_carries_tiers_and_understanding(seed_index_dir):
    result = cli("search", "提升代表履职能力", "--format", "json", "--index-dir", str(seed_index_dir), "-n", "0")
    data = json.loads(result.stdout)
    assert data["understood"]["words"] == ["提升", "代表", "履职", "能力"]
    assert {h["match"] for h in data["hits"]} <= {"exact", "words", "partial"}
    assert data["total"] == len(data["hits"]) == sum(data["tiers"].values())
    assert {"id", "score", "title", "snippets", "title_highlights", "source"} <= set(data["hits"][0])


def test_the_shipped_pinyin_table_is_what_pypinyin_makes():
    """data/pinyin.txt (for slip corrections) is pypinyin's, regenerated by scripts/make_pinyin.py."""
    pytest.importorskip("pypinyin")
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_pinyin", ROOT / "scripts" / "make_pinyin.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "searchkit" / "data" / "pinyin.txt").read_text(encoding="utf-8") == module.table()


@pytest.mark.parametrize("code", ["zq2024", "2024zq", "xk697"])
def test_a_code_has_no_parts_to_match_in_part(seed_snapshot, code):
    """A code or a number no record holds finds nothing: its digits (2024, 697) are in many
    records, but only Chinese words count in part through their pieces."""
    result = search(seed_snapshot, code, limit=None)
    assert result.total == 0 and result.hits == []
