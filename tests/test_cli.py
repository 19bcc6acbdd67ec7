"""The command line as a user meets it: help and docs, exit statuses, errors, output.

Behaviour (what a search finds, what a CSV cell holds) is tested in the library's own
test modules; here we test the wiring: that each command reaches it, prints what the
README promises, exits with the right status, and keeps pipes clean. Most tests use
click's CliRunner (standard output and standard error kept apart); a few run the real
`searchkit` console script, through a pipe or under a pseudo-terminal, for what
CliRunner cannot show (colour, terminal width, NO_COLOR).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

import searchkit
import searchkit.export
from searchkit.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = ("index", "search", "show", "export", "stats", "list", "parse", "trust", "serve", "where")
SEARCHKIT = Path(sys.executable).parent / "searchkit"

CJK = re.compile(r"[\u3400-\u9fff]")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
BOX_DRAWING = re.compile(r"[\u2500-\u257f]")
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


# --------------------------------------------------------------------------- helpers


def invoke(runner, args, code: int = 0):
    """Run the CLI in-process; fail loudly on an unexpected exit status or a stray exception."""
    result = runner.invoke(main, [str(a) for a in args], prog_name="searchkit")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, (
        f"searchkit {' '.join(map(str, args))}: exit {result.exit_code}, expected {code}\n"
        f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    return result


def search_ids(runner, index_dir, query, *options, tiers=("exact", "words", "partial")) -> list[str]:
    result = invoke(runner, ["search", query, "--format", "json", "--limit", "0", "--index-dir", index_dir, *options])
    return [hit["id"] for hit in json.loads(result.stdout)["hits"] if hit["match"] in tiers]


def export_ids(runner, index_dir, query, *options) -> list[str]:
    """What `export` writes by default: the exact and words tiers of `search --limit 0`."""
    return search_ids(runner, index_dir, query, *options, tiers=("exact", "words"))


def assert_one_error_line(stderr: str) -> str:
    """Exactly one line, `Error: …`, and no traceback; returns the line."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: "), stderr
    return lines[0]


def assert_plain(text: str) -> None:
    assert "\x1b[" not in text, text[:500]
    assert not BOX_DRAWING.search(text), text[:500]


def assert_no_trailing_spaces(text: str) -> None:
    bad = [line for line in text.splitlines() if line != line.rstrip()]
    assert not bad, bad


def cells(text: str) -> int:
    """Display columns: wide and fullwidth characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def copy_seeds(folder: Path) -> Path:
    target = folder / "seeds"
    shutil.copytree(SEEDS, target)
    return target


def child_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
                        "SEARCHKIT_INDEX_DIR")}
    env["TERM"] = "xterm-256color"
    env.update(extra)
    return env


def run_piped(*args, cwd=None, **env):
    """The real console script, its standard output a pipe."""
    return subprocess.run([str(SEARCHKIT), *map(str, args)], capture_output=True, text=True, encoding="utf-8",
                          stdin=subprocess.DEVNULL, env=child_env(**env), cwd=cwd, timeout=60)


def run_in_pty(*args, columns: int = 80, **env) -> tuple[int, str, str]:
    """The real console script with standard output on a pseudo-terminal `columns` wide."""
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen([str(SEARCHKIT), *map(str, args)], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=subprocess.PIPE, env=child_env(**{"PAGER": "cat", **env}))
    os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO once the child has closed its end
                break
            if not data:
                break
            chunks.append(data)
        err = proc.stderr.read()
        proc.wait(timeout=60)
    finally:
        os.close(master)
        proc.stderr.close()
    return proc.returncode, b"".join(chunks).decode("utf-8").replace("\r\n", "\n"), err.decode("utf-8")


needs_script = pytest.mark.skipif(not SEARCHKIT.exists(), reason="the searchkit console script is not installed")
needs_pty = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


# --------------------------------------------------------------------------- help, version, docs


def test_the_commands_are_the_documented_ones():
    assert sorted(main.commands) == sorted(COMMANDS)


def test_group_help_lists_every_command(runner):
    result = invoke(runner, ["--help"])
    for name in COMMANDS:
        assert re.search(rf"^\s+{name}\s", result.stdout, re.M), name
    assert CJK.search(result.stdout)
    assert result.stderr == ""


def help_examples(text: str) -> list[str]:
    """The `searchkit …` lines under a help text's `Example:` / `Examples:` heading."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        if line.strip() in ("Example:", "Examples:"):
            for follow in lines[i + 1:]:
                if not follow.strip():
                    break
                if follow.strip().startswith("searchkit "):
                    out.append(follow.strip())
    return out


@pytest.mark.parametrize("command", ["index", "search", "show", "export", "stats", "list", "parse"])
def test_help_has_an_example_with_chinese(runner, command):
    result = invoke(runner, [command, "--help"])
    assert result.stdout.startswith(f"Usage: searchkit {command} ")
    examples = help_examples(result.stdout)
    assert any(CJK.search(e) for e in examples), examples


@pytest.mark.parametrize("command", COMMANDS)
def test_help_exits_0_with_examples(runner, command):
    for flag in ("--help", "-h"):
        result = invoke(runner, [command, flag])
        assert result.stderr == ""
        assert_plain(result.stdout)
        examples = help_examples(result.stdout)
        assert examples and all(e.startswith(f"searchkit {command}") for e in examples), result.stdout


@pytest.mark.parametrize("command", [
    *[c for c in COMMANDS if c != "export"],
    "export",
])
def test_help_fits_80_columns(runner, command):
    result = runner.invoke(main, [command, "--help"], prog_name="searchkit", terminal_width=80)
    assert result.exit_code == 0
    too_wide = [line for line in result.stdout.splitlines() if cells(line) > 80]
    assert not too_wide, too_wide


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(runner, flag):
    result = invoke(runner, [flag])
    assert result.stdout == f"searchkit, version {searchkit.__version__}\n"


def readme_examples() -> list[str]:
    """Lines of the README's ```sh blocks that run searchkit."""
    blocks = re.findall(r"^```sh\n(.*?)^```", README, re.S | re.M)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip().startswith("searchkit ")]


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_documents_every_command_with_an_example(command):
    assert f"`searchkit {command}" in README, f"the command table lacks {command}"
    assert re.search(rf"^#+ .*\b{command}\b", README, re.M), f"no README section names {command}"
    assert any(line.split()[1] == command for line in readme_examples()), f"no ```sh example of {command}"


