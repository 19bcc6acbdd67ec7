"""Hardening (issue 10): nothing from elsewhere runs code, corrupts the terminal, loses records
or takes the machine down.

Most tests run the installed command in a subprocess (helpers from test_reliability), over
hostile files, folders and indexes made under pytest's tmp. Pathological sizes run under a
budget (a timeout and an address-space limit), never a wall-clock assertion.
"""

from __future__ import annotations

import os
import pathlib
import shutil
from pathlib import Path

import pytest

from searchkit.errors import ExitStatus

from test_reliability import ROOT, _env, _live, assert_clean_failure, output, run_cli, searchkit_command  # noqa: F401

SEEDS = ROOT / "seeds"


@pytest.fixture
def index_copy(seed_index_dir, tmp_path) -> Path:
    root = tmp_path / "index"
    shutil.copytree(seed_index_dir, root)  # copytree keeps modification times: still sealed
    return root


# --------------------------------------------------------------------------- 1. trust


def _payload(marker: Path, base=object):
    """An object whose unpickling creates `marker`: code from the index folder would have run."""

    class Payload(base):
        def __reduce__(self):
            return (pathlib.Path.touch, (pathlib.Path(marker),))

    return Payload()


def _plant_payload(gen: Path, marker: Path) -> None:
    """Replace the TOC (its pickled schema) and the text store with the payload."""
    import pickle

    from whoosh.fields import Schema
    from whoosh.filedb.filestore import FileStorage
    from whoosh.index import TOC

    for toc in gen.glob("*.toc"):
        toc.unlink()
    TOC(_payload(marker, Schema), [], 1).write(FileStorage(str(gen)), "MAIN")
    (gen / "store.pickle").write_bytes(pickle.dumps(_payload(marker)))
    assert not marker.exists()


def test_a_crafted_pickle_in_an_index_folder_does_not_run(index_copy, tmp_path):
    marker = tmp_path / "pwned"
    _plant_payload(_live(index_copy), marker)
    for args in (("search", "人大"), ("stats",), ("list",), ("show", "697-01"), ("index", str(SEEDS))):
        result = run_cli(*args, "--index-dir", str(index_copy), cwd=tmp_path)
        assert not marker.exists(), f"{args}: the pickle ran"
        assert_clean_failure(result, ExitStatus.INDEX_UNTRUSTED, "not opened", "--rebuild", "searchkit trust")


def test_an_index_written_with_another_users_key_is_refused_until_trusted(index_copy, tmp_path):
    env = dict(_env(), XDG_CONFIG_HOME=str(tmp_path / "someone-else"))
    import subprocess

    other = subprocess.run([*searchkit_command(), "search", "人大", "--index-dir", str(index_copy)], cwd=tmp_path,
                           capture_output=True, text=True, env=env, timeout=120)
    assert_clean_failure(other, ExitStatus.INDEX_UNTRUSTED, "another user", "searchkit trust")
    trusted = subprocess.run([*searchkit_command(), "trust", "--index-dir", str(index_copy)], cwd=tmp_path,
                             capture_output=True, text=True, env=env, timeout=120)
    assert trusted.returncode == 0, output(trusted)
    again = subprocess.run([*searchkit_command(), "search", "西湖龙井", "--index-dir", str(index_copy)], cwd=tmp_path,
                           capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 0 and "西湖龙井" in again.stdout, output(again)
    assert oct((tmp_path / "someone-else" / "searchkit" / "secret").stat().st_mode & 0o777) == "0o600"


def test_an_index_without_a_seal_is_refused(index_copy, tmp_path):
    (_live(index_copy) / "SEAL").unlink()
    assert_clean_failure(run_cli("search", "人大", "--index-dir", str(index_copy), cwd=tmp_path),
                         ExitStatus.INDEX_UNTRUSTED, "no seal")


def test_a_changed_segment_file_is_refused(index_copy, tmp_path):
    seg = next(_live(index_copy).glob("*.seg"))
    data = bytearray(seg.read_bytes())
    data[-100] ^= 0xFF
    seg.write_bytes(bytes(data))  # same size, a new modification time
    assert_clean_failure(run_cli("search", "人大", "--index-dir", str(index_copy), cwd=tmp_path),
                         ExitStatus.INDEX_UNTRUSTED, "changed since")


def test_a_lock_file_that_is_a_symlink_is_never_followed(index_copy, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    lock = index_copy / "LOCK"
    lock.unlink(missing_ok=True)
    lock.symlink_to(victim)
    result = run_cli("index", str(SEEDS), "--index-dir", str(index_copy), cwd=tmp_path)
    assert_clean_failure(result, ExitStatus.USAGE, "symbolic link")
    assert victim.read_text() == "precious\n"


# --------------------------------------------------------------------------- 2. terminal

import io
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from searchkit import render
from searchkit.terminal import is_safe, one_line, visible

HOSTILE = ["\x1b[2J", "\x1b]52;c;cm0gLXJmIH4=\x07", "\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\", "\x1b]0;title\x07",
           "\x9b31m", "\x85", "\u202e", "\u2066", "\u200b", "\ufeff", "\r", "\x08", "\x00", "\udc8f", "\n"]
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=5)), max_size=12).map("".join)
SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own styling, in a terminal
CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # and its cursor moves (a progress bar)


