"""Export: CSV bytes and round trips, CSV injection, columns, formats, atomic files, XLSX, JSONL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from searchkit import cite, export, query
from searchkit.errors import SearchkitError, UsageError
from searchkit.export import COLUMNS, ExportError, OutputExistsError
from searchkit.query import Hit, SearchResult, Snippet

BOM = b"\xef\xbb\xbf"
HEADER = "rank,id,date,issue,issue_total,section,district,title,org,authors,citation,snippet"


@pytest.fixture(scope="module")
def result(seed_snapshot) -> SearchResult:
    """Every hit for 代表 over the sample issues (articles and briefs)."""
    return query.search(seed_snapshot, "代表", limit=None)


def make_hit(n: int = 1, **fields) -> Hit:
    values = dict(
        docnum=n, id=f"700-{n:02d}", score=1.0 / n, title=f"标题{n}", toc_title="", kind="article",
        district="西湖区", section="代表工作", issue=1, issue_total=700, date="2024-06-28",
        org="西湖区人大常委会", authors=["张三", "李四"], source="seeds/x.txt",
        snippets=[Snippet("代表联络站", [(0, 2)]), Snippet("第二段", [])],
    )
    values.update(fields)
    return Hit(**values)


def make_result(*hits: Hit) -> SearchResult:
    return SearchResult("q", len(hits), list(hits))


def read_csv(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def as_text(rows) -> list[list[str]]:
    return [[str(v) for v in row] for row in rows]


def folder_entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --------------------------------------------------------------------------- CSV of a real search


def test_csv_bytes_open_in_spreadsheets(result, tmp_path):
    out = tmp_path / "hits.csv"
    assert export.export_result(result, str(out)) == len(result.hits) == result.total == 40
    data = out.read_bytes()
    assert data.startswith(BOM)
    assert data[len(BOM):].startswith(HEADER.encode() + b"\r\n")
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")  # the snippets hold no newlines: every line end is \r\n
    assert "代表".encode() in data  # UTF-8, not GBK
    back = read_csv(out)
    assert back[0] == list(COLUMNS)
    assert back[1:] == as_text(export.rows(result))


def test_exported_rows_are_the_hits_of_search_limit_0(seed_snapshot, result, tmp_path):
    everything = query.search(seed_snapshot, "代表", limit=0)
    out = tmp_path / "hits.csv"
    export.export_result(result, str(out))
    back = read_csv(out)[1:]
    assert [r[1] for r in back] == [h.id for h in everything.hits]
    assert [r[0] for r in back] == [str(i) for i in range(1, everything.total + 1)]


def test_rows_cells(result):
    hits = result.hits
    table = export.rows(result)
    by_id = {row[1]: row for row in table}
    first = table[0]
    assert first[:5] == [1, hits[0].id, hits[0].date, hits[0].issue, hits[0].issue_total]
    assert isinstance(first[3], int)
    assert first[9] == "、".join(hits[0].authors)
    assert first[10] == f"《杭州人大信息》{hits[0].date[:4]}年第{hits[0].issue}期（总第{hits[0].issue_total}期）"
    assert first[11] == export.snippet_text(hits[0].snippets)
    brief = next(h for h in hits if h.kind == "brief")
    assert by_id[brief.id][7] and by_id[brief.id][7] == cite.title_of(brief)  # a brief gets a title too
    assert all(isinstance(v, int) for row in table for v in (row[0], row[3], row[4]))
    assert export.rows(result, ("rank", "score", "source"))[0] == [1, round(hits[0].score, 4), hits[0].source]


def test_snippet_text_marks_only_what_is_left_out():
    """`…` where the body goes on before, between or after the passages; none between adjacent ones."""
    assert export.snippet_text([Snippet("甲乙", [], 0, False), Snippet("丙", [], 2, False)]) == "甲乙丙…"
    assert export.snippet_text([Snippet("甲乙", [], 3, False), Snippet("丙", [], 9, True)]) == "…甲乙…丙"
    assert export.snippet_text([Snippet("全文", [], 0, True)]) == "全文"
    assert export.snippet_text([]) == ""


def test_write_csv_to_a_stream_has_no_bom(result):
    out = io.StringIO(newline="")
    assert export.write_csv(result, out, ("id", "title")) == 40
    text = out.getvalue()
    assert text.startswith("id,title\r\n")
    assert list(csv.reader(io.StringIO(text, newline="")))[1:] == as_text(export.rows(result, ("id", "title")))


def test_csv_golden_bytes(tmp_path):
    """The exact bytes for awkward values: quoting, embedded line ends, injection, numbers."""
    res = make_result(
        make_hit(1, title='西湖,"龙井"\r\n茶', authors=["王五"],
                 snippets=[Snippet("甲", [], 0, False), Snippet(" 乙 ", [], 5, True)]),
        make_hit(2, score=0.0, title="=HYPERLINK(\"http://x\")", org="-1+2", authors=["@a", "b"], snippets=[]),
    )
    out = tmp_path / "golden.csv"
    export.export_result(res, str(out), columns=("rank", "score", "title", "org", "authors", "snippet"))
    assert out.read_bytes() == BOM + (
        "rank,score,title,org,authors,snippet\r\n"
        '1,1.0,"西湖,""龙井""\r\n茶",西湖区人大常委会,王五,甲…乙\r\n'
        "2,0.0,\"'=HYPERLINK(\"\"http://x\"\")\",'-1+2,'@a、b,\r\n"
    ).encode()


# --------------------------------------------------------------------------- round trip (property)

TRICKY = st.text(
    alphabet=st.one_of(st.sampled_from(list(',"\r\n\t=+-@\' ，、…中文代表')), st.characters(codec="utf-8")),
    max_size=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    titles=st.lists(TRICKY, min_size=0, max_size=4),
    snippet=TRICKY, org=TRICKY, author=TRICKY, district=TRICKY,
)
def test_csv_round_trip(titles, snippet, org, author, district):
    res = make_result(*(make_hit(i, title=t, org=org, authors=[author], district=district,
                                 snippets=[Snippet(snippet, [])]) for i, t in enumerate(titles, 1)))
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "x.csv")
        assert export.export_result(res, out) == len(titles)
        back = read_csv(out)
        assert folder_entries(Path(folder)) == ["x.csv"]
    assert back[0] == list(COLUMNS)
    assert back[1:] == as_text(export.rows(res))
    for row, hit in zip(back[1:], res.hits):
        cell = row[COLUMNS.index("title")]
        title = cite.title_of(hit).replace("\x00", "")  # no title: called as a brief is; NUL is dropped
        assert cell == ("'" + title if title[:1] in ("=", "+", "-", "@", "\t", "\r") else title)


# --------------------------------------------------------------------------- CSV injection

INJECTIONS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "=cmd|'/c calc'!A0", "-", "=", "@"]


@pytest.mark.parametrize("text", INJECTIONS)
@pytest.mark.parametrize("column", ["id", "section", "district", "title", "org", "authors", "snippet", "source"])
def test_formula_cells_are_neutralised(text, column, tmp_path):
    fields = {"authors": [text]} if column == "authors" else {"snippets": [Snippet(text, [])]} \
        if column == "snippet" else {column: text}
    res = make_result(make_hit(**fields))
    out = tmp_path / "x.csv"
    export.export_result(res, str(out), columns=(column,))
    cell = read_csv(out)[1][0]
    expected = text.strip() if column == "snippet" else text  # a snippet is trimmed first
    if expected[:1] in ("=", "+", "-", "@", "\t", "\r"):
        assert cell == "'" + expected
    else:
        assert cell == expected


@pytest.mark.parametrize("text", ["'=1", " =1", "中=1", "a-b", "1-2", "", "＝1"])
def test_harmless_cells_are_left_alone(text):
    assert export.neutralise(text) == text


def test_numbers_are_never_neutralised():
    assert export.neutralise(-1.5) == -1.5
    assert export.neutralise(3) == 3
    res = make_result(make_hit(score=0.12345678))
    assert export.rows(res, ("rank", "score"))[0] == [1, 0.1235]


# --------------------------------------------------------------------------- columns and formats


@pytest.mark.parametrize("spec, expected", [
    (None, COLUMNS),
    ("title,date", ("title", "date")),
    ("title，date、rank", ("title", "date", "rank")),
    (" Title , DATE ,", ("title", "date")),
    ("snippet", ("snippet",)),
])
def test_parse_columns(spec, expected):
    assert export.parse_columns(spec) == expected


@pytest.mark.parametrize("spec, message", [
    ("title,bogus", "unknown column 'bogus'; valid: rank, id, date"),
    ("", "no columns given"),
    (" , ，", "no columns given"),
    ("title,id,title", "column 'title' is given twice"),
])
def test_bad_columns_are_usage_errors(spec, message):
    with pytest.raises(UsageError, match=message):
        export.parse_columns(spec)


def test_columns_pick_and_order(result, tmp_path):
    columns = export.parse_columns("title,date,rank")
    for name in ("x.csv", "x.jsonl", "x.xlsx"):
        export.export_result(result, str(tmp_path / name), columns=columns)
    back = read_csv(tmp_path / "x.csv")
    assert back[0] == ["title", "date", "rank"]
    assert back[1:] == [[cite.title_of(h), h.date, str(i)] for i, h in enumerate(result.hits, 1)]
    first = json.loads((tmp_path / "x.jsonl").read_text("utf-8").splitlines()[0])
    assert list(first) == ["title", "date", "rank"]
    openpyxl = pytest.importorskip("openpyxl")
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx").active
    assert [c.value for c in ws[1]] == ["title", "date", "rank"]


@pytest.mark.parametrize("path, fmt, expected", [
    ("hits.csv", None, "csv"),
    ("hits.CSV", None, "csv"),
    ("out/hits.jsonl", None, "jsonl"),
    ("hits.ndjson", None, "jsonl"),
    ("hits.xlsx", None, "xlsx"),
    ("hits", None, "csv"),
    ("hits.txt", None, "csv"),
    ("-", None, "csv"),
    ("hits.csv", "xlsx", "xlsx"),
    ("-", "jsonl", "jsonl"),
    ("hits.json", "jsonl", "jsonl"),
    ("hits.xlsx", "CSV", "csv"),
])
def test_format_for(path, fmt, expected):
    assert export.format_for(path, fmt) == expected


@pytest.mark.parametrize("path, fmt, message", [
    ("hits.json", None, "name the file .jsonl, or pass --format jsonl"),
    ("hits.xls", None, "name the file .xlsx"),
    ("hits.csv", "tsv", "unknown export format 'tsv'; valid: csv, jsonl, xlsx"),
])
def test_format_usage_errors(path, fmt, message):
    with pytest.raises(UsageError, match=message):
        export.format_for(path, fmt)


def test_format_follows_extension(result, tmp_path):
    export.export_result(result, str(tmp_path / "a.jsonl"))
    export.export_result(result, str(tmp_path / "a.txt"))
    export.export_result(result, str(tmp_path / "b.txt"), fmt="jsonl")
    assert json.loads((tmp_path / "a.jsonl").read_text("utf-8").splitlines()[0])["rank"] == 1
    assert (tmp_path / "a.txt").read_bytes().startswith(BOM + b"rank,")
    assert (tmp_path / "b.txt").read_bytes().startswith(b'{"rank": 1')


# --------------------------------------------------------------------------- existing files and folders


def test_existing_file_needs_force(result, tmp_path):
    out = tmp_path / "hits.csv"
    out.write_bytes(b"precious")
    with pytest.raises(OutputExistsError) as info:
        export.export_result(result, str(out))
    assert isinstance(info.value, SearchkitError) and int(info.value.exit_status) == 1
    assert str(info.value) == f"{out} already exists; use --force to overwrite it, or choose another file name"
    assert out.read_bytes() == b"precious"
    assert folder_entries(tmp_path) == ["hits.csv"]
    assert export.export_result(result, str(out), force=True) == 40
    assert out.read_bytes().startswith(BOM)
    assert folder_entries(tmp_path) == ["hits.csv"]


@pytest.mark.skipif(os.name != "posix", reason="symbolic links need privileges on Windows")
def test_a_link_to_nowhere_counts_as_existing(result, tmp_path):
    out = tmp_path / "hits.csv"
    out.symlink_to(tmp_path / "missing")
    with pytest.raises(OutputExistsError):
        export.export_result(result, str(out))


def test_missing_folder(result, tmp_path):
    out = tmp_path / "nope" / "hits.csv"
    with pytest.raises(ExportError, match=r"folder .*nope does not exist; create it first"):
        export.export_result(result, str(out))
    assert folder_entries(tmp_path) == []


def test_folder_that_is_a_file(result, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ExportError, match=r"file is not a folder"):
        export.export_result(result, str(tmp_path / "file" / "hits.csv"))


def test_output_that_is_a_folder(result, tmp_path):
    with pytest.raises(ExportError, match="is a folder; give a file name"):
        export.export_result(result, str(tmp_path), force=True)
    with pytest.raises(UsageError, match="is not a file name"):
        export.export_result(result, str(tmp_path) + os.sep + "nothing" + os.sep)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_folder(result, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="permission denied"):
            export.export_result(result, str(locked / "hits.csv"))
    finally:
        locked.chmod(0o700)


# --------------------------------------------------------------------------- atomicity


class Boom(Exception):
    pass


def failing_hits(n: int, exc: type[BaseException]):
    for i in range(1, n + 1):
        yield make_hit(i)
    raise exc("stopped mid-write")


@pytest.mark.parametrize("exc", [Boom, KeyboardInterrupt])
@pytest.mark.parametrize("name", ["x.csv", "x.jsonl", "x.xlsx"])
def test_failure_mid_write_leaves_nothing(exc, name, tmp_path):
    out = tmp_path / name
    res = SearchResult("q", 5, failing_hits(3, exc))  # type: ignore[arg-type]
    with pytest.raises(exc, match="stopped mid-write"):
        export.export_result(res, str(out))
    assert folder_entries(tmp_path) == []


@pytest.mark.parametrize("exc", [Boom, KeyboardInterrupt])
def test_failure_keeps_the_old_file(exc, tmp_path):
    out = tmp_path / "x.csv"
    out.write_bytes(b"old")
    res = SearchResult("q", 5, failing_hits(3, exc))  # type: ignore[arg-type]
    with pytest.raises(exc):
        export.export_result(res, str(out), force=True)
    assert out.read_bytes() == b"old"
    assert folder_entries(tmp_path) == ["x.csv"]


class Unprintable:
    def __str__(self):
        raise Boom("no text")


def test_a_cell_that_cannot_be_written_leaves_nothing(tmp_path):
    res = make_result(make_hit(1), make_hit(2), make_hit(3, title=Unprintable()))
    with pytest.raises(Boom):
        export.export_result(res, str(tmp_path / "x.csv"))
    assert folder_entries(tmp_path) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_new_files_get_ordinary_permissions(result, tmp_path):
    out = tmp_path / "x.csv"
    export.export_result(result, str(out))
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


# --------------------------------------------------------------------------- JSONL


def test_jsonl_round_trip(result, tmp_path):
    out = tmp_path / "x.jsonl"
    assert export.export_result(result, str(out)) == 40
    data = out.read_bytes()
    assert not data.startswith(BOM)
    assert "代表".encode() in data and b"\\u" not in data
    lines = data.decode("utf-8").split("\n")
    assert lines[-1] == ""
    back = [json.loads(line) for line in lines[:-1]]
    assert back == list(export.records(result))
    assert [list(r) for r in back] == [list(COLUMNS)] * 40
    assert back[0]["authors"] == result.hits[0].authors
    assert back[0]["rank"] == 1 and back[0]["issue_total"] == result.hits[0].issue_total


def test_jsonl_keeps_text_as_is(tmp_path):
    res = make_result(make_hit(title='=1+1,"引号"\n换行', authors=["@x", "、"]))
    out = tmp_path / "x.jsonl"
    export.export_result(res, str(out))
    (record,) = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert record["title"] == '=1+1,"引号"\n换行'
    assert record["authors"] == ["@x", "、"]


# --------------------------------------------------------------------------- XLSX


def test_xlsx_holds_the_rows(result, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "x.xlsx"
    assert export.export_result(result, str(out)) == 40
    ws = openpyxl.load_workbook(out).active
    assert [c.value for c in ws[1]] == list(COLUMNS)
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    got = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    expected = export.rows(result, neutralised=False)
    date = COLUMNS.index("date")
    for row in expected:
        row[date] = dt.datetime.fromisoformat(row[date])
    assert got == [[v if v != "" else None for v in row] for row in expected]  # openpyxl reads "" as empty
    second = ws[2]
    assert isinstance(second[0].value, int) and isinstance(second[COLUMNS.index("issue")].value, int)
    assert second[date].number_format == "yyyy-mm-dd"
    assert 10 <= ws.column_dimensions["H"].width <= 62  # title: wide, but bounded


def test_xlsx_formula_looking_text_stays_text(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    texts = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "=cmd|'/c calc'!A0", "#N/A", "普通"]
    res = make_result(*(make_hit(i, title=t) for i, t in enumerate(texts, 1)))
    out = tmp_path / "x.xlsx"
    export.export_result(res, str(out), columns=("title",))
    ws = openpyxl.load_workbook(out).active
    cells = [row[0] for row in ws.iter_rows(min_row=2)]
    assert [c.value for c in cells] == texts
    assert all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [True] * 5 + [True, False, False]


def test_xlsx_drops_characters_it_cannot_hold(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    res = make_result(make_hit(title="a\x00b\x1fc\td"))
    out = tmp_path / "x.xlsx"
    export.export_result(res, str(out), columns=("title",))
    assert openpyxl.load_workbook(out).active["A2"].value == "abc\td"


def test_xlsx_without_openpyxl(result, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # as if the extra were not installed
    with pytest.raises(ExportError, match=r"xlsx export needs openpyxl: pip install 'searchkit\[xlsx\]'"):
        export.export_result(result, str(tmp_path / "x.xlsx"))
    assert folder_entries(tmp_path) == []


# --------------------------------------------------------------------------- standard output


def test_csv_to_stdout(result, capsys):
    assert export.export_result(result, "-", columns=("rank", "id")) == 40
    out = capsys.readouterr().out
    assert out.startswith("rank,id\r\n")  # no byte-order mark on a pipe
    assert list(csv.reader(io.StringIO(out, newline="")))[1:] == as_text(export.rows(result, ("rank", "id")))


def test_jsonl_to_stdout(result, capsys):
    export.export_result(result, "-", fmt="jsonl")
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == list(export.records(result))


def test_xlsx_to_stdout(result, capsysbinary):
    pytest.importorskip("openpyxl")
    assert export.export_result(result, "-", fmt="xlsx") == 40
    assert capsysbinary.readouterr().out.startswith(b"PK\x03\x04")