def _option_names(command):
    for param in command.params:
        if param.param_type_name == "option" and not param.hidden:
            yield param.opts + param.secondary_opts


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_mentions_every_option(command):
    for opts in _option_names(main.commands[command]):
        assert any(re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", README) for o in opts), (command, opts)


def test_readme_mentions_the_global_options():
    for opts in _option_names(main):
        assert any(o in README for o in opts), opts


@pytest.mark.parametrize("line", readme_examples())
def test_readme_examples_parse(line):
    """Every README example names a real command and only options it has (nothing is run)."""
    words = line.split("#")[0].split("|")[0].split(">")[0].split()
    command = main.commands[words[1]]
    known = {o for opts in _option_names(command) for o in opts} | {"--help", "-h"}
    for word in words[2:]:
        if word.startswith("-") and word != "-" and not re.fullmatch(r"-\d+", word):
            assert word in known, (line, word)


# --------------------------------------------------------------------------- exit statuses and errors


def test_search_with_no_hits_exits_0_and_says_what_to_try(runner, seed_index_dir):
    result = invoke(runner, ["search", "量子纠缠", "--index-dir", seed_index_dir])
    assert result.stdout.startswith("No hits for 量子纠缠.")
    assert "Check the spelling, or try other words." in result.stdout
    assert "fewer terms" not in result.stdout  # one term typed: "fewer terms" would be wrong advice
    assert result.stderr == ""

    filtered = invoke(runner, ["search", "西湖龙井", "--district", "滨江", "--index-dir", seed_index_dir])
    assert filtered.stdout.startswith("No hits for 西湖龙井 --district 滨江.")  # the totals name the filters
    assert "  Without --district 滨江: 1 hits" in filtered.stdout.splitlines()

    as_json = invoke(runner, ["search", "量子纠缠", "--format", "json", "--index-dir", seed_index_dir])
    assert json.loads(as_json.stdout)["total"] == 0


USAGE_ERRORS = {
    "unknown option": (["search", "西湖", "--bogus"], "No such option"),
    "negative limit": (["search", "西湖", "--limit", "-1"], "--limit"),
    "limit not a number": (["search", "西湖", "-n", "十"], "--limit"),
    "unknown command": (["frobnicate"], "No such command"),
    "missing query": (["search"], "empty query"),
    "bad --sort": (["search", "西湖", "--sort", "score"], "--sort"),
    "year not a number": (["search", "西湖", "--year", "二〇二四"], "--year"),
    "export without -o": (["export", "西湖"], "--output"),
}

LIBRARY_USAGE_ERRORS = {
    "unknown district": (["search", "西湖", "--district", "火星"], "unknown district '火星'"),
    "unknown section": (["search", "西湖", "--section", "体育新闻"], "unknown section '体育新闻'"),
    "invalid date": (["search", "西湖", "--since", "2024-13"], "invalid date '2024-13'"),
    "invalid until": (["search", "西湖", "--until", "去年"], "invalid date '去年'"),
    "unbalanced quote": (["search", '"西湖'], "unbalanced quote"),
    "unbalanced parenthesis": (["search", "(西湖 OR 滨江"], "unbalanced parenthesis"),
    "dangling OR": (["search", "西湖 OR"], "OR at position"),
    "empty field": (["search", "title:"], "title:"),
    "empty query": (["search", "   "], "empty query"),
    "export: unknown district": (["export", "西湖", "-o", "-", "-d", "火星"], "unknown district"),
    "export: unknown column": (["export", "西湖", "-o", "-", "--columns", "date,题目"], "unknown column '题目'"),
    "export: .json file": (["export", "西湖", "-o", "hits.json"], "JSON Lines"),
    "export: syntax error": (["export", "(西湖", "-o", "-"], "unbalanced parenthesis"),
    "show: syntax error": (["show", "697-02", "--query", '"西湖'], "unbalanced quote"),
}


@pytest.mark.parametrize("args, message", USAGE_ERRORS.values(), ids=USAGE_ERRORS.keys())
def test_click_usage_errors_exit_2(runner, seed_index_dir, args, message):
    result = invoke(runner, [*args, "--index-dir", seed_index_dir] if args[0] != "frobnicate" else args, code=2)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr
    # click's usage hint may come before the one error line, nothing else
    others = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith("Error:")]
    assert all(line.startswith(("Usage: searchkit", "Try 'searchkit")) for line in others), others


@pytest.mark.parametrize("args, message", LIBRARY_USAGE_ERRORS.values(), ids=LIBRARY_USAGE_ERRORS.keys())
def test_bad_values_exit_2_with_one_error_line(runner, seed_index_dir, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, [*args, "--index-dir", seed_index_dir], code=2)
    assert message in assert_one_error_line(result.stderr)
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("args", [["search", "(西湖"], ["search", "西湖", "-d", "火星"], ["search", "西湖", "--since", "2024-13"],
                                  ["export", "(西湖", "-o", "-"], ["show", "697-02", "-q", '"西湖']])
def test_usage_errors_come_before_looking_for_the_index(runner, tmp_path, args):
    result = invoke(runner, [*args, "--index-dir", tmp_path / "nowhere"], code=2)
    assert "no index" not in assert_one_error_line(result.stderr)


def test_unknown_district_lists_the_valid_ones(runner, seed_index_dir):
    result = invoke(runner, ["search", "西湖", "-d", "火星", "--index-dir", seed_index_dir], code=2)
    line = assert_one_error_line(result.stderr)
    for name in ("上城区", "西湖区", "建德市", "市本级"):
        assert name in line


def test_no_index_at_given_dir_exits_1_naming_the_command(runner, tmp_path):
    missing = tmp_path / "nowhere"
    for command in (["search", "西湖"], ["show", "697-02"], ["stats"], ["list"], ["export", "西湖", "-o", "-"]):
        result = invoke(runner, [*command, "--index-dir", missing], code=1)
        line = assert_one_error_line(result.stderr)
        assert f"no index at {missing}" in line
        assert "searchkit index" in line and f"--index-dir {missing}" in line
        assert result.stdout == ""
    assert not missing.exists()


def test_show_unknown_id_exits_1(runner, seed_index_dir):
    result = invoke(runner, ["show", "999-99", "--index-dir", seed_index_dir], code=1)
    assert "999-99" in assert_one_error_line(result.stderr)
    assert result.stdout == ""


def test_parse_of_a_non_issue_exits_1(runner, tmp_path):
    bad = tmp_path / "说明.txt"
    bad.write_text("这不是一期杭州人大信息。\n", encoding="utf-8")
    result = invoke(runner, ["parse", bad], code=1)
    assert str(bad) in assert_one_error_line(result.stderr)


@needs_script
def test_traceback_flag_shows_the_traceback():
    proc = run_piped("--traceback", "show", "999-99", "--index-dir", "/nonexistent/searchkit-index")
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr and "IndexMissingError" in proc.stderr


# --------------------------------------------------------------------------- show, stats, list