@given(hostile_text)
def test_visible_and_one_line_leave_nothing_a_terminal_acts_on(text):
    assert is_safe(visible(text)) and is_safe(one_line(text), newlines=False)
    assert "\n" not in one_line(text)
    assert visible(text).count("\n") == text.count("\n")
    for c in "\x1b\x9b\u202e\u200b":
        assert c not in visible(text)
    if is_safe(text, newlines=False):
        assert one_line(text) == text  # ordinary text, Chinese included, is left alone


@settings(max_examples=60, deadline=None)
@given(hostile_text, hostile_text, st.booleans())
def test_reports_and_lists_print_hostile_names_and_notes_visibly(name, note, fancy):
    from searchkit.index import FileOutcome, UpdateReport
    from searchkit.stats import IssueInfo

    out = io.StringIO()
    console = render.SafeConsole(file=out, force_terminal=fancy, no_color=not fancy, width=100, highlight=False,
                                 markup=False, emoji=False)
    report = UpdateReport(index_dir=name, files=[FileOutcome(name, "skipped", reason=note)])
    render.index_report(report, console)
    render.issue_list([IssueInfo(1, 697, "2024-06-28", 3, name)], console)
    printed = SGR.sub("", out.getvalue())
    assert is_safe(printed), repr(printed)


MARKUP = ["x[/b]y.txt", "[bold red]", "[/]", "[link=http://evil/]", "a[", "]"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(HOSTILE), st.sampled_from(MARKUP), st.text(max_size=5)),
                max_size=8).map("".join))
