"""searchkit serve, through Starlette's test client: every route, parameter, error and escape.

The page is a view over the library, so what it shows is checked against the library and
the CLI for the same options: `/api/search` against `searchkit search --format json`,
`/export.csv` against the bytes `searchkit export` writes. Pages are parsed (html.parser),
not grepped, where structure matters: which tags exist, which attributes they carry.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

pytest.importorskip("starlette")
pytest.importorskip("jinja2")

from starlette.testclient import TestClient  # noqa: E402

from searchkit.cli import main  # noqa: E402
from searchkit.index import open_snapshot, update_index  # noqa: E402
from searchkit.query import search, show_record  # noqa: E402
from searchkit.web import app as web_app  # noqa: E402
from searchkit.web.app import LOOPBACK_HOSTS, create_app  # noqa: E402
from searchkit.web.params import MAX_QUERY_STRING, parse_search  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEARCHKIT = Path(sys.executable).parent / "searchkit"
EVIL = '<script>alert("xss")</script>"><img src=x onerror=alert(1)>'


# --------------------------------------------------------------------------- helpers


class Page(HTMLParser):
    """A parsed page: its tags (name, attributes) and its visible text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.parts: list[str] = []
        self._skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def links(self, prefix: str = "") -> list[str]:
        """Links to `prefix…`, but the language switch."""
        return [a["href"] for t, a in self.tags
                if t == "a" and a.get("href", "").startswith(prefix) and a.get("class") != "lang"]


def assert_safe(page: Page) -> None:
    """No script but the site's own file, no element from the bulletin's text, no handler attribute."""
    for tag, attrs in page.tags:
        if tag == "script":
            assert attrs.get("src") == "/static/search.js", attrs
        assert tag != "img", attrs
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)