def test_show_prints_the_whole_article(runner, seed_index_dir, seed_records):
    record = next(r for r in seed_records if r.id == "697-03")
    result = invoke(runner, ["show", "697-03", "--index-dir", seed_index_dir])
    out = result.stdout
    assert out.splitlines()[0] == record.title
    assert f"第{record.issue}期(总第{record.issue_total}期)" in out
    assert record.date in out and record.section in out and record.district in out and "697-03" in out
    for author in record.authors:
        assert author in out
    paragraphs = [p for p in record.body.split("\n") if p.strip()]
    assert len(paragraphs) > 1
    lines = out.splitlines()
    for para in paragraphs:
        assert para in lines, para
    assert_plain(out)
    assert_no_trailing_spaces(out)
    assert result.stderr == ""


def test_show_every_record(runner, seed_index_dir, seed_records):
    """Each record's body, every character of it, is in its `show` output (briefs included)."""
    for record in seed_records[::5]:
        out = invoke(runner, ["show", record.id, "--index-dir", seed_index_dir]).stdout
        assert re.sub(r"\s", "", record.body) in re.sub(r"\s", "", out), record.id


def test_show_with_query(runner, seed_index_dir):
    plain = invoke(runner, ["show", "697-02", "--index-dir", seed_index_dir]).stdout
    result = invoke(runner, ["show", "697-02", "--query", "西湖龙井", "--index-dir", seed_index_dir])
    assert "西湖龙井" in result.stdout.splitlines()[0]
    assert result.stdout == plain  # highlights are colour, and a pipe gets none
    # the id is forgiving about spaces around it
    assert invoke(runner, ["show", " 697-02 ", "-q", "龙井", "--index-dir", seed_index_dir]).stdout == plain


def test_stats(runner, seed_index_dir, seed_records):
    result = invoke(runner, ["stats", "--index-dir", seed_index_dir])
    out = result.stdout
    lines = out.splitlines()
    issues = sorted({(r.issue_total, r.issue, r.date) for r in seed_records})
    first, last = issues[0], issues[-1]
    assert f"Issues: {len(issues)}, records: {len(seed_records)}" in lines
    assert f"From 第{first[1]}期(总第{first[0]}期) {first[2]} to 第{last[1]}期(总第{last[0]}期) {last[2]}" in lines
    present = {n for n, _, _ in issues}
    gaps = [n for n in range(first[0], last[0] + 1) if n not in present]
    assert gaps
    ranges = [(a + 1, b - 1) for a, b in zip(sorted(present), sorted(present)[1:]) if b - a > 1]
    shown = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges[:30])
    assert any(line.startswith(f"Missing running numbers ({len(gaps):,}): {shown}") for line in lines), out
    assert any(line.startswith(f"Index: {seed_index_dir}/ ") for line in lines), out

    def table(title, counts):
        assert re.search(rf"^{title}\s+n$", out, re.M), title
        for name, n in counts.items():
            assert re.search(rf"^{re.escape(name)}\s+{n}\s+█+$", out, re.M), (title, name, n)

    table("year", Counter(r.date[:4] for r in seed_records))
    table("section", Counter(r.section for r in seed_records))
    table("district", Counter(r.district for r in seed_records))
    assert_plain(out)
    assert_no_trailing_spaces(out)
    assert result.stderr == ""


def test_stats_without_gaps(runner, tmp_path):
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(SEEDS / "000_dbed6e9d040a5771.txt", one)
    invoke(runner, ["index", one, "--index-dir", tmp_path / "idx"])
    out = invoke(runner, ["stats", "--index-dir", tmp_path / "idx"]).stdout
    assert "No gaps in the running numbers." in out.splitlines()
    assert "Issues: 1, records: 12" in out.splitlines()


def test_list(runner, seed_index_dir, seed_records):
    result = invoke(runner, ["list", "--index-dir", seed_index_dir])
    out = result.stdout
    by_issue = Counter((r.issue_total, r.issue, r.date, Path(r.source).name) for r in seed_records)
    rows = [line for line in out.splitlines() if line.startswith("第")]
    assert len(rows) == len(by_issue)
    for row, ((total, issue, date, name), n) in zip(rows, sorted(by_issue.items())):
        assert re.fullmatch(rf"第{issue}期\(总第{total}期\)\s+{date}\s+{n}\s+\S*{re.escape(name)}", row), row
    assert out.splitlines()[-1] == f"{len(by_issue)} issues, {len(seed_records)} records."
    assert_plain(out)
    assert_no_trailing_spaces(out)
    assert result.stderr == ""


# --------------------------------------------------------------------------- search


def test_search_text_output(runner, seed_index_dir):
    result = invoke(runner, ["search", "西湖龙井", "--index-dir", seed_index_dir])
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"Understood as: 西湖龙井 — exact 1(, partial \d+)?", lines[0])
    assert lines[1] == ""
    assert re.fullmatch(r"  1\. .*西湖龙井.*", lines[2])
    assert "第9期(总第697期)" in lines[3] and "697-02" in lines[3]
    total = json.loads(invoke(runner, ["search", "西湖龙井", "--format", "json", "--index-dir", seed_index_dir]).stdout)
    assert lines[-1] == f"{total['total']} hits for 西湖龙井." and total["tiers"]["exact"] == 1
    assert_plain(result.stdout)
    assert result.stderr == ""


def test_search_limit(runner, seed_index_dir):
    total = len(search_ids(runner, seed_index_dir, "代表"))
    assert total > 10
    out = invoke(runner, ["search", "代表", "--index-dir", seed_index_dir]).stdout
    assert out.splitlines()[-2:] == [f"{total} hits for 代表, showing 1-10.", "Next page: add --page 2"]
    out = invoke(runner, ["search", "代表", "-n", "3", "--index-dir", seed_index_dir]).stdout
    assert len(re.findall(r"^ *\d+\. ", out, re.M)) == 3
    out = invoke(runner, ["search", "代表", "--limit", "0", "--index-dir", seed_index_dir]).stdout
    assert len(re.findall(r"^ *\d+\. ", out, re.M)) == total
    assert out.splitlines()[-1] == f"{total} hits for 代表."


def test_search_facets(runner, seed_index_dir):
    as_json = json.loads(invoke(runner, ["search", "代表", "--facets", "--format", "json", "--limit", "3",
                                         "--index-dir", seed_index_dir]).stdout)
    facets = as_json["facets"]
    assert set(facets) == {"district", "year", "section"}
    for name, counts in facets.items():
        assert sum(n for _, n in counts) == as_json["total"], name
    assert len(as_json["hits"]) == 3

    result = invoke(runner, ["search", "代表", "--facets", "--limit", "3", "--index-dir", seed_index_dir])
    out = result.stdout
    for name, counts in facets.items():
        assert re.search(rf"^{name}\s+n$", out, re.M), name
        for value, n in counts:
            assert re.search(rf"^{re.escape(str(value))}\s+{n}\s+█+$", out, re.M), (name, value, n)
    assert_plain(out)
    assert_no_trailing_spaces(out)

    without = json.loads(invoke(runner, ["search", "代表", "--format", "json", "--index-dir", seed_index_dir]).stdout)
    assert not without.get("facets")