def test_the_progress_bar_shows_hostile_file_names_as_text(name):
    """The index's progress bar (a terminal only) shows file names as they are: `x[/b]y.txt`
    is no rich markup (it raised MarkupError), and control characters are escaped."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(render, "_isatty", lambda stream: True)
        mp.setattr(render.sys, "stderr", out)
        with render.progress("Indexing") as advance:
            advance(name, 1, 2)
            advance(f"writing {name}", 2, 2)
    printed = CSI.sub("", out.getvalue()).replace("\r", "")  # rich's own cursor moves and styles
    assert is_safe(printed), repr(printed)  # its frames are lines of their own


def test_the_progress_bar_shows_brackets_as_typed(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(render, "_isatty", lambda stream: True)
    monkeypatch.setattr(render.sys, "stderr", out)
    with render.progress("Indexing") as advance:
        advance("a/x[/b]y [bold]z.txt", 1, 1)
    assert "a/x[/b]y [bold]z.txt" in CSI.sub("", out.getvalue())


HOSTILE_ISSUE_TITLE = "西湖区\x1b]52;c;cm0gLXJmIH4=\x07龙井\u202e茶\x1b[2J"


def _hostile_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = (SEEDS / "000_dbed6e9d040a5771.txt").read_text(encoding="utf-8")
    text = text.replace("市人大常委会积极推动西湖龙井", "市人大常委会积极推动" + HOSTILE_ISSUE_TITLE)
    (corpus / "hostile\x1b[31m\u202e.txt").write_text(text, encoding="utf-8")
    return corpus


def test_issue_text_and_file_names_reach_the_terminal_visibly_and_json_exactly(tmp_path):
    corpus = _hostile_corpus(tmp_path)
    index_dir = tmp_path / "index"
    result = run_cli("index", str(corpus), "--index-dir", str(index_dir), cwd=tmp_path)
    assert result.returncode in (0, 1), output(result)
    assert is_safe(output(result)), repr(output(result))
    for args in (("search", "龙井"), ("show", "697-02"), ("list",), ("stats",)):
        result = run_cli(*args, "--index-dir", str(index_dir), cwd=tmp_path)
        assert result.returncode == 0, output(result)
        assert is_safe(output(result)), (args, output(result))
    assert "\\x1b]52" in run_cli("search", "龙井", "--index-dir", str(index_dir), cwd=tmp_path).stdout
    import json

    hits = json.loads(run_cli("search", "龙井", "--format", "json", "--index-dir", str(index_dir), cwd=tmp_path).stdout)
    assert any(HOSTILE_ISSUE_TITLE in h["title"] for h in hits["hits"])
    parsed = run_cli("parse", str(next(corpus.iterdir())), cwd=tmp_path)
    assert is_safe(output(parsed)), repr(output(parsed))


def test_a_newline_in_a_file_name_cannot_forge_an_error_line(tmp_path):
    bad = tmp_path / "x.txt\nError: everything is fine"
    bad.write_text("not an issue\n", encoding="utf-8")
    result = run_cli("parse", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert len([ln for ln in result.stderr.splitlines() if ln.strip()]) == 1, result.stderr
    assert "x.txt\\nError: everything is fine" in result.stderr


def test_a_query_in_another_encoding_is_one_usage_line(seed_index_dir, tmp_path):
    import subprocess

    gbk = "人大".encode("gbk")
    for args in ([b"search", gbk], [b"show", gbk], [b"export", gbk, b"-o", b"x.csv"]):
        result = subprocess.run([*map(os.fsencode, searchkit_command()), *args, b"--index-dir",
                                 os.fsencode(seed_index_dir)], cwd=tmp_path, capture_output=True, env=_env(),
                                timeout=120)
        stderr = result.stderr.decode("utf-8")
        assert result.returncode == 2 and "Traceback" not in stderr, stderr
        assert len(stderr.strip().splitlines()) == 1 and "not UTF-8" in stderr, stderr


@pytest.mark.parametrize("fmt", ["text", "json", "csv"])
def test_a_closed_pipe_ends_quietly_with_status_0(seed_index_dir, tmp_path, fmt):
    import subprocess

    cmd = " ".join(searchkit_command()) + f" search 人大 --limit 0 --format {fmt} --index-dir '{seed_index_dir}' | head -1"
    result = subprocess.run(["bash", "-c", cmd + "; echo status=${PIPESTATUS[0]}"], cwd=tmp_path, capture_output=True,
                            text=True, env=_env(), timeout=120)
    assert "status=0" in result.stdout and result.stderr == "", result


# --------------------------------------------------------------------------- 3. per-file isolation


def _nest(folder: Path, depth: int) -> None:
    """Folders `d/d/…` `depth` deep under `folder`, an unreadable issue file at the bottom."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            new = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new
        with os.fdopen(os.open("deep.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
            f.write("not an issue\n")
    finally:
        os.close(fd)


@pytest.fixture
def hostile_archive(tmp_path):
    corpus = tmp_path / "archive"
    corpus.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    shutil.copy(seeds[0], corpus / "good.txt")
    shutil.copy(seeds[1], os.fsdecode(os.fsencode(str(corpus)) + b"/" + "第1期".encode("gbk") + b".txt"))
    text = seeds[2].read_text(encoding="utf-8")
    (corpus / "huge-number.txt").write_text(re.sub(r"总第\s*\d+\s*期", "总第 2147483648 期", text), encoding="utf-8")
    (corpus / "self.txt").symlink_to("self.txt")
    os.mkfifo(corpus / "fifo.txt")
    (corpus / "zero.txt").symlink_to("/dev/zero")
    (corpus / "report.pdf").write_bytes(b"%PDF-1.4\n")
    (corpus / "notes.docx").write_bytes(b"PK\x03\x04")
    _nest(corpus, 1000)
    yield corpus
    import subprocess

    subprocess.run(["rm", "-rf", str(corpus / "d")], check=False)  # shutil.rmtree recurses once per level


def test_one_bad_entry_never_stops_the_good_files(hostile_archive, tmp_path):
    index_dir = hostile_archive / "index"  # an index inside its own input folder
    index_dir.mkdir()
    (index_dir / "userdict.txt").write_bytes("西湖龙井 300 n\n".encode("gbk") + b"\xe9\xbe\x99\xe4\xba\x95 99999999999999999999999 n\n")
    for run in range(2):
        result = run_cli("index", str(hostile_archive), "--index-dir", str(index_dir), cwd=tmp_path, timeout=300)
        assert "Traceback" not in output(result), output(result)
        assert result.returncode == 1, output(result)
        assert is_safe(output(result)), repr(output(result))
        error = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(error) == 1 and error[0].startswith("Error: "), result.stderr
        for name in ("self.txt", "fifo.txt", "zero.txt", "report.pdf", "notes.docx", "huge-number.txt", "deep.txt",
                     "userdict.txt"):
            assert name in error[0], (name, error[0])
        assert "\\xb5\\xda1\\xc6\\xda.txt" not in error[0]  # the GBK-named issue is fine: indexed
    listed = run_cli("list", "--index-dir", str(index_dir), cwd=tmp_path)
    assert listed.returncode == 0 and "2 issues" in listed.stdout and "\\xb5\\xda1\\xc6\\xda.txt" in listed.stdout, \
        output(listed)


@pytest.mark.parametrize("case", ["empty folder", "mistyped path", "only bad files", "only pdf and docx"])
def test_a_first_build_with_nothing_usable_says_so_and_leaves_nothing(tmp_path, case):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    if case == "only bad files":
        (corpus / "a.txt").write_text("买菜\n", encoding="utf-8")
        (corpus / "b.txt").write_bytes(b"\x00\x01")
    elif case == "only pdf and docx":
        (corpus / "a.pdf").write_bytes(b"%PDF-1.4\n")
        (corpus / "b.docx").write_bytes(b"PK\x03\x04")
    target = corpus / "typo" if case == "mistyped path" else corpus
    index_dir = tmp_path / "index"
    result = run_cli("index", str(target), "--index-dir", str(index_dir), cwd=tmp_path)
    assert_clean_failure(result, 1, "no index made")
    assert not index_dir.exists(), list(index_dir.iterdir())


def test_parse_names_a_fifo_and_a_device_without_reading_them(tmp_path):
    os.mkfifo(tmp_path / "fifo.txt")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    result = run_cli("parse", "fifo.txt", "zero.txt", str(SEEDS / "000_dbed6e9d040a5771.txt"), cwd=tmp_path, timeout=60)
    assert result.returncode == 1 and "Traceback" not in output(result), output(result)
    assert "fifo.txt: a FIFO" in result.stderr and "zero.txt: a device" in result.stderr, result.stderr


def test_the_size_cap_skips_a_file_with_a_clear_reason(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(f, corpus)
    big = max(corpus.iterdir(), key=lambda f: f.stat().st_size)
    cap = (big.stat().st_size - 1) / 2**20
    result = run_cli("index", str(corpus), "--index-dir", str(tmp_path / "index"), "--max-file-mb", f"{cap:.6f}",
                     cwd=tmp_path)
    assert result.returncode == 1 and big.name in result.stderr, output(result)
    assert "cap" in result.stdout and "--max-file-mb" in result.stdout, result.stdout


# --------------------------------------------------------------------------- 4. bounded memory


def _limited(megabytes: int):
    def limit():
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (megabytes * 2**20, megabytes * 2**20))
    return limit


@pytest.mark.parametrize("total", [69700000, 2147483647])
def test_stats_reports_a_huge_gap_as_a_range_within_a_memory_budget(tmp_path, total):
    import subprocess

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    shutil.copy(seeds[0], corpus)
    text = seeds[1].read_text(encoding="utf-8")
    (corpus / "typo.txt").write_text(re.sub(r"总第\s*\d+\s*期", f"总第 {total} 期", text, count=1), encoding="utf-8")
    index_dir = tmp_path / "index"
    assert run_cli("index", str(corpus), "--index-dir", str(index_dir), cwd=tmp_path).returncode == 0
    result = subprocess.run([*searchkit_command(), "stats", "--index-dir", str(index_dir)], cwd=tmp_path, env=_env(),
                            capture_output=True, text=True, timeout=60, preexec_fn=_limited(1024))
    assert result.returncode == 0, output(result)
    assert re.search(rf"Missing running numbers \([\d,]+\): \d+-{total - 1}\b", result.stdout), result.stdout


# --------------------------------------------------------------------------- 7. output targets


def test_export_writes_into_special_files_and_never_replaces_them(seed_index_dir, tmp_path):
    import subprocess
    import threading

    null = run_cli("export", "人大", "-o", "/dev/null", "--force", "--index-dir", str(seed_index_dir), cwd=tmp_path)
    assert null.returncode == 0, output(null)
    assert Path("/dev/null").is_char_device()
    cmd = " ".join(searchkit_command()) + f" export 人大 -o /dev/stdout --force --format jsonl --index-dir '{seed_index_dir}' | wc -l"
    piped = subprocess.run(["bash", "-c", cmd], cwd=tmp_path, capture_output=True, text=True, env=_env(), timeout=120)
    assert int(piped.stdout.strip()) > 10, output(piped)
    fifo = tmp_path / "hits.fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    result = run_cli("export", "人大", "-o", str(fifo), "--force", "--format", "jsonl", "--index-dir",
                     str(seed_index_dir), cwd=tmp_path)
    reader.join(60)
    assert result.returncode == 0, output(result)
    assert fifo.is_fifo() and got and got[0].count(b"\n") > 10


# --------------------------------------------------------------------------- 5, 8. signals and first searches


def test_concurrent_first_searches_wait_for_the_automatic_build(tmp_path):
    import subprocess

    shutil.copytree(SEEDS, tmp_path / "seeds")
    procs = [subprocess.Popen([*searchkit_command(), "search", "西湖龙井"], cwd=tmp_path, env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    for status, stdout, stderr in results:
        assert status == 0 and "西湖龙井" in stdout and "being updated" not in stderr, (status, stdout, stderr)


def test_ctrl_c_during_a_multi_process_build_is_one_line_and_leaves_nothing(tmp_path):
    """Ctrl-C (SIGINT to the whole foreground group) once the parse helpers are forked: one
    line, status 130, no helper traceback, and a first build leaves no folder behind."""
    import signal
    import subprocess
    import time

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = (SEEDS / "000_dbed6e9d040a5771.txt").read_text(encoding="utf-8")
    for n in range(120):  # enough files for the parallel parser
        (corpus / f"{n:03d}.txt").write_text(re.sub(r"总第\s*\d+\s*期", f"总第 {1000 + n} 期", text, count=1),
                                            encoding="utf-8")
    index_dir = tmp_path / "index"
    for attempt in range(3):
        proc = subprocess.Popen([*searchkit_command(), "index", str(corpus), "--index-dir", str(index_dir)],
                                cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split():
                    break  # a helper is forked (or being forked): the moment a Ctrl-C used to get lost
            except OSError:
                pass
            time.sleep(0.002)
        time.sleep(0.05 * attempt)
        try:
            os.killpg(proc.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        stdout, stderr = proc.communicate(timeout=120)
        if proc.returncode == 0:  # finished before the signal; try again from scratch
            shutil.rmtree(index_dir)
            continue
        assert proc.returncode == ExitStatus.INTERRUPTED, (proc.returncode, stderr)
        lines = [ln for ln in stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: interrupted"), stderr
        assert not index_dir.exists(), list(index_dir.iterdir())
        break
    else:
        pytest.fail("every run finished before Ctrl-C reached it")


# --------------------------------------------------------------------------- 5. failures, one line each


def test_a_segment_damaged_after_sealing_is_one_line_not_aborted(index_copy, tmp_path):
    seg = next(_live(index_copy).glob("*.seg"))
    with open(seg, "r+b") as f:
        f.truncate(seg.stat().st_size // 2)
    assert run_cli("trust", "--index-dir", str(index_copy), cwd=tmp_path).returncode == 0  # damage, not tampering
    # A plain search reads only the store; a filter or `show` reads the Whoosh segments.
    for args in (("search", "人大", "--district", "西湖"), ("show", "697-01")):
        result = run_cli(*args, "--index-dir", str(index_copy), cwd=tmp_path)
        assert "Aborted" not in output(result)
        assert_clean_failure(result, ExitStatus.INDEX_DAMAGED, "damaged", "--rebuild")


def test_a_missing_segment_is_named(index_copy, tmp_path):
    seg = next(_live(index_copy).glob("*.seg"))
    seg.unlink()
    assert_clean_failure(run_cli("search", "人大", "--index-dir", str(index_copy), cwd=tmp_path),
                         ExitStatus.INDEX_DAMAGED, seg.name, "missing", "--rebuild")


@pytest.fixture
def small_disk(tmp_path):
    """A 1.5 MB tmpfs: room for an index of the seeds, not for a much bigger update."""
    import subprocess

    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1500k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def _sixteen_new_issues(tmp_path) -> Path:
    """Sixteen issues not in the seeds (the seeds under new running numbers): an update too
    big for `small_disk`."""
    corpus = tmp_path / "more"
    corpus.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for n in range(16):
        text = seeds[n % 4].read_text(encoding="utf-8")
        (corpus / f"{n:02d}.txt").write_text(re.sub(r"总第\s*\d+\s*期", f"总第 {2000 + n} 期", text, count=1),
                                            encoding="utf-8")
    return corpus


def test_disk_full_during_an_update_undoes_it_and_leaves_the_old_index(small_disk, tmp_path):
    index_dir = small_disk / "index"
    assert run_cli("index", str(SEEDS), "--index-dir", str(index_dir), cwd=tmp_path).returncode == 0
    before = sorted(p.name for p in index_dir.iterdir())
    used = shutil.disk_usage(small_disk).used
    corpus = _sixteen_new_issues(tmp_path)
    result = run_cli("index", str(corpus), str(SEEDS), "--index-dir", str(index_dir), cwd=tmp_path)
    assert_clean_failure(result, ExitStatus.NO_SPACE, "full", "undone")
    assert sorted(p.name for p in index_dir.iterdir()) == before
    assert shutil.disk_usage(small_disk).used <= used + 64 * 1024  # the partial generation is gone
    found = run_cli("search", "西湖龙井", "--index-dir", str(index_dir), cwd=tmp_path)
    assert found.returncode == 0 and "西湖龙井" in found.stdout, output(found)


def test_disk_full_in_a_helper_writing_a_segment_is_the_same_clear_failure(small_disk, tmp_path, monkeypatch):
    """Segments written by helper processes (small segments: one per issue): the full disk
    one of them meets is reported by the update as a full disk, and undone."""
    import searchkit.index as index_module
    from searchkit.errors import NoSpaceError
    from searchkit.index import update_index

    index_dir = small_disk / "index"
    update_index([SEEDS], index_dir)
    before = sorted(p.name for p in index_dir.iterdir())
    used = shutil.disk_usage(small_disk).used
    corpus = _sixteen_new_issues(tmp_path)
    monkeypatch.setattr(index_module, "SEGMENT_DOCS", 8)
    monkeypatch.setattr(index_module, "_cores", lambda: 2)  # helpers even where this process has one core
    with pytest.raises(NoSpaceError, match="full"):
        update_index([corpus, SEEDS], index_dir)
    assert sorted(p.name for p in index_dir.iterdir()) == before
    assert shutil.disk_usage(small_disk).used <= used + 64 * 1024


# --------------------------------------------------------------------------- 6. nothing lost


@pytest.fixture
def two_folders(tmp_path):
    """Seeds split over two folders, both indexed: a/ holds two issues, b/sub/ the other two."""
    seeds = sorted(SEEDS.glob("*.txt"))
    a, b = tmp_path / "a", tmp_path / "b" / "sub"
    a.mkdir()
    b.mkdir(parents=True)
    for f in seeds[:2]:
        shutil.copy(f, a)
    for f in seeds[2:]:
        shutil.copy(f, b)
    index_dir = tmp_path / "index"
    for folder in (a, b):
        assert run_cli("index", str(folder), "--index-dir", str(index_dir), cwd=tmp_path).returncode == 0
    return a, b, index_dir


def _issue_count(index_dir: Path, cwd: Path) -> int:
    listed = run_cli("list", "--index-dir", str(index_dir), cwd=cwd)
    return int(re.search(r"(\d+) issues", listed.stdout).group(1))


def test_rebuild_rebuilds_every_file_the_index_knows_and_names_the_unreadable(two_folders, tmp_path):
    a, b, index_dir = two_folders
    result = run_cli("index", str(a), "--rebuild", "--index-dir", str(index_dir), cwd=tmp_path)
    assert result.returncode == 0, output(result)
    assert _issue_count(index_dir, tmp_path) == 4
    gone = next(b.iterdir())
    gone.unlink()
    result = run_cli("index", "--rebuild", "--index-dir", str(index_dir), cwd=tmp_path)
    assert result.returncode == 1 and gone.name in result.stderr, output(result)
    assert "cannot be read now" in result.stdout
    assert _issue_count(index_dir, tmp_path) == 3


def test_records_of_an_unavailable_folder_are_kept_until_dropped(two_folders, tmp_path):
    a, b, index_dir = two_folders
    b.parent.rename(tmp_path / "unplugged")  # the drive holding b/ is not mounted now
    result = run_cli("index", str(a), "--index-dir", str(index_dir), cwd=tmp_path)
    assert result.returncode == 0, output(result)
    assert "kept" in result.stdout and "--drop-missing" in result.stdout
    assert _issue_count(index_dir, tmp_path) == 4
    result = run_cli("index", str(a), "--drop-missing", "--index-dir", str(index_dir), cwd=tmp_path)
    assert result.returncode == 0 and "removed" in result.stdout, output(result)
    assert _issue_count(index_dir, tmp_path) == 2


def test_a_file_edited_into_a_duplicate_says_which_records_stay(two_folders, tmp_path):
    a, _, index_dir = two_folders
    first, second = sorted(a.iterdir())
    number = re.search(r"总第\s*(\d+)\s*期", first.read_text(encoding="utf-8")).group(1)
    old_number = re.search(r"总第\s*(\d+)\s*期", second.read_text(encoding="utf-8")).group(1)
    text = re.sub(r"总第\s*\d+\s*期", f"总第 {number} 期", second.read_text(encoding="utf-8"), count=1)
    second.write_text(text, encoding="utf-8")
    result = run_cli("index", str(a), "--index-dir", str(index_dir), cwd=tmp_path)
    assert result.returncode == 1, output(result)
    assert f"earlier version (总第{old_number}期) stay" in result.stdout.replace("\n", ""), result.stdout


# --------------------------------------------------------------------------- 4. linear parsing


def _issue_with_toc(entries: int) -> str:
    """An issue whose table of contents lists `entries` articles, each present below."""
    import random

    rng = random.Random(entries)
    chars = "人大常委会代表联络站西湖区滨江萧山余杭监督工作会议召开推进建设发展改革民生实事项目调研检查执法预算审查"
    titles = ["".join(rng.choice(chars) for _ in range(12)) + f"第{i}项" for i in range(entries)]
    lines = ["杭州人大信息", "(普 刊)", "第 9 期(总第 697 期)", "杭州市人大常委会研究室编", "2024 年 6 月 28 日", "", "目 录", "",
             *[("- 要闻速递** " if i == 0 else "") + t for i, t in enumerate(titles)], "- 信息摘登** 1 则", ""]
    for t in titles:
        lines += [t, "", "".join(rng.choice(chars) for _ in range(80)) + "。", "", "(办公厅 李寄)", ""]
    lines += ["拱墅区人大常委会将开展调研。", "(拱墅区人大常委会办公室)", "", "送:各位领导", "本期责任编辑:杨青青"]
    return "\n".join(lines)


def _parse_under_budget(path: Path, tmp_path: Path, seconds: float, megabytes: int):
    import subprocess

    return subprocess.run([*searchkit_command(), "parse", str(path), "--format", "json"], cwd=tmp_path, env=_env(),
                          capture_output=True, timeout=seconds, preexec_fn=_limited(megabytes))


def test_a_table_of_contents_of_1600_entries_parses_in_linear_time_and_memory(tmp_path):
    path = tmp_path / "toc.txt"
    path.write_text(_issue_with_toc(1600), encoding="utf-8")
    result = _parse_under_budget(path, tmp_path, seconds=40, megabytes=1024)  # the old parser: ~50 s, 650 MB
    assert result.returncode == 0, result.stderr.decode()[-500:]
    import json

    assert len(json.loads(result.stdout)) == 1601


def test_a_9_mb_article_parses_within_a_memory_budget(tmp_path):
    text = (SEEDS / "000_dbed6e9d040a5771.txt").read_text(encoding="utf-8")
    path = tmp_path / "long.txt"
    path.write_text(text.replace("(代表工委", "这是一段很长的正文，没有结束。\n" * 200_000 + "(代表工委", 1), encoding="utf-8")
    result = _parse_under_budget(path, tmp_path, seconds=90, megabytes=1536)
    assert result.returncode in (0, 1) and b"Traceback" not in result.stderr, result.stderr.decode()[-500:]


def test_trust_refuses_files_that_are_not_plain_files_of_this_user(index_copy, tmp_path):
    seg = next(_live(index_copy).glob("*.seg"))
    target = tmp_path / "elsewhere.seg"
    seg.rename(target)
    seg.symlink_to(target)
    result = run_cli("trust", "--index-dir", str(index_copy), cwd=tmp_path)
    assert_clean_failure(result, ExitStatus.INDEX_UNTRUSTED, seg.name, "cp -a")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_an_unreadable_subfolder_is_named(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "locked").mkdir(parents=True)
    shutil.copy(SEEDS / "000_dbed6e9d040a5771.txt", corpus)
    (corpus / "locked").chmod(0)
    try:
        result = run_cli("index", str(corpus), "--index-dir", str(tmp_path / "index"), cwd=tmp_path)
    finally:
        (corpus / "locked").chmod(0o755)
    assert result.returncode == 1 and "locked" in result.stderr, output(result)


def test_parse_json_names_a_non_utf8_file_as_text(tmp_path):
    import json
    import subprocess

    name = os.fsencode(str(tmp_path)) + b"/" + "第1期".encode("gbk") + b".txt"
    shutil.copy(SEEDS / "000_dbed6e9d040a5771.txt", os.fsdecode(name))
    env = dict(_env(), LC_ALL="C.UTF-8", PYTHONIOENCODING="utf-8")
    result = subprocess.run([*map(os.fsencode, searchkit_command()), b"parse", name, b"--format", b"json"],
                            cwd=tmp_path, capture_output=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    records = json.loads(result.stdout.decode("utf-8"))
    assert records and records[0]["source"].endswith("\\xb5\\xda1\\xc6\\xda.txt")


@pytest.mark.parametrize("current", ["../elsewhere", "/tmp", "gen-1/../../x"])
def test_current_never_leads_out_of_the_index_folder(index_copy, tmp_path, current):
    (index_copy / "CURRENT").write_text(current + "\n")
    assert_clean_failure(run_cli("search", "人大", "--index-dir", str(index_copy), cwd=tmp_path),
                         ExitStatus.INDEX_DAMAGED, "not a generation", "--rebuild")


def test_a_newline_in_a_file_name_stays_on_its_row_of_the_report(tmp_path):
    """The index report names a file on one row: a newline in its name is shown as \\n, so it
    cannot forge an `Error:` line (found trying the report by hand)."""
    corpus = tmp_path / "in"
    corpus.mkdir()
    (corpus / "bad\nError: forged.txt").write_text("x", encoding="utf-8")
    result = run_cli("index", str(corpus), "--index-dir", str(tmp_path / "ix"), cwd=tmp_path)
    lines = (result.stdout + result.stderr).splitlines()
    assert not any(line.startswith("Error: forged") for line in lines), lines
    assert any("bad\\nError: forged.txt" in line for line in result.stdout.splitlines()), result.stdout
