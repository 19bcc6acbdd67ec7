"""The OpenSearch export and query translation (searchkit/opensearch.py, docs/scale-out.md).

No OpenSearch server runs here. What is tested instead:

* the mapping's char filter, applied as OpenSearch's `mapping` char filter applies it,
  folds text exactly as `normalize.search_key` does (so `match_phrase` on a per-character
  field is a substring test on the search key, the exact tier);
* the bulk files are valid NDJSON, action and document in pairs, one document per live
  record, with the records' fields and the index's own jieba words;
* the translator's request JSON for representative queries equals the expected JSON;
* evaluated over the exported documents by a small interpreter of the query clauses used
  (`Evaluator`: a phrase is a substring of the folded value, a word a whitespace token),
  the translated tiers select the same records as searchkit's tiers.
"""

from __future__ import annotations

import json
import re

import pytest

from searchkit.cli import main
from searchkit.normalize import search_key
from searchkit.opensearch import (MAPPING_FILE, PARAGRAPH_MARK, TEXT_FIELDS, apply_mappings, index_body,
                                  key_mappings, mapping_table, translate, write_export)
from searchkit.query import Filters, search

FIELDS = list(TEXT_FIELDS)


def ANY(key):
    """The exact-tier test for a key: a phrase in any text field."""
    return {"multi_match": {"query": key, "type": "phrase", "fields": FIELDS}}


def ALL(*clauses):
    return {"bool": {"filter": list(clauses)}}


def ONE_OF(*clauses):
    return {"bool": {"should": list(clauses), "minimum_should_match": 1}}


def NOT(clause):
    return {"bool": {"must_not": [clause]}}


def tiers(body) -> dict:
    return body["aggs"]["tiers"]["filters"]["filters"]


# --------------------------------------------------------------------------- the export


@pytest.fixture(scope="module")
def exported(seed_snapshot, tmp_path_factory):
    folder = tmp_path_factory.mktemp("opensearch") / "out"
    count, names = write_export(seed_snapshot, str(folder))
    return folder, count, names


@pytest.fixture(scope="module")
def docs(exported) -> list[dict]:
    folder, _, names = exported
    out = []
    for name in names[1:]:
        lines = (folder / name).read_text(encoding="utf-8").split("\n")
        assert lines[-1] == "", "NDJSON ends with a newline"
        objects = [json.loads(line) for line in lines[:-1]]
        assert len(objects) % 2 == 0
        for action, doc in zip(objects[::2], objects[1::2]):
            assert action == {"index": {"_id": doc["id"]}}
            out.append(doc)
    return out