def test_search_filters_narrow(runner, seed_index_dir):
    everything = search_ids(runner, seed_index_dir, "代表")
    xihu = search_ids(runner, seed_index_dir, "代表", "--district", "西湖")
    assert xihu and set(xihu) < set(everything)
    assert search_ids(runner, seed_index_dir, "代表", "-d", "西湖区") == xihu
    y2025 = search_ids(runner, seed_index_dir, "代表", "--year", "2025")
    assert y2025 and all(i.startswith("710-") for i in y2025)
    assert search_ids(runner, seed_index_dir, "代表", "--issue", "710") == y2025


def test_search_csv_is_the_export_columns(runner, seed_index_dir):
    out = invoke(runner, ["search", "西湖", "--format", "csv", "--limit", "0", "--index-dir", seed_index_dir]).stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:3] == ["rank", "id", "date"]
    assert [r[1] for r in rows[1:]] == search_ids(runner, seed_index_dir, "西湖")


# --------------------------------------------------------------------------- export


def export(runner, index_dir, *args, code=0):
    return invoke(runner, ["export", *args, "--index-dir", index_dir], code=code)


def test_export_csv_equals_search_limit_0(runner, seed_index_dir, tmp_path):
    ids = export_ids(runner, seed_index_dir, "代表")
    assert len(ids) > 10
    out = tmp_path / "代表.csv"
    result = export(runner, seed_index_dir, "代表", "-o", out)
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [r["id"] for r in rows] == ids
    assert [r["rank"] for r in rows] == [str(i) for i in range(1, len(ids) + 1)]
    assert result.stdout == ""
    assert result.stderr == f"Wrote {len(ids)} hits for 代表 to {out} (csv).\nTiers written: exact {len(ids)}.\n"


def test_export_format_from_extension(runner, seed_index_dir, tmp_path):
    ids = export_ids(runner, seed_index_dir, "联络站")
    jsonl = tmp_path / "hits.jsonl"
    export(runner, seed_index_dir, "联络站", "-o", jsonl)
    assert [json.loads(line)["id"] for line in jsonl.read_text(encoding="utf-8").splitlines()] == ids

    openpyxl = pytest.importorskip("openpyxl")
    xlsx = tmp_path / "hits.xlsx"
    result = export(runner, seed_index_dir, "联络站", "-o", xlsx)
    assert "(xlsx)" in result.stderr
    sheet = openpyxl.load_workbook(xlsx).active
    header = [c.value for c in sheet[1]]
    assert [row[header.index("id")] for row in sheet.iter_rows(min_row=2, values_only=True)] == ids

    forced = tmp_path / "hits.txt"
    export(runner, seed_index_dir, "联络站", "-o", forced, "--format", "jsonl")
    assert [json.loads(line)["id"] for line in forced.read_text(encoding="utf-8").splitlines()] == ids


def test_export_to_stdout(runner, seed_index_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ids = export_ids(runner, seed_index_dir, "西湖")
    result = export(runner, seed_index_dir, "西湖", "-o", "-")
    assert not result.stdout.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [r["id"] for r in rows] == ids
    assert result.stderr == ""
    result = export(runner, seed_index_dir, "西湖", "-o", "-", "--format", "jsonl")
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ids
    assert list(tmp_path.iterdir()) == []


def test_export_columns(runner, seed_index_dir, seed_records):
    result = export(runner, seed_index_dir, "西湖龙井", "-o", "-", "--columns", "date,title")
    record = next(r for r in seed_records if r.id == "697-02")
    assert result.stdout_bytes.decode("utf-8") == f"date,title\r\n{record.date},{record.title}\r\n"


def test_export_same_filters_and_sort_as_search(runner, seed_index_dir):
    for options in (["--district", "西湖"], ["-d", "余杭", "-d", "西湖"], ["--since", "2024-06", "--sort", "date"],
                    ["--section", "信息摘登"], ["--year", "2024", "--until", "2024-04"]):
        ids = search_ids(runner, seed_index_dir, "代表", *options)
        out = export(runner, seed_index_dir, "代表", "-o", "-", "--columns", "id", *options).stdout
        assert out.split()[1:] == ids, options


def test_export_does_not_overwrite_without_force(runner, seed_index_dir, tmp_path):
    out = tmp_path / "hits.csv"
    out.write_bytes(b"precious\n")
    result = export(runner, seed_index_dir, "西湖", "-o", out, code=1)
    line = assert_one_error_line(result.stderr)
    assert str(out) in line and "--force" in line
    assert out.read_bytes() == b"precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hits.csv"]

    export(runner, seed_index_dir, "西湖", "-o", out, "--force")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    assert [r["id"] for r in rows] == export_ids(runner, seed_index_dir, "西湖")
    export(runner, seed_index_dir, "西湖龙井", "-o", out, "-f")
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 2


def test_export_into_a_missing_folder_exits_1(runner, seed_index_dir, tmp_path):
    result = export(runner, seed_index_dir, "西湖", "-o", tmp_path / "无此目录" / "hits.csv", code=1)
    assert "does not exist" in assert_one_error_line(result.stderr)


def test_export_with_no_hits_says_so_and_writes_nothing(runner, seed_index_dir, tmp_path):
    out = tmp_path / "empty.csv"
    result = export(runner, seed_index_dir, "量子纠缠", "-o", out, code=1)
    assert "no hits for 量子纠缠" in assert_one_error_line(result.stderr) and not out.exists()
    result = export(runner, seed_index_dir, "量子纠缠", "-o", out, "--empty-ok")
    assert out.read_text(encoding="utf-8-sig").splitlines() == [",".join(searchkit.export.COLUMNS)]
    assert "Wrote 0 hits" in result.stderr