def params(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def invoke(runner, args, code=0):
    result = runner.invoke(main, [str(a) for a in args], prog_name="searchkit")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


@pytest.fixture(scope="module")
def client(seed_index_dir):
    with TestClient(create_app(seed_index_dir, lang="en")) as c:
        yield c


@pytest.fixture(scope="module")
def zh_client(seed_index_dir):
    with TestClient(create_app(seed_index_dir, lang="zh")) as c:
        yield c


def crafted_issue(folder: Path) -> Path:
    """A seed issue whose first article's title (heading and contents line) holds markup."""
    text = (SEEDS / "000_dbed6e9d040a5771.txt").read_text(encoding="utf-8")
    path = folder / "crafted.txt"
    path.write_text(text.replace("市人大常委会认真贯彻落实全省", EVIL + "全省", 2), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def evil_client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("crafted")
    crafted_issue(folder)
    root = folder / "index"
    report = update_index([folder], root)
    assert not report.skipped
    with TestClient(create_app(root, lang="en")) as c:
        yield c


# --------------------------------------------------------------------------- the search page


def test_home_is_a_get_form_without_inline_script(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = Page(r.text)
    form = page.find("form", id="search")[0]
    assert form["method"] == "get" and form["action"] == "/"
    assert page.find("input", name="q")
    assert_safe(page)
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "unsafe-inline" not in r.headers["content-security-policy"]
    assert "Type a query to search" in page.text


def test_search_page_shows_ranked_hits_with_highlights(client, seed_snapshot):
    r = client.get("/", params={"q": "西湖龙井"})
    page = Page(r.text)
    expected = search(seed_snapshot, "西湖龙井", limit=10)
    hrefs = [h for h in page.links("/records/")]
    assert [urlsplit(h).path.rsplit("/", 1)[1] for h in hrefs[:len(expected.hits)]] == [h.id for h in expected.hits]
    assert "<mark>西湖龙井</mark>" in r.text
    assert f"{expected.total} hits for 西湖龙井" in page.text
    assert "Understood as: 西湖龙井" in page.text
    assert params(hrefs[0])["q"] == ["西湖龙井"]


def test_tiers_are_marked_and_the_query_explained(client, seed_snapshot):
    r = client.get("/", params={"q": "西湖区代表联络站"})
    page = Page(r.text)
    assert "Understood as: 西湖区 + 代表联络站 — exact 0, anywhere 1, partial" in page.text
    assert "Below: partial matches; part of the query" in page.text
    classes = [a["class"] for a in page.find("article")]
    assert classes[0] == "hit tier-words" and "hit tier-partial" in classes
    assert "all words" in page.text and "partial match" in page.text


def test_synonyms_and_left_out_words_are_explained(client):
    page = Page(client.get("/", params={"q": "怎样让代表联系群众"}).text)
    assert "Left out: 怎样" in page.text


def test_no_hits_says_what_was_tried_and_suggests(client):
    page = Page(client.get("/", params={"q": "代表连络站"}).text)
    assert "Did you mean: 代表联络站" in page.text
    link = next(h for h in page.links("/?") if params(h).get("q") == ["代表联络站"])
    assert link
    none = Page(client.get("/", params={"q": "量子纠缠"}).text)
    assert "No hits for 量子纠缠." in none.text and "Check the spelling, or try other words" in none.text


def test_a_suggestion_to_drop_a_filter_is_a_link_without_it(client):
    page = Page(client.get("/", params={"q": "西湖龙井", "district": "滨江"}).text)
    links = [h for h in page.links("/?") if "Without" in page.text]
    drop = [h for h in links if params(h).get("q") == ["西湖龙井"] and "district" not in params(h)]
    assert drop, links


def test_facets_filter_on_click_and_again_to_remove(client, seed_snapshot):
    page = Page(client.get("/", params={"q": "代表"}).text)
    facet_links = [h for h in page.links("/?") if "district" in params(h)]
    assert facet_links
    chosen = params(facet_links[0])["district"][0]
    filtered = Page(client.get(facet_links[0]).text)
    districts = {a.get("class") for a in filtered.find("article")}
    assert districts
    api = client.get("/api/search", params={"q": "代表", "district": chosen, "limit": 1000}).json()
    assert api["hits"] and {h["district"] for h in api["hits"]} == {chosen}
    on = [a for a in filtered.find("a", **{"class": "on"})]
    assert on and "district" not in params(on[0]["href"])
    for name in ("year", "section"):
        assert any(name in params(h) for h in page.links("/?")), name


def test_a_facet_knows_the_filter_by_its_short_name(client):
    page = Page(client.get("/", params={"q": "代表", "district": "余杭"}).text)
    on = page.find("a", **{"class": "on"})
    assert len(on) == 1 and "district" not in params(on[0]["href"])
    assert not any(params(h).get("district") == ["余杭", "余杭区"] for h in page.links("/?"))


def test_filters_without_a_query_list_their_records(client, runner, seed_index_dir):
    page = Page(client.get("/", params={"district": "余杭", "year": "2024"}).text)
    expected = json.loads(invoke(runner, ["search", "--district", "余杭", "--year", "2024", "--format", "json",
                                          "--index-dir", seed_index_dir]).stdout)
    ids = [urlsplit(h).path.rsplit("/", 1)[1] for h in page.links("/records/")]
    assert expected["hits"] and ids[:len(expected["hits"])] == [h["id"] for h in expected["hits"]]
    assert f"{expected['total']} hits for --district 余杭 --year 2024" in page.text
    assert not page.find("span", **{"class": "tier"})  # no tiers without a query
    assert "Understood as" not in page.text
    csv = client.get("/export.csv", params={"district": "余杭", "year": "2024"})
    assert csv.status_code == 200 and "searchkit-district_%E4%BD%99" in csv.headers["content-disposition"]


def test_sort_oldest(client, seed_snapshot):
    page = Page(client.get("/", params={"q": "代表", "sort": "oldest", "size": "50"}).text)
    assert page.find("option", value="oldest", selected=None)
    api = client.get("/api/search", params={"q": "代表", "sort": "oldest", "limit": "50"}).json()
    exact = [h["date"] for h in api["hits"] if h["match"] == "exact"]
    assert exact == sorted(exact)


def test_record_ids_as_typed(client):
    assert client.get("/records/697-3").status_code == 200
    assert client.get("/api/records/697-3").json()["id"] == "697-03"


def test_paging_uses_offset(client, seed_snapshot):
    r = client.get("/", params={"q": "代表", "size": 5, "page": 2})
    page = Page(r.text)
    expected = search(seed_snapshot, "代表", limit=5, offset=5)
    ids = [urlsplit(h).path.rsplit("/", 1)[1] for h in page.links("/records/")][:5]
    assert ids == [h.id for h in expected.hits]
    assert "6." in page.text.split()
    prev = page.find("a", rel="prev")[0]["href"]
    assert "page" not in params(prev) and params(prev)["size"] == ["5"]
    assert params(page.find("a", rel="next")[0]["href"])["page"] == ["3"]
    assert page.find("span", **{"class": "current"})


def test_fragment_is_the_results_part_only(client):
    r = client.get("/", params={"q": "西湖龙井", "fragment": "1"})
    assert r.status_code == 200
    assert "<html" not in r.text and "<article" in r.text


@pytest.mark.parametrize("options", [
    {"district": "余杭"}, {"district": ["西湖", "上城"]}, {"section": "监督纵横"}, {"year": "2024"},
    {"issue": "697"}, {"issue": "9"}, {"since": "2024-06"}, {"until": "2024"}, {"author": "李寄"},
    {"org": "代表工委"}, {"exact": "1"}, {"within": "sentence"}, {"within": "paragraph"}, {"sort": "date"},
    {"facets": "1"}, {"limit": "3"}, {"sort": "oldest"}, {"page": "2"}, {"limit": "5", "page": "3"},
    {"q": "", "district": "余杭"}, {"q": "", "year": "2024", "sort": "oldest", "limit": "20"},
])
def test_api_search_is_the_cli_json(client, runner, seed_index_dir, options):
    options = dict(options)
    query = options.pop("q", "代表")
    args = ["search", query, "--format", "json", "--index-dir", seed_index_dir]
    for name, value in options.items():
        if name in ("exact", "facets"):
            args.append(f"--{name}")
            continue
        for v in value if isinstance(value, list) else [value]:
            args += [f"--{name}", v]
    expected = json.loads(invoke(runner, args).stdout)
    r = client.get("/api/search", params={"q": query, **options})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json", r.text
    assert r.json() == expected


def test_html_and_api_agree_for_every_filter(client, seed_snapshot):
    opts = {"q": "代表", "district": "余杭", "since": "2024-01", "sort": "date", "size": "20"}
    api = client.get("/api/search", params={**opts, "limit": "20"}).json()
    page = Page(client.get("/", params=opts).text)
    ids = [urlsplit(h).path.rsplit("/", 1)[1] for h in page.links("/records/")]
    assert ids[:len(api["hits"])] == [h["id"] for h in api["hits"]]
    chips = [a for a in page.find("a", **{"class": "chip"})]
    assert len(chips) == 3  # district, since, and the order (to go back to the default)
    for chip in chips:
        assert params(chip["href"])["q"] == ["代表"]


def test_form_keeps_every_option(client):
    page = Page(client.get("/", params={"q": "代表", "district": ["余杭", "西湖"], "author": "李寄", "exact": "1",
                                            "within": "sentence", "sort": "date", "year": "2024"}).text)
    assert page.find("input", type="hidden", name="district", value="西湖区") or \
        page.find("input", type="hidden", name="district", value="西湖")
    assert page.find("input", name="author", value="李寄")
    assert page.find("input", type="checkbox", name="exact", checked=None)
    assert page.find("option", value="sentence", selected=None)
    assert page.find("option", value="date", selected=None)
    assert page.find("option", selected=None)


# --------------------------------------------------------------------------- language


def test_chinese_by_default_when_the_locale_is(zh_client):
    r = zh_client.get("/", params={"q": "西湖区代表联络站"})
    page = Page(r.text)
    assert page.find("html")[0]["lang"] == "zh-CN"
    assert "理解为：西湖区 + 代表联络站" in page.text
    assert "以下为部分匹配" in page.text and "搜索" in page.text
    switch = page.find("a", **{"class": "lang"})[0]
    assert switch.get("href") and params(switch["href"])["lang"] == ["en"]
    english = Page(zh_client.get(switch["href"]).text)
    assert "Understood as" in english.text
    assert all(params(h).get("lang") == ["en"] for h in english.links("/?"))  # the choice is kept


def test_lang_parameter_and_default(client, zh_client):
    assert "理解为" in Page(client.get("/", params={"q": "西湖", "lang": "zh"}).text).text
    assert "Understood as" in Page(zh_client.get("/", params={"q": "西湖", "lang": "en"}).text).text
    assert "Understood as" in Page(client.get("/", params={"q": "西湖", "lang": "xx"}).text).text


def test_error_messages_are_in_the_request_language(client, zh_client):
    """Errors built while answering (in the handler or on the worker thread) speak the
    page's language: `?lang=`, else the application's."""
    assert "括号不配对" in zh_client.get("/api/search", params={"q": "(西湖"}).json()["error"]
    assert "unbalanced parenthesis" in zh_client.get("/api/search", params={"q": "(西湖", "lang": "en"}).json()["error"]
    assert "索引中没有记录" in client.get("/api/records/999-01", params={"lang": "zh"}).json()["error"]
    assert "no record 999-01" in client.get("/api/records/999-01").json()["error"]
    assert "未知的区县" in Page(zh_client.get("/", params={"q": "西湖", "district": "火星"}).text).text
    assert "没有这个页面" in Page(zh_client.get("/nope").text).text


def test_template_messages_are_translated():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import messages
    finally:
        sys.path.pop(0)
    import gettext

    found = messages.msgids()
    templates = {k: v for k, v in found.items() if "templates" in v}
    assert "Filters and order" in templates
    with open(ROOT / "searchkit/locale/zh_CN/LC_MESSAGES/searchkit.mo", "rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    keys = {k[0] if isinstance(k, tuple) else k for k in catalog}
    assert not [k for k in found if k not in keys]


# --------------------------------------------------------------------------- records and issues


def test_record_page(client, seed_snapshot):
    hit = show_record(seed_snapshot, "697-02", "西湖龙井")
    r = client.get("/records/697-02", params={"q": "西湖龙井"})
    page = Page(r.text)
    assert r.status_code == 200
    assert hit.title in page.text
    body = "".join(hit.snippets[0].text.split())
    assert body in "".join(page.text.split())
    assert r.text.count("<mark>") >= len(hit.snippets[0].highlights)
    assert "杭州人大信息, 2024年第9期(总第697期), 2024-06-28." in page.text  # the citation
    toc = [h for h in page.links("/records/")]
    issue_ids = seed_snapshot.manifest["files"]
    ids = next(e["ids"] for e in issue_ids.values() if e["issue_total"] == 697)
    assert [urlsplit(h).path.rsplit("/", 1)[1] for h in toc] == ids
    assert page.find("li", **{"class": "current"})
    assert params(page.links("/?")[-1]) == {"q": ["西湖龙井"]} or any(
        params(h) == {"q": ["西湖龙井"]} for h in page.links("/?"))


def test_record_without_query_has_no_marks(client):
    r = client.get("/records/697-03")
    assert r.status_code == 200 and "<mark>" not in r.text


def test_api_record(client, seed_snapshot):
    assert client.get("/api/records/697-02", params={"q": "西湖龙井"}).json() == \
        show_record(seed_snapshot, "697-02", "西湖龙井").to_dict()
    assert client.get("/api/records/697-02").json()["snippets"][0]["highlights"] == []


@pytest.mark.parametrize("path", ["/records/999-01", "/records/abc", "/records/..%2F..%2Fetc%2Fpasswd",
                                  "/records/697-02%00", "/records/" + "1" * 40 + "-01", "/issues/999",
                                  "/issues/abc", "/issues/-1", "/issues/１２", "/nope", "/export.pdf?q=x",
                                  "/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py",
                                  "/static/%2e%2e/%2e%2e/pyproject.toml", "/api/records/999-01", "/api/issues/999"])
def test_not_found_is_a_plain_page_or_json(client, path):
    r = client.get(path)
    assert r.status_code == 404, r.text
    if path.startswith("/api/"):
        assert r.json()["status"] == 404 and r.json()["error"]
    else:
        assert "text/html" in r.headers["content-type"]
        assert "Traceback" not in r.text and "import " not in r.text


def test_issues_and_one_issue(client, seed_snapshot):
    page = Page(client.get("/issues").text)
    links = page.links("/issues/")
    assert len(links) == len(seed_snapshot.manifest["files"])
    assert "第9期(总第697期)" in page.text
    issue = Page(client.get("/issues/697").text)
    assert "第9期(总第697期)" in issue.text
    ids = next(e["ids"] for e in seed_snapshot.manifest["files"].values() if e["issue_total"] == 697)
    assert [urlsplit(h).path.rsplit("/", 1)[1] for h in issue.links("/records/")] == ids
    api = client.get("/api/issues").json()
    assert {i["issue_total"] for i in api} == {e["issue_total"] for e in seed_snapshot.manifest["files"].values()}
    one = client.get("/api/issues/697").json()
    assert [r["id"] for r in one["records"]] == ids and one["issue"] == 9


def test_static_files_are_served(client):
    css = client.get("/static/style.css")
    js = client.get("/static/search.js")
    assert css.status_code == js.status_code == 200
    assert "compositionend" in js.text and "isComposing" in js.text
    assert "content-security-policy" in js.headers


# --------------------------------------------------------------------------- exports


def cli_export(runner, tmp_path, name, *args) -> bytes:
    out = tmp_path / name
    invoke(runner, ["export", *args, "-o", out, "--empty-ok"])  # the page downloads a header-only file too
    return out.read_bytes()


@pytest.mark.parametrize("options,cli", [
    ({}, []),
    ({"partial": "1"}, ["--partial"]),
    ({"district": "余杭", "sort": "date"}, ["--district", "余杭", "--sort", "date"]),
    ({"columns": "date,title,snippet"}, ["--columns", "date,title,snippet"]),
    ({"exact": "1", "within": "paragraph"}, ["--exact", "--within", "paragraph"]),
])
def test_csv_export_is_the_cli_file(client, runner, seed_index_dir, tmp_path, options, cli):
    query = "西湖区代表联络站"
    expected = cli_export(runner, tmp_path, "hits.csv", query, "--index-dir", seed_index_dir, *cli)
    r = client.get("/export.csv", params={"q": query, **options})
    assert r.status_code == 200
    assert r.content == expected
    assert r.content.startswith(b"\xef\xbb\xbf")
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''searchkit-%E8%A5%BF" in r.headers["content-disposition"]


def test_csv_export_of_a_chinese_page_is_the_cli_file_in_chinese(zh_client, runner, seed_index_dir, tmp_path):
    """A page in Chinese downloads what `searchkit --lang zh export` writes: Chinese column
    names and tier names."""
    expected = cli_export(runner, tmp_path, "hits.csv", "西湖区代表联络站", "--index-dir", seed_index_dir,
                          "--headers", "zh")
    r = zh_client.get("/export.csv", params={"q": "西湖区代表联络站"})
    assert r.status_code == 200
    assert r.content == expected
    assert r.content.decode("utf-8-sig").split("\r\n")[0].startswith("序号")


def test_xlsx_export_holds_the_cli_cells(client, runner, seed_index_dir, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    expected = cli_export(runner, tmp_path, "hits.xlsx", "代表", "--index-dir", seed_index_dir)
    r = client.get("/export.xlsx", params={"q": "代表"})
    assert r.status_code == 200 and r.content[:2] == b"PK"

    def cells(data):
        ws = openpyxl.load_workbook(io.BytesIO(data)).active
        return [[c.value for c in row] for row in ws.iter_rows()]

    assert cells(r.content) == cells(expected)


def test_export_needs_a_query_or_a_filter(client):
    r = client.get("/export.csv")
    assert r.status_code == 400 and "empty query" in r.text


# --------------------------------------------------------------------------- errors and limits


@pytest.mark.parametrize("query,fragment", [
    ({"q": '"西湖'}, "quote"),
    ({"q": "西湖", "district": "火星"}, "unknown district"),
    ({"q": "西湖", "section": "体育"}, "unknown section"),
    ({"q": "西湖", "since": "昨天"}, "invalid date"),
    ({"q": "西湖", "year": "二〇二四"}, "year must be a whole number"),
    ({"q": "西湖", "page": "0"}, "page must be between"),
    ({"q": "西湖", "page": "100000"}, "page must be between"),
    ({"q": "西湖", "size": "101"}, "size must be between"),
    ({"q": "西湖", "sort": "random"}, "sort takes"),
    ({"q": "西湖", "within": "page"}, "within takes"),
    ({"q": "西湖", "exact": "maybe"}, "exact takes"),
    ({"q": "a" * 1001}, "too long"),
    ({"q": "西湖", "author": "李" * 201}, "too long"),
    ({"q": "西湖", "district": ["西湖"] * 21}, "at most 20"),
    ({"q": ["西湖", "滨江"]}, "give it once"),
    ({"q": "西湖", "columns": "title,nope"}, "unknown column"),
])
def test_bad_parameters_are_400_with_the_reason(client, query, fragment):
    r = client.get("/", params=query)
    assert r.status_code == 400
    page = Page(r.text)
    assert fragment in page.text, page.text
    assert page.find("form", id="search")  # the form stays, to fix the query
    assert "Traceback" not in r.text
    if "size" in query:
        query = {**query, "limit": "1001"}
        fragment = "limit must be between"
    api = client.get("/api/search", params={"q": "西湖", **query})
    assert api.status_code == 400
    assert fragment in api.json()["error"] and api.json()["status"] == 400


def test_api_limit_bounds(client):
    assert client.get("/api/search", params={"q": "代表", "limit": "1001"}).status_code == 400
    assert client.get("/api/search", params={"q": "代表", "limit": "0"}).status_code == 400
    assert client.get("/api/search").json()["status"] == 400


def test_overlong_query_string_is_414(client):
    r = client.get("/?q=" + "a" * (MAX_QUERY_STRING + 1))
    assert r.status_code == 414 and "content-security-policy" in r.headers
    assert client.get("/api/search?q=" + "a" * (MAX_QUERY_STRING + 1)).json()["status"] == 414


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_read_only(client, method):
    for path in ("/", "/api/search?q=x", "/records/697-02", "/export.csv?q=x"):
        r = client.request(method, path)
        assert r.status_code == 405, (method, path)
        assert "read-only" in r.text


def test_head_is_answered(client):
    assert client.head("/?q=西湖").status_code == 200


def test_a_bug_is_a_plain_500_without_traceback(seed_index_dir, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(web_app, "search", broken)
    with TestClient(create_app(seed_index_dir, lang="en"), raise_server_exceptions=False) as c:
        for path in ("/?q=西湖", "/api/search?q=西湖"):
            r = c.get(path)
            assert r.status_code == 500
            assert "secret internals" not in r.text and "Traceback" not in r.text
            assert "internal error" in r.text
            assert "content-security-policy" in r.headers


def test_a_slow_request_is_stopped_at_the_time_limit(seed_index_dir, monkeypatch):
    def slow(*args, **kwargs):
        time.sleep(0.5)
        raise AssertionError("not reached in time")

    monkeypatch.setattr(web_app, "search", slow)
    with TestClient(create_app(seed_index_dir, lang="en", time_limit=0.1)) as c:
        started = time.perf_counter()
        r = c.get("/api/search", params={"q": "西湖"})
        assert time.perf_counter() - started < 0.45
        assert r.status_code == 503 and "longer than 0.1 s" in r.json()["error"]
        time.sleep(0.5)  # let the abandoned search end before the patch is undone


def test_host_header_is_checked_on_loopback(seed_index_dir):
    with TestClient(create_app(seed_index_dir, allowed_hosts=LOOPBACK_HOSTS), base_url="http://127.0.0.1") as c:
        assert c.get("/").status_code == 200
        assert c.get("/", headers={"host": "attacker.example"}).status_code == 400


def test_security_headers_everywhere(client):
    for path in ("/", "/?q=西湖", "/records/697-02", "/issues", "/api/search?q=西湖", "/nope", "/static/style.css",
                 "/export.csv?q=西湖"):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path


# --------------------------------------------------------------------------- escaping


def test_markup_in_a_title_renders_as_text(evil_client):
    for path, params_ in (("/", {"q": "全省人大代表工作座谈会精神"}), ("/records/697-01", {}),
                          ("/records/697-02", {}), ("/issues/697", {}), ("/", {"q": "script"})):
        r = evil_client.get(path, params=params_)
        assert r.status_code == 200, path
        page = Page(r.text)
        assert_safe(page)
        assert EVIL in page.text or "script" in params_.get("q", ""), path
        assert "<script>alert" not in r.text and "<img" not in r.text


def test_markup_in_parameters_renders_as_text(client):
    nasty = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    for query in ({"q": nasty}, {"q": "西湖", "author": nasty}, {"q": "西湖", "district": nasty},
                  {"q": "西湖", "org": nasty}, {"q": nasty, "lang": nasty}, {"q": "西湖", "since": nasty}):
        r = client.get("/", params=query)
        page = Page(r.text)
        assert_safe(page)
        assert "<script>alert" not in r.text and "<img" not in r.text
    r = client.get("/records/697-02", params={"q": nasty})
    assert_safe(Page(r.text))
    r = client.get("/" + nasty)
    assert r.status_code == 404 and "<script>alert" not in r.text


def test_export_file_name_is_safe(client):
    r = client.get("/export.csv", params={"q": '西湖 "a\r\nX-Evil: 1"'})
    assert r.status_code == 200
    assert "x-evil" not in r.headers
    disposition = r.headers["content-disposition"]
    assert "\r" not in disposition and "\n" not in disposition and disposition.count('"') == 2


# --------------------------------------------------------------------------- the shared index


def test_the_index_is_reopened_after_an_update(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    files = sorted(SEEDS.glob("*.txt"))
    shutil.copy(files[0], corpus)
    root = tmp_path / "index"
    update_index([corpus], root)
    app = create_app(root, lang="en")
    with TestClient(app) as c:
        before = len(c.get("/api/issues").json())
        snapshot = app.state.holder.snapshot()
        shutil.copy(files[1], corpus)
        update_index([corpus], root)
        assert len(c.get("/api/issues").json()) == before + 1
        assert app.state.holder.snapshot() is not snapshot
        assert app.state.holder.snapshot() is app.state.holder.snapshot()  # opened once per generation


def test_one_snapshot_serves_every_request(client):
    holder = client.app.state.holder
    first = holder.snapshot()
    client.get("/", params={"q": "西湖"})
    client.get("/api/search", params={"q": "代表"})
    assert holder.snapshot() is first
    assert first.shared_searcher() is first.shared_searcher()


def test_params_unit():
    from starlette.datastructures import QueryParams

    opts = parse_search(QueryParams("q=代表&district=余杭&district=西湖&page=3&size=20&exact=1&year=2024"))
    assert opts.offset == 40 and opts.size == 20 and opts.exact and opts.year == 2024
    assert opts.search_args()["limit"] == 20 and opts.search_args()["offset"] == 40
    assert opts.filters.districts == ("余杭", "西湖")
    assert parse_qs(opts.query_string(page=None)) == {"q": ["代表"], "district": ["余杭", "西湖"], "size": ["20"],
                                                     "exact": ["1"], "year": ["2024"]}


# --------------------------------------------------------------------------- the serve command

needs_script = pytest.mark.skipif(not SEARCHKIT.exists(), reason="the searchkit console script is not installed")


def start_serve(*args, cwd=None):
    proc = subprocess.Popen([str(SEARCHKIT), "serve", "--port", "0", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=cwd,
                            env={**os.environ, "SEARCHKIT_LANG": "en"})
    line = proc.stdout.readline()
    match = re.match(r"Serving (http://127\.0\.0\.1:\d+/)", line)
    if not match:
        proc.kill()
        raise AssertionError(f"no URL: {line!r} {proc.stderr.read()!r}")
    return proc, match.group(1), line


@needs_script
def test_serve_prints_the_url_serves_and_stops_on_ctrl_c(seed_index_dir):
    import urllib.request

    proc, url, line = start_serve("--index-dir", seed_index_dir)
    try:
        assert line.endswith("(Ctrl-C to stop)\n")
        with urllib.request.urlopen(url + "api/search?q=%E8%A5%BF%E6%B9%96", timeout=10) as r:
            assert json.load(r)["total"] > 0
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out == "" and err == "Stopped.\n"


@needs_script
def test_serve_warns_when_others_can_reach_it(seed_index_dir):
    proc, url, line = start_serve("--host", "0.0.0.0", "--index-dir", seed_index_dir)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    warning, stopped = err.splitlines()
    assert warning.startswith("Warning: listening on 0.0.0.0: anyone who can reach this computer")
    assert "on the network http://" in line and stopped == "Stopped."


def test_serve_port_in_use_is_one_line(runner, seed_index_dir):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = invoke(runner, ["serve", "--port", port, "--index-dir", seed_index_dir], code=1)
    assert result.stderr.startswith(f"Error: port {port} on 127.0.0.1 is in use")
    assert result.stderr.count("\n") == 1


def test_serve_without_an_index_says_what_to_run(runner, tmp_path):
    result = invoke(runner, ["serve", "--index-dir", tmp_path / "none"], code=1)
    assert "searchkit index" in result.stderr and result.stderr.count("\n") == 1


def test_serve_without_the_extra_says_what_to_install(runner, seed_index_dir, monkeypatch):
    for name in [m for m in sys.modules if m == "starlette" or m.startswith(("starlette.", "searchkit.web"))]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "starlette", None)
    result = invoke(runner, ["serve", "--index-dir", seed_index_dir], code=1)
    assert result.stderr == "Error: serve needs the web extra (starlette is missing): pip install 'searchkit[web]'\n"