def test_export_writes_mapping_and_bulk_files(exported):
    folder, count, names = exported
    assert names == [MAPPING_FILE, "bulk-001.ndjson"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(names)
    mapping = json.loads((folder / MAPPING_FILE).read_text(encoding="utf-8"))
    assert set(mapping) == {"settings", "mappings"}
    props = mapping["mappings"]["properties"]
    for name in ("district", "section", "kind", "id", "publication"):
        assert props[name] == {"type": "keyword"}
    assert props["authors"]["normalizer"] == "sk_key"
    assert props["date"] == {"type": "date", "format": "yyyy-MM-dd"}
    for name in ("title", "toc_title", "body", "org"):
        assert props[name]["analyzer"] == "sk_chars"
    assert props["body"]["fields"]["paragraphs"]["analyzer"] == "sk_paragraphs"
    for name in ("title_words", "body_words", "byline_words"):
        assert props[name]["analyzer"] == "sk_words"
    analysis = mapping["settings"]["analysis"]
    assert analysis["tokenizer"]["sk_char"] == {"type": "ngram", "min_gram": 1, "max_gram": 1, "token_chars": []}
    assert analysis["analyzer"]["sk_words"] == {"type": "custom", "tokenizer": "whitespace"}
    # search-time synonyms, pre-segmented as the index segments: 人大常委会 and its full name
    rules = analysis["filter"]["sk_synonyms"]["synonyms"]
    assert any(r.startswith("人大常委会 => 人大常委会, 人民代表大会") for r in rules)
    assert analysis["filter"]["sk_synonyms"]["type"] == "synonym_graph"


def test_bulk_documents_are_the_index_records(docs, exported, seed_snapshot, seed_records):
    _, count, _ = exported
    assert count == len(docs) == len(seed_snapshot.store.live) == len(seed_records)
    by_id = {r.id: r for r in seed_records}
    assert [d["id"] for d in docs] == [seed_snapshot.store.rows[d].id for d in seed_snapshot.store.live]
    for doc in docs:
        r = by_id[doc["id"]]
        for name in ("title", "toc_title", "body", "org", "district", "section", "issue", "issue_total", "date",
                     "seq", "kind", "publication"):
            assert doc[name] == getattr(r, name), (doc["id"], name)
        assert doc["authors"] == list(r.authors)
        assert doc["source"].endswith(r.source.rsplit("/", 1)[-1])  # the file as the index shows it


def test_bulk_words_are_the_index_words(docs, seed_snapshot):
    """The word fields hold the words the index counted: over the three fields, every word's
    occurrences and documents equal the store's word tables."""
    freq: dict[str, int] = {}
    df: dict[str, int] = {}
    for doc in docs:
        words = [w for field in ("title_words", "body_words", "byline_words") for w in doc[field].split()]
        for w in words:
            freq[w] = freq.get(w, 0) + 1
        for w in set(words):
            df[w] = df.get(w, 0) + 1
    store = seed_snapshot.store
    assert len(df) > 1000
    assert sum(freq.values()) == store.word_total()
    for w in df:
        assert store.word_counts(w) == (freq[w], df[w]), w


def test_export_refuses_to_replace_without_force(exported, seed_snapshot):
    folder, _, _ = exported
    from searchkit.errors import SearchkitError

    with pytest.raises(SearchkitError, match="already holds an export"):
        write_export(seed_snapshot, str(folder))
    assert write_export(seed_snapshot, str(folder), force=True)[0] == len(seed_snapshot.store.live)


def test_export_command(runner, seed_index_dir, tmp_path):
    out = tmp_path / "os"
    result = runner.invoke(main, ["export", "--format", "opensearch", "-o", str(out), "--index-dir",
                                  str(seed_index_dir)])
    assert result.exit_code == 0, result.output
    assert (out / MAPPING_FILE).is_file() and (out / "bulk-001.ndjson").is_file()
    assert "Wrote 51 records for OpenSearch" in result.output
    result = runner.invoke(main, ["export", "西湖", "--format", "opensearch", "-o", str(tmp_path / "x"),
                                  "--index-dir", str(seed_index_dir)])
    assert result.exit_code != 0 and "whole index" in result.output
    assert not (tmp_path / "x").exists()


# --------------------------------------------------------------------------- the char filter


def test_char_filter_is_search_key():
    from searchkit.normalize import _KEY

    rules = key_mappings()
    every = "".join(chr(c) for c in _KEY) + "西湖龍井 ＡＢＣ１２３\u3000\t\r\n𠮷鄧珍，。！"
    assert apply_mappings(rules, every) == search_key(every)
    assert len(rules) == sum(1 for c, v in _KEY.items() if v != chr(c))
    assert all(re.fullmatch(r"(\\u[0-9a-f]{4})+ =>( (\\u[0-9a-f]{4})+)?", r) for r in rules)


def test_char_filter_on_the_seeds(seed_records):
    fold, paragraphs = mapping_table(key_mappings()), mapping_table(key_mappings(PARAGRAPH_MARK))
    for r in seed_records:
        for text in (r.title, r.toc_title, r.body, r.org, *r.authors):
            assert text.translate(fold) == search_key(text)
        assert r.body.translate(paragraphs) == PARAGRAPH_MARK.join(search_key(p) for p in r.body.split("\n"))
    assert PARAGRAPH_MARK.translate(paragraphs) == PARAGRAPH_MARK  # so a query can look for it


def test_index_body_without_synonyms_has_no_synonym_filter():
    body = index_body()
    assert "filter" not in body["settings"]["analysis"]
    assert "sk_words_synonyms" not in body["settings"]["analysis"]["analyzer"]


# --------------------------------------------------------------------------- expected requests


def test_plain_term(seed_snapshot):
    body = translate(seed_snapshot, "龙井")
    assert tiers(body) == {"exact": ANY("龙井"), "words": ALL(ANY("龙井"), NOT(ANY("龙井"))),
                           "partial": ALL(ANY("龙井"), NOT(ANY("龙井")), NOT(ANY("龙井")))}
    assert body["query"]["bool"]["filter"] == [ONE_OF(ANY("龙井"), ANY("龙井"), ANY("龙井"))]
    assert body["query"]["bool"]["should"] == [
        {"constant_score": {"filter": ANY("龙井"), "boost": 10000, "_name": "exact"}},
        {"constant_score": {"filter": ONE_OF({"match_phrase": {"title": "龙井"}}, {"match_phrase": {"toc_title": "龙井"}}),
                            "boost": 50, "_name": "title:龙井"}},
        {"constant_score": {"filter": ANY("龙井"), "boost": 1000, "_name": "words"}},
        {"constant_score": {"filter": ANY("龙井"), "boost": 0, "_name": "partial"}},
        {"combined_fields": {"query": "龙井", "fields": ["title_words^3", "body_words", "byline_words"],
                             "operator": "or"}},
    ]
    assert body["sort"] == ["_score", {"date": "desc"}, {"id": "asc"}]
    assert (body["from"], body["size"], body["track_total_hits"]) == (0, 10, True)
    assert body["highlight"]["fields"]["body"]["number_of_fragments"] == 3


def test_unspaced_multi_word_query(seed_snapshot):
    """西湖区代表联络站: exact as typed; words 西湖区 + 代表联络站; partial: 代表联络站, or the
    word 联络站 inside it (a part, credited 3/4, found as a substring as every word is), never
    西湖区 alone (a district name qualifies a topic, it is never enough by itself)."""
    t = tiers(translate(seed_snapshot, "西湖区代表联络站"))
    assert t["exact"] == ANY("西湖区代表联络站")
    words = ALL(ANY("西湖区"), ANY("代表联络站"))
    assert t["words"] == ALL(words, NOT(ANY("西湖区代表联络站")))
    assert t["partial"] == ALL(ONE_OF(ANY("代表联络站"), ANY("联络站")), NOT(ANY("西湖区代表联络站")), NOT(words))


def test_question_drops_stop_words_and_scores_the_words(seed_snapshot):
    body = translate(seed_snapshot, "怎样让代表更好地联系群众")
    assert tiers(body)["words"]["bool"]["filter"][0] == ALL(ANY("代表"), ANY("联系群众"))
    assert body["query"]["bool"]["should"][-1]["combined_fields"]["query"] == "代表 联系群众"


def test_quoted_phrase_stays_exact(seed_snapshot):
    key = "数字贸易"
    t = tiers(translate(seed_snapshot, '"数字 贸易"'))
    assert t["exact"] == ANY(key)
    assert t["words"] == ALL(ANY(key), NOT(ANY(key)))  # no words, no synonyms: the phrase itself


def test_or_and_not(seed_snapshot):
    t = tiers(translate(seed_snapshot, "西湖 OR 滨江"))
    assert t["exact"] == ONE_OF(ANY("西湖"), ANY("滨江"))
    t = tiers(translate(seed_snapshot, "人大 -西湖"))
    assert t["exact"] == ALL(ANY("人大"), NOT(ANY("西湖")))
    assert t["words"] == ALL(ALL(ANY("人大"), NOT(ANY("西湖"))), NOT(t["exact"]))


def test_field_terms_and_filters(seed_snapshot):
    body = translate(seed_snapshot, "title:龙井 author:李寄 district:西湖 section:监督纵横 org:代表工委",
                     Filters(districts=("余杭",), sections=("简讯",), since="2024-06", until="2025",
                             issues=(9,), authors=("鄧珍",), orgs=("上城区",)))
    title = ONE_OF({"match_phrase": {"title": "龙井"}}, {"match_phrase": {"toc_title": "龙井"}})
    exact = ALL(title, {"term": {"authors": "李寄"}}, {"term": {"district": "西湖区"}},
                {"term": {"section": "监督纵横"}}, {"match_phrase": {"org": "代表工委"}})
    assert tiers(body)["exact"] == exact
    assert body["query"]["bool"]["filter"][:-1] == [
        {"terms": {"district": ["余杭区"]}},
        {"terms": {"section": ["信息摘登"]}},
        ONE_OF({"terms": {"issue": [9]}}, {"terms": {"issue_total": [9]}}),
        {"range": {"date": {"gte": "2024-06-01", "lte": "2025-12-31"}}},
        {"terms": {"authors": ["邓珍"]}},
        {"match_phrase": {"org": "上城区"}},
    ]


def test_synonyms_in_the_words_tier_only(seed_snapshot):
    t = tiers(translate(seed_snapshot, "人大常委会"))
    assert t["exact"] == ANY("人大常委会")
    either = ONE_OF(ANY("人大常委会"), ANY("人民代表大会常务委员会"))
    assert t["words"] == ALL(either, NOT(ANY("人大常委会")))
    t = tiers(translate(seed_snapshot, '"人大常委会"'))
    assert "人民代表大会常务委员会" not in json.dumps(t, ensure_ascii=False)


def test_exact_mode(seed_snapshot):
    body = translate(seed_snapshot, "人大常委会 联络站", exact=True)
    assert tiers(body) == {"exact": ALL(ANY("人大常委会"), ANY("联络站"))}
    names = [c.get("constant_score", {}).get("_name") for c in body["query"]["bool"]["should"]]
    assert names == ["exact", "title:人大常委会", "title:联络站", None]
    assert "人民代表大会常务委员会" not in json.dumps(body, ensure_ascii=False)


def _interval(key):
    return {"match": {"query": key, "max_gaps": 0, "ordered": True}}


def test_within_sentence(seed_snapshot):
    body = translate(seed_snapshot, "代表 联络站", within="sentence")
    ends = {"any_of": {"intervals": [{"match": {"query": e}} for e in ("。", "!", "?", ";", "…", PARAGRAPH_MARK)]}}
    near = ONE_OF(
        {"intervals": {"body.paragraphs": {"all_of": {"ordered": False,
                                                      "intervals": [_interval("代表"), _interval("联络站")],
                                                      "filter": {"not_containing": ends}}}}},
        ALL({"match_phrase": {"title": "代表"}}, {"match_phrase": {"title": "联络站"}}),
        ALL({"match_phrase": {"toc_title": "代表"}}, {"match_phrase": {"toc_title": "联络站"}}),
    )
    t = tiers(body)
    assert t["exact"] == ALL(ALL(ANY("代表"), ANY("联络站")), near)
    assert "partial" not in t


def test_browse_paging_and_facets(seed_snapshot):
    body = translate(seed_snapshot, "", Filters(districts=("西湖",)), sort="oldest", limit=5, offset=10, facets=True)
    assert body["query"] == {"bool": {"filter": [{"terms": {"district": ["西湖区"]}}]}}
    assert body["sort"] == [{"date": "asc"}, {"id": "asc"}]
    assert (body["from"], body["size"]) == (10, 5)
    assert set(body["aggs"]) == {"district", "year", "section"}
    assert translate(seed_snapshot, "人大", limit=None)["size"] == 10_000


def test_search_format_opensearch_prints_the_request(runner, seed_index_dir, seed_snapshot):
    result = runner.invoke(main, ["search", "西湖龙井", "--format", "opensearch", "--index-dir", str(seed_index_dir),
                                  "-n", "5", "-p", "2"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body == translate(seed_snapshot, "西湖龙井", limit=5, offset=5)


# --------------------------------------------------------------------------- the requests, evaluated


class Evaluator:
    """Which exported documents a translated query selects, as OpenSearch would decide it for
    the clauses `translate` uses: a phrase on a per-character field is a substring of one
    folded value; intervals on `body.paragraphs` need every word in one stretch between the
    filter's characters. Scores are not evaluated."""

    def __init__(self):
        self.fold, self.fold_paragraphs = mapping_table(key_mappings()), mapping_table(key_mappings(PARAGRAPH_MARK))
        self.folded: dict = {}

    def values(self, doc, field):
        if field in ("authors", "authors.chars"):
            return doc["authors"]
        return [doc[field]]

    def phrase(self, doc, field, query):
        q = query.translate(self.fold)
        values = self.folded.get((doc["id"], field))
        if values is None:
            values = self.folded[doc["id"], field] = [v.translate(self.fold) for v in self.values(doc, field)]
        return any(q in v for v in values)

    def __call__(self, q, doc) -> bool:
        (kind, arg), = q.items()
        if kind == "bool":
            required = arg.get("filter", []) + arg.get("must", [])
            should = arg.get("should", [])
            need = arg.get("minimum_should_match", 0 if required else 1) if should else 0
            return (all(self(c, doc) for c in required) and not any(self(c, doc) for c in arg.get("must_not", []))
                    and sum(self(c, doc) for c in should) >= need)
        if kind == "constant_score":
            return self(arg["filter"], doc)
        if kind == "multi_match":
            if arg.get("type") == "phrase":
                return any(self.phrase(doc, f, arg["query"]) for f in arg["fields"])
            assert set(arg["fields"]) <= {"title_words", "body_words", "byline_words"}, arg
            return any(arg["query"] in doc[f].split() for f in arg["fields"])  # one word: a term
        if kind == "match_phrase":
            (field, query), = arg.items()
            return self.phrase(doc, field, query)
        if kind in ("term", "terms"):
            (field, value), = arg.items()
            wanted = value if kind == "terms" else [value]
            have = self.values(doc, field)
            if field == "authors":  # its normalizer folds as search_key
                have, wanted = [search_key(h) for h in have], [search_key(w) for w in wanted]
            return any(w in have for w in wanted)
        if kind == "range":
            (field, bounds), = arg.items()
            return bounds.get("gte", "") <= doc[field] <= bounds.get("lte", "9999")
        if kind == "intervals":
            rule = arg["body.paragraphs"]["all_of"]
            # the rules' queries are analysed as the field is: a character the analysis drops is no boundary
            ends = [m["match"]["query"].translate(self.fold_paragraphs) for m in _rules(rule["filter"]["not_containing"])]
            words = [[m["match"]["query"].translate(self.fold_paragraphs) for m in _rules(w)] for w in rule["intervals"]]
            text = doc["body"].translate(self.fold_paragraphs)
            stretches = re.split("|".join(re.escape(e) for e in ends if e), text)
            return any(all(any(k in s for k in keys) for keys in words) for s in stretches)
        if kind == "combined_fields":
            return True  # scoring only: never a membership condition
        raise AssertionError(f"no evaluation for {kind}")


@pytest.fixture(scope="module")
def evaluator():
    return Evaluator()


def _rules(rule):
    return rule["any_of"]["intervals"] if "any_of" in rule else [rule]


QUERIES = [
    ("西湖龙井", {}), ("龙井", {}), ("西湖区代表联络站", {}), ("怎样让代表更好地联系群众", {}), ('"数字 贸易"', {}),
    ("西湖 OR 滨江", {}), ("人大 -西湖", {}), ("人大常委会", {}), ("代表 联络站", {}), ("非遗", {}),
    ("代表联络站", {"within": "sentence"}), ("代表 联络站", {"within": "paragraph"}),
    ("联系群众 代表", {"within": "sentence"}), ("人大常委会 联络站", {"exact": True}),
    ("title:龙井 OR author:李寄", {}), ("district:西湖 代表", {}), ("section:监督纵横 监督", {}),
    ("代表", {"filters": Filters(districts=("余杭",), since="2024-04")}),
    ("人大", {"filters": Filters(authors=("李寄",))}), ("监督", {"filters": Filters(orgs=("上城区",), year=2024)}),
    ("营商环境助企", {}), ("数字贸易条例", {}), ("西湖龙井茶保护条例实施情况", {}), ("提升代表履职能力", {}),
    ("连络站", {}), ("青少年心理健康怎么保障", {}), ("人大常委会 代表联络站 -西湖", {}), ("(西湖 OR 滨江) 代表联络站", {}),
]


@pytest.mark.parametrize("query, options", QUERIES, ids=[q + "".join(f" {k}" for k in o) for q, o in QUERIES])
def test_translated_tiers_select_searchkits_hits(query, options, seed_snapshot, docs, evaluator):
    """Every tier selects the same records as searchkit's, but with --within the partial tier
    is left out (searchkit looks at which words each partial hit holds)."""
    filters = options.get("filters")
    result = search(seed_snapshot, query, filters, limit=None, with_snippets=False, suggest=False,
                    exact=options.get("exact", False), within=options.get("within"))
    expected = {t: {h.id for h in result.hits if h.match == t} for t in ("exact", "words", "partial")}
    body = translate(seed_snapshot, query, filters, limit=None, exact=options.get("exact", False),
                     within=options.get("within"))
    run = evaluator
    selected = [d for d in docs if run(body["query"], d)]
    got = {t: {d["id"] for d in selected if run(clause, d)} for t, clause in tiers(body).items()}
    assert got["exact"] == expected["exact"]
    assert got.get("words", set()) == expected["words"]
    assert got.get("partial", set()) == (set() if options.get("within") else expected["partial"])
    assert {d["id"] for d in selected} == got["exact"] | got.get("words", set()) | got.get("partial", set())


def test_bulk_is_split_into_requests_under_the_cap(seed_snapshot, tmp_path, monkeypatch):
    """Each bulk file stays under the cap, holds whole action/document pairs, and a smaller
    export into the same folder (with --force) leaves no stale bulk file behind."""
    import searchkit.opensearch as os_module

    monkeypatch.setattr(os_module, "BULK_CHUNK_BYTES", 60_000)
    count, names = write_export(seed_snapshot, str(tmp_path))
    assert len(names) > 3 and names[1:4] == ["bulk-001.ndjson", "bulk-002.ndjson", "bulk-003.ndjson"]
    ids = []
    for name in names[1:]:
        data = (tmp_path / name).read_bytes()
        lines = data.decode("utf-8").splitlines()
        assert len(lines) % 2 == 0 and (len(data) <= 60_000 or len(lines) == 2)
        ids += [json.loads(line)["index"]["_id"] for line in lines[::2]]
    assert len(ids) == len(set(ids)) == count
    monkeypatch.setattr(os_module, "BULK_CHUNK_BYTES", 50 * 2**20)
    assert write_export(seed_snapshot, str(tmp_path), force=True)[1] == [MAPPING_FILE, "bulk-001.ndjson"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bulk-001.ndjson", MAPPING_FILE]


def test_export_into_a_file_is_refused(seed_snapshot, tmp_path):
    from searchkit.errors import UsageError

    target = tmp_path / "hits.ndjson"
    target.write_text("x")
    with pytest.raises(UsageError, match="writes a folder"):
        write_export(seed_snapshot, str(target))
    assert target.read_text() == "x"