@needs_script
@needs_pty
@pytest.mark.parametrize("answer, code", [("y", 0), ("n", 1)])
def test_export_asks_before_replacing_on_a_terminal(seed_index_dir, tmp_path, answer, code):
    import pty

    out = tmp_path / "hits.csv"
    out.write_bytes(b"precious\n")
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([str(SEARCHKIT), "export", "西湖", "-o", str(out), "--index-dir", str(seed_index_dir)],
                                stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env())
        os.write(master, f"{answer}\n".encode())
        _, err = proc.communicate(timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    assert proc.returncode == code, err
    assert b"exists. Replace it?" in err and b"Traceback" not in err
    assert (out.read_bytes() == b"precious\n") == (answer == "n")


# --------------------------------------------------------------------------- plain output, colour, width


@pytest.mark.parametrize("args", [
    ["search", "西湖", "--facets"], ["search", "量子纠缠"], ["show", "697-02", "-q", "西湖龙井"], ["stats"], ["list"],
])
def test_plain_output_under_cli_runner(runner, seed_index_dir, args):
    result = invoke(runner, [*args, "--index-dir", seed_index_dir])
    assert_plain(result.stdout)
    assert_plain(result.stderr)


def test_parse_output_is_plain(runner):
    result = invoke(runner, ["parse", SEEDS / "000_dbed6e9d040a5771.txt"])
    assert_plain(result.stdout)
    assert_no_trailing_spaces(result.stdout)
    assert "697-02" in result.stdout


@needs_script
def test_plain_output_through_a_real_pipe(seed_index_dir):
    for args in (["search", "西湖", "--facets"], ["stats"], ["list"], ["show", "697-02", "--query", "西湖龙井"]):
        proc = run_piped(*args, "--index-dir", seed_index_dir)
        assert proc.returncode == 0, proc.stderr
        assert_plain(proc.stdout)
        assert proc.stderr == ""
    proc = run_piped("search", "西湖龙井", "--index-dir", seed_index_dir)
    assert re.fullmatch(r"\d+ hits? for 西湖龙井\.", proc.stdout.splitlines()[-1])


@needs_script
def test_errors_through_a_real_pipe(seed_index_dir):
    proc = run_piped("search", "西湖", "--index-dir", "/nonexistent/searchkit-index")
    assert proc.returncode == 1
    assert_one_error_line(proc.stderr)
    proc = run_piped("search", "(西湖", "--index-dir", seed_index_dir)
    assert proc.returncode == 2
    assert "unbalanced parenthesis" in assert_one_error_line(proc.stderr)


@needs_script
@needs_pty
def test_a_terminal_gets_colour_and_highlights(seed_index_dir):
    code, out, err = run_in_pty("search", "西湖龙井", "--index-dir", seed_index_dir)
    assert code == 0, err
    assert "\x1b[" in out
    assert re.search(r"\x1b\[[0-9;]*m西湖龙井\x1b\[0m", out), out[:300]
    code, out, err = run_in_pty("show", "697-02", "--query", "西湖龙井", "--index-dir", seed_index_dir)
    assert code == 0, err
    assert re.search(r"\x1b\[[0-9;]*m西湖龙井\x1b\[0m", out)


@needs_script
@needs_pty
@pytest.mark.parametrize("args", [["search", "西湖", "--facets"], ["show", "697-02", "-q", "西湖龙井"], ["stats"], ["list"]])
def test_no_color_removes_colour_only(seed_index_dir, args):
    """NO_COLOR on a terminal: no colour, but the layout of a terminal and the matches marked."""
    code, out, err = run_in_pty(*args, "--index-dir", seed_index_dir, NO_COLOR="1")
    assert code == 0, err
    assert not COLOUR.search(out), out[:500]
    code, coloured, err = run_in_pty(*args, "--index-dir", seed_index_dir)
    assert ANSI.sub("", out) == ANSI.sub("", coloured)  # the same lines, wrapping and indents
    if args[0] == "search" or "-q" in args:
        assert "\x1b[1;4m" in out  # the matches: bold and underlined


@needs_script
@needs_pty
@pytest.mark.parametrize("args", [["search", "西湖", "--facets"], ["search", "人大", "--limit", "0"],
                                  ["show", "697-06"], ["stats"], ["list"]])
def test_output_fits_a_narrow_terminal(seed_index_dir, args):
    code, out, err = run_in_pty(*args, "--index-dir", seed_index_dir, columns=60)
    assert code == 0, err
    lines = ANSI.sub("", out).split("\n")
    assert len(lines) > 5
    too_wide = [line for line in lines if cells(line) > 60]
    assert not too_wide, too_wide
    assert "\ufffd" not in out  # nothing cut mid-character


# --------------------------------------------------------------------------- the default index, and `index`


def test_first_search_builds_the_default_index_from_seeds(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy_seeds(tmp_path)
    result = invoke(runner, ["search", "西湖龙井"])
    assert result.stderr.splitlines() == ["No index yet: building index/ from seeds/ first."]
    assert re.fullmatch(r"\d+ hits? for 西湖龙井\.", result.stdout.splitlines()[-1])
    assert (tmp_path / "index" / "CURRENT").is_file()
    again = invoke(runner, ["search", "西湖龙井"])
    assert again.stderr == ""
    assert again.stdout == result.stdout


def test_first_search_from_a_subfolder_says_so_in_chinese(runner, tmp_path, monkeypatch):
    copy_seeds(tmp_path)
    monkeypatch.chdir(tmp_path / "seeds")
    result = invoke(runner, ["--lang", "zh", "search", "西湖龙井"])
    index, seeds = tmp_path / "index", tmp_path / "seeds"
    assert result.stderr.splitlines() == [f"还没有索引：先从 {seeds}/ 建立 {index}/。"]
    assert re.fullmatch(r"“西湖龙井”共 \d+ 篇。", result.stdout.splitlines()[-1])


def test_search_without_index_or_seeds_says_what_to_run(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, ["search", "西湖龙井"], code=1)
    line = assert_one_error_line(result.stderr)
    assert "no index at index/" in line and "`searchkit index" in line
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_index_without_paths_or_seeds_exits_1(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, ["index"], code=1)
    assert "searchkit index PATH" in assert_one_error_line(result.stderr)


SUMMARY = re.compile(r"(?P<dir>\S+)/ (?:built|rebuilt|updated): (?P<counts>[^;]+); (?P<issues>\d+) issues, "
                     r"(?P<records>\d+) records in the index \(\d+\.\d\d s\)\.")


def test_index_reports_added_then_unchanged(runner, tmp_path, monkeypatch, seed_records):
    monkeypatch.chdir(tmp_path)
    copy_seeds(tmp_path)
    first = invoke(runner, ["index"])
    lines = first.stdout.splitlines()
    per_file = Counter(Path(r.source).name for r in seed_records)
    assert len(lines) == 1  # a first build lists no file that was simply added: the summary says it
    summary = SUMMARY.fullmatch(lines[-1])
    assert summary, lines[-1]
    assert summary["dir"] == "index" and summary["counts"] == f"{len(per_file)} added"
    assert int(summary["records"]) == len(seed_records)
    assert_plain(first.stdout)
    assert_no_trailing_spaces(first.stdout)
    assert first.stderr == ""  # no progress bar when stderr is not a terminal

    second = invoke(runner, ["index"])
    assert len(second.stdout.splitlines()) == 1
    summary = SUMMARY.fullmatch(second.stdout.strip())
    assert summary and summary["counts"] == f"{len(per_file)} unchanged", second.stdout


def test_index_with_a_bad_file_indexes_the_rest_and_exits_1(runner, tmp_path, monkeypatch, seed_records):
    monkeypatch.chdir(tmp_path)
    seeds = copy_seeds(tmp_path)
    (seeds / "坏文件.txt").write_text("这不是一期杭州人大信息。\n", encoding="utf-8")
    result = invoke(runner, ["index", "seeds", "--index-dir", "idx"], code=1)
    lines = result.stdout.splitlines()
    assert any(re.fullmatch(r"seeds/坏文件\.txt\s+skipped\s+not a bulletin issue: .+", line) for line in lines), lines
    summary = SUMMARY.fullmatch(lines[-1])
    assert summary and summary["dir"] == "idx" and summary["counts"] == "4 added, 1 skipped", lines[-1]
    assert int(summary["records"]) == len(seed_records)
    assert "Traceback" not in result.stderr
    assert search_ids(runner, "idx", "西湖龙井", tiers=("exact",)) == ["697-02"]


def test_index_with_a_bad_file_says_so_on_stderr(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seeds = copy_seeds(tmp_path)
    (seeds / "坏文件.txt").write_text("这不是一期杭州人大信息。\n", encoding="utf-8")
    result = invoke(runner, ["index", "seeds", "--index-dir", "idx"], code=1)
    assert "坏文件.txt" in assert_one_error_line(result.stderr)


def test_index_rebuild_and_single_files(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    seeds = copy_seeds(tmp_path)
    one = invoke(runner, ["index", seeds / "000_dbed6e9d040a5771.txt", "--index-dir", "idx"])
    assert SUMMARY.fullmatch(one.stdout.splitlines()[-1])["counts"] == "1 added"
    rebuilt = invoke(runner, ["index", "seeds", "--index-dir", "idx", "--rebuild"])
    summary = SUMMARY.fullmatch(rebuilt.stdout.splitlines()[-1])
    assert "rebuilt:" in rebuilt.stdout.splitlines()[-1] and summary["counts"] == "4 added", rebuilt.stdout
    assert summary["issues"] == "4"


def test_paging_through_the_hits(runner, seed_index_dir):
    everything = search_ids(runner, seed_index_dir, "代表")
    pages = [invoke(runner, ["search", "代表", "-n", "7", "--page", str(p), "--ids", "--index-dir", seed_index_dir])
             for p in (1, 2)]
    assert [p.stdout.splitlines() for p in pages] == [everything[:7], everything[7:14]]
    second = invoke(runner, ["search", "代表", "-n", "7", "--page", "2", "--format", "json", "--index-dir",
                             seed_index_dir])
    data = json.loads(second.stdout)
    assert [h["id"] for h in data["hits"]] == everything[7:14] and data["offset"] == 7
    same = json.loads(invoke(runner, ["search", "代表", "-n", "7", "--offset", "7", "--format", "json",
                                      "--index-dir", seed_index_dir]).stdout)
    assert same["hits"] == data["hits"]
    text = invoke(runner, ["search", "代表", "-n", "7", "--page", "2", "--index-dir", seed_index_dir]).stdout
    assert re.search(r"^  8\. ", text, re.M) and f"{len(everything)} hits for 代表, showing 8-14." in text
    assert "Next page: add --page 3" in text
    both = invoke(runner, ["search", "代表", "--page", "2", "--offset", "3", "--index-dir", seed_index_dir], code=2)
    assert "not both" in assert_one_error_line(both.stderr)


def test_count_and_ids_for_scripts(runner, seed_index_dir):
    everything = search_ids(runner, seed_index_dir, "联络站")
    count = invoke(runner, ["search", "联络站", "--count", "--index-dir", seed_index_dir])
    assert count.stdout == f"{len(everything)}\n"
    ids = invoke(runner, ["search", "联络站", "--ids", "-n", "0", "--index-dir", seed_index_dir])
    assert ids.stdout.splitlines() == everything


def test_browsing_by_filters_alone(runner, seed_index_dir, seed_records):
    truth = sorted((r for r in seed_records if r.district == "余杭区" and r.date.startswith("2024")),
                   key=lambda r: (r.date, r.id), reverse=True)
    listed = invoke(runner, ["search", "--district", "余杭", "--year", "2024", "--ids", "-n", "0",
                             "--index-dir", seed_index_dir])
    assert listed.stdout.splitlines() == [r.id for r in truth]
    oldest = invoke(runner, ["search", "--district", "余杭", "--year", "2024", "--sort", "oldest", "--ids", "-n", "0",
                             "--index-dir", seed_index_dir])
    assert oldest.stdout.splitlines() == [r.id for r in reversed(truth)]
    text = invoke(runner, ["search", "--district", "余杭", "--year", "2024", "--index-dir", seed_index_dir]).stdout
    assert text.splitlines()[-1] == f"{len(truth)} hits for --district 余杭 --year 2024."
    nothing = invoke(runner, ["search", "--index-dir", seed_index_dir], code=2)
    assert "empty query" in assert_one_error_line(nothing.stderr) and "--district" in nothing.stderr
    exported = invoke(runner, ["export", "--district", "余杭", "--year", "2024", "-o", "-", "--columns", "id",
                               "--index-dir", seed_index_dir])
    assert exported.stdout.split()[1:] == [r.id for r in truth]


def test_a_query_typed_without_search_says_how_to_search(runner):
    result = invoke(runner, ["西湖龙井"], code=2)
    line = assert_one_error_line(result.stderr)
    assert "searchkit search 西湖龙井" in line
    result = invoke(runner, ["西湖 龙井"], code=2)
    assert "searchkit search '西湖 龙井'" in assert_one_error_line(result.stderr)


def test_show_takes_a_short_id_and_an_issue(runner, seed_index_dir, seed_records):
    full = invoke(runner, ["show", "697-01", "--index-dir", seed_index_dir]).stdout
    assert invoke(runner, ["show", "697-1", "--index-dir", seed_index_dir]).stdout == full
    contents = invoke(runner, ["show", "697", "--index-dir", seed_index_dir]).stdout.splitlines()
    assert contents[0].startswith("第9期(总第697期) 2024-06-28")
    ids = [line.split()[0] for line in contents[2:] if re.match(r"697-\d\d ", line)]
    assert ids == sorted(r.id for r in seed_records if r.issue_total == 697)
    missing = invoke(runner, ["show", "999", "--index-dir", seed_index_dir], code=1)
    assert "总第999期" in assert_one_error_line(missing.stderr)


def test_an_issue_number_in_several_years_says_so(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy_seeds(tmp_path)
    # 第4期 of 2024 (总第692期) and of 2025 (总第710期): the seeds hold both.
    result = invoke(runner, ["search", "代表", "--issue", "4", "--ids", "-n", "0"])
    assert {line.split("-")[0] for line in result.stdout.split()} == {"692", "710"}
    assert "Note: --issue 4 means 第4期 of 2024, 2025; add --year to pick one." in result.stderr
    one = invoke(runner, ["search", "代表", "--issue", "4", "--year", "2025", "--ids", "-n", "0"])
    assert {line.split("-")[0] for line in one.stdout.split()} == {"710"} and "Note" not in one.stderr


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("columns", [60, 120])
@pytest.mark.parametrize("command", COMMANDS)
def test_help_fits_the_terminal(command, columns, lang, monkeypatch):
    """Every line of every command's help fits 60 and 120 columns, Chinese counting two,
    in both languages; Chinese lines never start with closing punctuation."""
    from searchkit.typeset import NO_START, cells

    monkeypatch.setenv("COLUMNS", str(columns))
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["--lang", lang, command, "--help"], prog_name="searchkit",
                                terminal_width=columns)
    assert result.exit_code == 0
    wide = [line for line in result.stdout.splitlines() if cells(line) > columns]
    assert not wide, wide
    if lang == "zh":
        assert "用法" in result.stdout
        assert not [line for line in result.stdout.splitlines() if line.strip()[:1] in NO_START - set(".")]


# --------------------------------------------------------------------------- paging, colour, language, index discovery


@needs_script
@needs_pty
def test_long_output_on_a_terminal_goes_through_the_pager(seed_index_dir, tmp_path):
    """As git: a pager ($PAGER, with LESS=FRX unless set) when the output is taller than the
    terminal; short output and --no-pager go straight out."""
    paged, less = tmp_path / "paged.txt", tmp_path / "less.txt"
    pager = f"echo \"$LESS\" > {less}; cat > {paged}"
    code, out, err = run_in_pty("search", "人大", "-n", "0", "--index-dir", seed_index_dir, PAGER=pager)
    assert code == 0, err
    assert "1. " in paged.read_text(encoding="utf-8") and "1. " not in out
    assert less.read_text().strip() == "FRX"
    paged.unlink()
    code, out, err = run_in_pty("search", "人大", "-n", "0", "--no-pager", "--index-dir", seed_index_dir, PAGER=pager)
    assert "1. " in out and not paged.exists()
    code, out, err = run_in_pty("search", "西湖龙井", "-n", "1", "--index-dir", seed_index_dir, PAGER=pager)
    assert "1. " in out and not paged.exists()  # one screen: no pager


def test_color_always_keeps_the_highlights_in_a_pipe(seed_index_dir):
    plain = run_piped("search", "西湖龙井", "--index-dir", seed_index_dir)
    assert "\x1b[" not in plain.stdout
    coloured = run_piped("--color", "always", "search", "西湖龙井", "--index-dir", seed_index_dir)
    assert "\x1b[" in coloured.stdout and ANSI.sub("", coloured.stdout) == plain.stdout
    again = run_piped("search", "西湖龙井", "--color", "always", "--index-dir", seed_index_dir)
    assert again.stdout == coloured.stdout
    never = run_piped("search", "西湖龙井", "--color", "never", "--index-dir", seed_index_dir)
    assert never.stdout == plain.stdout


@pytest.mark.parametrize("lang, words", [
    ("zh", ["理解为", "共", "用法"]), ("en", ["Understood as", "hits for", "Usage"])])
def test_the_interface_speaks_the_chosen_language(runner, seed_index_dir, lang, words):
    out = invoke(runner, ["--lang", lang, "search", "西湖龙井", "--index-dir", seed_index_dir]).stdout
    assert words[0] in out and words[1] in out
    assert words[2] in invoke(runner, ["--lang", lang, "search", "--help"]).stdout
    err = invoke(runner, ["--lang", lang, "search", "x", "--limit", "-1"], code=2).stderr
    assert err.startswith("错误：" if lang == "zh" else "Error: ")


def test_the_locale_chooses_chinese(seed_index_dir):
    out = run_piped("stats", "--index-dir", seed_index_dir, LANG="zh_CN.UTF-8", SEARCHKIT_LANG="", LANGUAGE="", LC_ALL="",
                    LC_MESSAGES="")
    assert "期数" in out.stdout
    out = run_piped("stats", "--index-dir", seed_index_dir, LANG="en_US.UTF-8", SEARCHKIT_LANG="", LANGUAGE="", LC_ALL="",
                    LC_MESSAGES="")
    assert "Issues:" in out.stdout


def test_export_headers_follow_the_language_with_citation_and_brief_titles(runner, seed_index_dir, tmp_path):
    zh = tmp_path / "zh.csv"
    invoke(runner, ["--lang", "zh", "export", "人大", "-o", zh, "--index-dir", seed_index_dir])
    rows = list(csv.reader(io.StringIO(zh.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["序号", "编号", "日期", "期号", "总期号", "栏目", "地区", "标题", "单位", "作者", "出处", "摘录"]
    assert all(r[7] for r in rows[1:])  # every row has a title, briefs too
    assert all(re.fullmatch(r"《杭州人大信息》\d{4}年第\d+期（总第\d+期）", r[10]) for r in rows[1:])
    en = tmp_path / "en.csv"
    invoke(runner, ["--lang", "zh", "export", "人大", "-o", en, "--headers", "en", "--columns", "+body,+score",
                    "--index-dir", seed_index_dir])
    back = list(csv.reader(io.StringIO(en.read_text(encoding="utf-8-sig"))))
    assert back[0][-3:] == ["snippet", "body", "score"] and "source" not in back[0]
    assert [r[:12] for r in back[1:]] == rows[1:]
    # the same brief titles in the terminal, in JSON and in the export
    data = json.loads(invoke(runner, ["search", "人大", "-n", "0", "--format", "json",
                                      "--index-dir", seed_index_dir]).stdout)
    titles = {h["id"]: h["title"] for h in data["hits"]}
    briefs = [r for r in rows[1:] if r[5] == "信息摘登"]
    assert briefs and all(titles[r[1]] == r[7] for r in briefs)
    text = invoke(runner, ["search", "人大", "-n", "0", "--index-dir", seed_index_dir]).stdout
    assert all(r[7] in text for r in briefs)


def test_the_bulletin_text_is_shown_as_printed(runner, seed_index_dir, seed_records, tmp_path):
    """Fullwidth punctuation reaches search, show and export unchanged (folding is for matching)."""
    r = next(r for r in seed_records if r.id == "689-07")
    assert r.title == "余杭区：“三举措”建强用好代表联络站"
    out = invoke(runner, ["search", "三举措", "--index-dir", seed_index_dir]).stdout
    assert "余杭区：“三举措”" in out
    shown = invoke(runner, ["show", r.id, "--index-dir", seed_index_dir]).stdout
    assert r.title in shown and all(p[:20] in shown for p in r.body.split("\n"))
    data = json.loads(invoke(runner, ["show", r.id, "--format", "json", "--index-dir", seed_index_dir]).stdout)
    assert data["body"] == r.body and data["title"] == r.title
    out = tmp_path / "x.jsonl"
    invoke(runner, ["export", "三举措", "-o", out, "--columns", "id,title,body", "--index-dir", seed_index_dir])
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {"id": r.id, "title": r.title, "body": r.body} in rows


def test_list_stats_show_have_json(runner, seed_index_dir, seed_records):
    issues = json.loads(invoke(runner, ["list", "--format", "json", "--index-dir", seed_index_dir]).stdout)
    assert sum(i["records"] for i in issues) == len(seed_records)
    stats = json.loads(invoke(runner, ["stats", "--format", "json", "--index-dir", seed_index_dir]).stdout)
    assert stats["records"] == len(seed_records) and list(stats["per_year"]) == sorted(stats["per_year"])
    issue = json.loads(invoke(runner, ["show", "697", "--format", "json", "--index-dir", seed_index_dir]).stdout)
    assert issue["citation"] == "《杭州人大信息》2024年第9期（总第697期）"
    assert [x["id"] for x in issue["records"]] == [r.id for r in seed_records if r.issue_total == 697]


def test_an_index_is_found_from_a_subfolder(runner, tmp_path, monkeypatch):
    project = tmp_path / "project"
    copy_seeds(project)
    (project / "seeds" / "more").mkdir()
    monkeypatch.chdir(project / "seeds" / "more")
    monkeypatch.delenv("SEARCHKIT_INDEX_DIR", raising=False)
    invoke(runner, ["index"])  # finds the project's seeds/ and builds index/ beside it
    assert (project / "index" / "CURRENT").is_file()
    assert "西湖龙井" in invoke(runner, ["search", "西湖龙井"]).stdout
    where = json.loads(invoke(runner, ["where", "--format", "json"]).stdout)
    assert where["found_by"] == "found" and where["exists"] and where["files"] == 4
    assert Path(where["index"]).resolve() == (project / "index").resolve()
    assert Path(where["issue_folders"][0]).resolve() == (project / "seeds").resolve()
    assert "Index:" in invoke(runner, ["where"]).stdout
    invoke(runner, ["index"])  # an update from the subfolder: the folders the index holds
    assert not (project / "seeds" / "more" / "index").exists()


def test_a_default_index_from_the_config_file(runner, tmp_path, monkeypatch, seed_index_dir):
    config = tmp_path / "config"
    (config / "searchkit").mkdir(parents=True)
    (config / "searchkit" / "config").write_text(f"index = {seed_index_dir}\n", encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    monkeypatch.delenv("SEARCHKIT_INDEX_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    where = json.loads(invoke(runner, ["where", "--format", "json"]).stdout)
    assert where["found_by"] == "config"
    # named in the config, but opened only with this user's seal: under this XDG_CONFIG_HOME the
    # key is another one, so the index (sealed with the session's key) is refused, not opened
    result = runner.invoke(main, ["search", "西湖龙井"])
    assert result.exit_code == 4, result.stderr


def test_no_fullwidth_character_is_altered_anywhere(runner, seed_index_dir, seed_records, tmp_path):
    """Every record, as the source file has it (fullwidth ，：（） included), in show's JSON and
    text, in an export of everything, and in the titles search prints."""
    fullwidth = re.compile("[\uff01-\uff5e]")
    assert sum(len(fullwidth.findall(r.body + r.title)) for r in seed_records) > 300
    by_id = {r.id: r for r in seed_records}
    for r in seed_records:
        data = json.loads(invoke(runner, ["show", r.id, "--format", "json", "--index-dir", seed_index_dir]).stdout)
        assert (data["body"], data["toc_title"], data["org"]) == (r.body, r.toc_title, r.org)
        if r.title:
            assert data["title"] == r.title
        text = invoke(runner, ["show", r.id, "--index-dir", seed_index_dir]).stdout
        assert all(line in text for line in r.body.split("\n"))
    for year in ("2024", "2025"):
        out = tmp_path / f"{year}.jsonl"
        invoke(runner, ["export", "--year", year, "-o", out, "--columns", "id,title,body,org",
                        "--index-dir", seed_index_dir])
        for row in map(json.loads, out.read_text(encoding="utf-8").splitlines()):
            r = by_id[row["id"]]
            assert (row["body"], row["org"]) == (r.body, r.org) and (row["title"] == r.title or not r.title)
        listed = invoke(runner, ["search", "--year", year, "-n", "0", "--index-dir", seed_index_dir]).stdout
        assert all(r.title in listed for r in seed_records if r.title and r.date.startswith(year))


def test_a_page_past_the_end_says_which_is_the_last(runner, seed_index_dir):
    total = int(invoke(runner, ["search", "人大", "--count", "--index-dir", seed_index_dir]).stdout)
    out = invoke(runner, ["search", "人大", "--page", "99", "--index-dir", seed_index_dir]).stdout
    assert out == f"No hits past hit 980: {total} in all for 人大; the last page is --page {-(-total // 10)}.\n"
    last = invoke(runner, ["search", "人大", "--page", str(-(-total // 10)), "--index-dir", seed_index_dir]).stdout
    assert "Next page" not in last and f"{total} hits for 人大" in last


@needs_script
@needs_pty
@pytest.mark.parametrize("args", [["show", "697"], ["show", "689-07"], ["search", "联络站", "-n", "0"],
                                  ["--lang", "zh", "stats"]])
def test_chinese_lines_break_with_kinsoku_at_60_columns(seed_index_dir, args):
    """In tables, articles and snippets: no line starts with closing punctuation or ends with
    an opening mark, and none is wider than the terminal."""
    from searchkit.typeset import NO_END, cells

    code, out, err = run_in_pty(*args, "--index-dir", seed_index_dir, columns=60)
    assert code == 0, err
    lines = [ANSI.sub("", line).rstrip() for line in out.splitlines()]
    assert not [line for line in lines if line.strip()[:1] in set("，。、；：？！）》」』”’")], "\n".join(lines)
    assert not [line for line in lines if line[-1:] in NO_END], "\n".join(lines)
    assert all(cells(line) <= 60 for line in lines)


@needs_script
@needs_pty
def test_a_long_title_wraps_under_itself_at_60_columns(seed_index_dir):
    """A brief titled by its lead sentence is wider than 60 columns: its second line stands
    under the title, indented like the rest of the hit, not at the left margin."""
    code, out, err = run_in_pty("--lang", "zh", "search", "西湖区代表联络站", "-n", "3", "--no-pager",
                                "--index-dir", seed_index_dir, columns=60)
    assert code == 0, err
    lines = [ANSI.sub("", line).rstrip() for line in out.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("  1. "))
    end = next(i for i, line in enumerate(lines) if "共" in line and "篇" in line and i > start)
    body = [line for line in lines[start:end] if line and not line.startswith("──")]
    assert all(line.startswith(("  ", " ")) for line in body), "\n".join(lines)
    assert any(line.startswith("  3. ") for line in body)
