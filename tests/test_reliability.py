"""Reliability: an index that survives crashes, concurrent use and bad input (issue 6).

Every test here runs the real `searchkit` command in a subprocess over real files under
pytest's tmp; nothing is mocked. The crash tests kill real index runs with SIGKILL at many
moments, some spread over a measured run and some at the moments the update reaches a
step on disk, and then look at what a reader sees.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from searchkit.errors import ExitStatus, IndexMissingError
from searchkit.index import open_snapshot
from searchkit.parser import parse_file
from searchkit.query import search

ROOT = Path(__file__).resolve().parent.parent
SEED_FILES = sorted((ROOT / "seeds").glob("*.txt"))
_ISSUE_LINE = re.compile(r"第\s*\d+\s*期\s*[(（]\s*总\s*第\s*\d+\s*期\s*[)）]")

# The title edited between the old and the new state: seed 000's second article,
# 市人大常委会积极推动西湖龙井“金字招牌”越擦越亮, in its TOC line and in its heading.
EDIT_FROM = "越擦越亮"
EDIT_TO = "越擦越亮琉璃灯塔"
MARKER = "琉璃灯塔"
LOCKED = "being updated by another"


# --------------------------------------------------------------------------- helpers


def searchkit_command() -> list[str]:
    """The console script installed next to this interpreter, else the CLI through `python -c`."""
    script = Path(sys.executable).with_name("searchkit")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from searchkit.cli import main; main()"]


def _env() -> dict[str, str]:
    env = dict(os.environ)  # keeps the session's XDG_CACHE_HOME: the jieba cache is built once
    env.pop("SEARCHKIT_INDEX_DIR", None)
    env["NO_COLOR"] = "1"
    return env


def run_cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*searchkit_command(), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=_env())


def start_cli(*args: str, cwd: Path) -> subprocess.Popen:
    """Start the CLI in a session of its own. Its output goes to a file, never a pipe: a pipe
    stays open, and a reader blocked, for as long as anything it forked lives."""
    log = cwd / f"run-{time.monotonic_ns()}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([*searchkit_command(), *args], cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                env=_env(), start_new_session=True)
    proc.log = log
    return proc


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the run and everything it forked (its session), and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait(timeout=30)


def children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:  # not Linux, or gone
        return []


def live_group_members(pgid: int) -> list[int]:
    """Processes of process group `pgid` still running (zombies excluded); Linux only."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(stat.parent.name))
    return found


def assert_group_gone(pgid: int, within: float, message: str) -> None:
    """Wait up to `within` seconds for every process of group `pgid` to end."""
    deadline = time.monotonic() + within
    while live_group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert live_group_members(pgid) == [], message


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def assert_clean_failure(result: subprocess.CompletedProcess, status: int, *words: str) -> str:
    """`result` exited with `status` and one `Error:` line on stderr, no traceback; -> that line."""
    assert "Traceback" not in output(result), output(result)
    assert result.returncode == status, output(result)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def wait_until(condition, proc: subprocess.Popen, timeout: float = 60, step: float = 0.002) -> bool:
    """Poll `condition` while `proc` runs; whether it came true before the process ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OSError:
            pass  # a file appearing or being renamed right now
        if proc.poll() is not None:
            return False
        time.sleep(step)
    return False


def make_issue(seed: Path, issue: int, total: int) -> str:
    """The text of `seed` renumbered as issue `issue` (总第 `total` 期): a distinct issue."""
    text = seed.read_text(encoding="utf-8")
    new, count = _ISSUE_LINE.subn(f"第 {issue} 期(总第 {total} 期)", text, count=1)
    assert count == 1, seed
    return new


def write_corpus(folder: Path, totals) -> dict[int, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for total in totals:
        path = folder / f"issue_{total}.txt"
        path.write_text(make_issue(SEED_FILES[total % len(SEED_FILES)], total % 24 + 1, total), encoding="utf-8")
        written[total] = path
    return written


def expected_ids(folder: Path) -> frozenset[str]:
    return frozenset(r.id for f in folder.glob("*.txt") for r in parse_file(f).records)


def index_state(root: Path, watched_id: str) -> tuple:
    """What a reader sees in the index at `root`: (record ids, the title of `watched_id`,
    the totals of two searches).

    Also checks that the generation read is whole: its Whoosh documents, its exact-text
    store and its manifest name the same records."""
    snap = open_snapshot(root)
    with snap.searcher() as searcher:
        docs = {}
        for docnum in searcher.reader().all_doc_ids():
            docs[searcher.stored_fields(docnum)["id"]] = docnum
    store_ids = {r.id for r in snap.store.rows if r is not None}
    manifest_ids = {i for entry in snap.manifest["files"].values() for i in entry["ids"]}
    assert set(docs) == store_ids == manifest_ids, f"{snap.gen_dir} is not whole"
    assert all(snap.store.rows[d].id == i for i, d in docs.items()), f"{snap.gen_dir}: Whoosh and its store disagree"
    title = snap.store.shown(docs[watched_id])["title"] if watched_id in docs else None
    return frozenset(docs), title, search(snap, "人大", limit=1).total, search(snap, MARKER, limit=1).total


def new_entries(root: Path, before: set[str]) -> list[Path]:
    return [p for p in root.iterdir() if p.is_dir() and p.name not in before]


# --------------------------------------------------------------------------- the corpus of the crash tests


class Scenario:
    """An index of 40 issues (the old state) and its corpus changed to the new state:
    20 issues added, one removed, one title edited. `new` and `full_run` come from a
    complete `searchkit index` run over a copy of the old index."""

    def __init__(self, base: Path):
        self.base = base
        self.corpus = base / "corpus"
        files = write_corpus(self.corpus, range(1001, 1041))
        self.pristine = base / "pristine"
        built = run_cli("index", str(self.corpus), "--index-dir", str(self.pristine), cwd=base)
        assert built.returncode == 0, output(built)
        edited = files[1004]  # a renumbered copy of seed 000
        self.watched = next(r.id for r in parse_file(edited).records if EDIT_FROM in r.title)
        self.old = index_state(self.pristine, self.watched)
        assert self.old[0] == expected_ids(self.corpus)

        write_corpus(self.corpus, range(1041, 1061))
        files[1039].unlink()
        edited.write_text(edited.read_text(encoding="utf-8").replace(EDIT_FROM, EDIT_TO), encoding="utf-8")
        assert any(MARKER in r.title for r in parse_file(edited).records)

        reference = self.fresh_copy("reference")
        started = time.perf_counter()
        done = run_cli("index", str(self.corpus), "--index-dir", str(reference), cwd=base)
        self.full_run = time.perf_counter() - started
        assert done.returncode == 0, output(done)
        self.new = index_state(reference, self.watched)
        assert self.new[0] == expected_ids(self.corpus)
        assert MARKER in self.new[1] and MARKER not in self.old[1]
        assert self.new[3] >= 1 and self.old[3] == 0 and self.new[2] > self.old[2]

    def fresh_copy(self, name: str) -> Path:
        root = self.base / name
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(self.pristine, root)
        return root

    def start_update(self, root: Path) -> subprocess.Popen:
        return start_cli("index", str(self.corpus), "--index-dir", str(root), cwd=self.base)

    def state(self, root: Path) -> str:
        """'old' or 'new'; fails on anything else."""
        state = index_state(root, self.watched)
        assert state in (self.old, self.new), "the index holds neither the old nor the new contents"
        return "old" if state == self.old else "new"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    return Scenario(tmp_path_factory.mktemp("crash"))


# --------------------------------------------------------------------------- 1. crash safety


def test_killed_update_leaves_the_old_or_the_new_index_and_the_next_run_finishes(scenario):
    """SIGKILL an update at 16 moments; every time the index answers with all the old contents
    or all the new, and the next run (which is the next kill point's run) takes it on."""
    root = scenario.fresh_copy("kills")
    before = {p.name for p in root.iterdir()}
    # Moments on disk (each from the old index): the new generation started, its store
    # written, its manifest written, CURRENT switched.
    steps = {
        "new generation": lambda: bool(new_entries(root, before)),
        "store written": lambda: any((d / "store.json").exists() for d in new_entries(root, before)),
        "manifest written": lambda: any((d / "manifest.json").exists() for d in new_entries(root, before)),
        "CURRENT switched": lambda: (root / "CURRENT").read_bytes() != current,
    }
    # Then moments in time, spread from 0 to a little past the moment of the switch, as the
    # step runs just measured it (a whole run's time varies with the machine's load).
    fractions = (0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1)
    points = [(name, None) for name in steps] + [("", f) for f in fractions]
    switch_at = scenario.full_run
    outcomes = []
    for step, fraction in points:
        if step:
            root = scenario.fresh_copy("kills")
        before = {p.name for p in root.iterdir()}
        current = (root / "CURRENT").read_bytes()
        proc = scenario.start_update(root)
        started = time.perf_counter()
        try:
            if step:
                fired = wait_until(steps[step], proc)
                if fired and step == "CURRENT switched":
                    switch_at = time.perf_counter() - started
            else:
                delay = fraction * switch_at
                time.sleep(delay)
        finally:
            kill_group(proc)
        run_output = proc.log.read_text()
        assert "Traceback" not in run_output, run_output
        # Killed, or done; never refused: a killed run left no lock behind.
        assert proc.returncode in (0, -signal.SIGKILL), f"{step or f'{delay:.2f} s'}: {run_output}"
        state = scenario.state(root)
        if proc.returncode == 0:
            assert state == "new", run_output
        outcomes.append((step or f"{delay:.2f} s", proc.returncode == -signal.SIGKILL, state))
        if state == "new":  # done: the next kill point starts again from the old index
            root = scenario.fresh_copy("kills")

    print(f"\nwhole run {scenario.full_run:.2f} s, switch at {switch_at:.2f} s; "
          f"kill points (moment, killed, state): {outcomes}")
    assert sum(killed for _, killed, _ in outcomes) >= 8, outcomes  # most of them interrupted a run
    assert any(state == "old" for _, killed, state in outcomes if killed)

    # After the last kill, a normal run finishes the job, clears the debris, and searches find it.
    again = run_cli("index", str(scenario.corpus), "--index-dir", str(root), cwd=scenario.base)
    assert again.returncode == 0 and "Traceback" not in output(again), output(again)
    assert scenario.state(root) == "new"
    assert len(list(root.glob("gen-*"))) <= 2 and not list(root.glob("*.tmp"))
    found = run_cli("search", MARKER, "--index-dir", str(root), "--format", "json", cwd=scenario.base)
    assert found.returncode == 0, output(found)
    assert [h["id"] for h in json.loads(found.stdout)["hits"]] == [scenario.watched]


def test_killed_first_build_leaves_no_index_and_the_next_run_builds_it(tmp_path):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, range(2001, 2013))
    want = expected_ids(corpus)
    root = tmp_path / "index"
    proc = start_cli("index", str(corpus), "--index-dir", str(root), cwd=tmp_path)
    try:
        started = wait_until(lambda: any(p.is_dir() for p in root.iterdir()), proc)
    finally:
        kill_group(proc)
    assert started, "the build ended before it wrote anything"
    # As before the build: no index, and a search says how to make one.
    with pytest.raises(IndexMissingError):
        open_snapshot(root)
    found = run_cli("search", "人大", "--index-dir", str(root), cwd=tmp_path)
    assert_clean_failure(found, 1, "no index", "searchkit index")
    # The next run builds it.
    again = run_cli("index", str(corpus), "--index-dir", str(root), cwd=tmp_path)
    assert again.returncode == 0, output(again)
    assert index_state(root, next(iter(want)))[0] == want


# --------------------------------------------------------------------------- 2. concurrency


def test_searches_during_an_update_see_the_old_or_the_new_index(scenario):
    root = scenario.fresh_copy("concurrent-search")
    proc = scenario.start_update(root)
    seen, cli_searches = [], 0
    try:
        while proc.poll() is None:
            seen.append(scenario.state(root))
            if len(seen) == 2:  # and once a whole `searchkit search` process
                result = run_cli("search", MARKER, "--index-dir", str(root), "--format", "json", cwd=scenario.base)
                assert result.returncode == 0, output(result)
                hits = [h["id"] for h in json.loads(result.stdout)["hits"]]
                assert hits in ([], [scenario.watched])
                cli_searches += 1
        proc.wait(timeout=120)
    finally:
        kill_group(proc)
    assert proc.returncode == 0, proc.log.read_text()
    assert scenario.state(root) == "new"
    assert len(seen) >= 2 and cli_searches == 1, seen
    assert seen == sorted(seen, key=("old", "new").index), seen  # once new, never old again


def test_a_second_index_run_waits_or_refuses_cleanly_while_one_runs(scenario):
    """Up to three tries, as an update can end before the second run reaches the lock."""
    for attempt in range(3):
        root = scenario.fresh_copy("second-run")
        first = scenario.start_update(root)
        try:
            holding = wait_until(lambda: (root / "LOCK").read_text().strip() == str(first.pid), first)
            assert holding, "the first run ended before it took the lock"
            second = run_cli("index", str(scenario.corpus), "--index-dir", str(root), cwd=scenario.base)
            running = first.poll() is None
            first.wait(timeout=120)
        finally:
            kill_group(first)
        assert first.returncode == 0, first.log.read_text()
        assert scenario.state(root) == "new"
        assert len(list(root.glob("gen-*"))) <= 2
        if second.returncode == 0:  # it waited, or came too late to meet the first
            assert "Traceback" not in output(second)
            continue
        # Refused: one clear line naming the other run, while that run was going on.
        assert running, "the second run failed after the first had finished"
        line = assert_clean_failure(second, ExitStatus.INDEX_BUSY, LOCKED, str(first.pid))
        assert "wait" in line
        break


def test_a_run_killed_alone_leaves_no_lock_behind(scenario, tmp_path):
    """`kill -9 PID` (or the OOM killer) ends the main process only; the next run must not be blocked."""
    root = tmp_path / "index"
    (root).mkdir()
    (root / "LOCK").write_text("999999")  # a stale pid in the lock file means nothing
    first = start_cli("index", str(scenario.corpus), "--index-dir", str(root), cwd=tmp_path)
    try:
        writing = wait_until(lambda: any(p.is_dir() for p in root.iterdir()), first)
        assert writing, "the build ended before it started writing"
        if wait_until(lambda: bool(children(first.pid)), first, timeout=0.5):  # its helpers, if it has any
            time.sleep(0.2)  # under way
        first.send_signal(signal.SIGKILL)  # the main process only, not its helpers
        first.wait(timeout=30)
        # The next run is not refused, not even while helpers are still on their way out.
        again = run_cli("index", str(scenario.corpus), "--index-dir", str(root), cwd=tmp_path)
        assert again.returncode == 0, output(again)
        assert index_state(root, scenario.watched)[0] == scenario.new[0]
        # And nothing the killed run forked lives on.
        assert_group_gone(first.pid, 10, "helpers of the killed run outlive it")
    finally:
        kill_group(first)


def test_a_run_killed_while_parsing_leaves_no_helper_behind(scenario, tmp_path):
    root = tmp_path / "index"
    first = start_cli("index", str(scenario.corpus), "--index-dir", str(root), cwd=tmp_path)
    try:
        parsing = wait_until(lambda: bool(children(first.pid)) and not any(p.is_dir() for p in root.iterdir()),
                             first, timeout=30)
        time.sleep(0.05)
        first.send_signal(signal.SIGKILL)  # the main process only
        first.wait(timeout=30)
        if parsing:  # (an implementation that parses in one process has nothing to leave behind)
            assert_group_gone(first.pid, 3, "parse workers outlive the killed run")
    finally:
        kill_group(first)


def test_a_run_killed_just_as_it_forks_leaves_no_helper_behind(scenario, tmp_path):
    """The moment right after the update forks a helper: killed then, the helper must go too.
    The window is a few milliseconds wide, so up to five runs try to hit it."""
    for attempt in range(5):
        root = tmp_path / f"index-{attempt}"
        root.mkdir()
        first = start_cli("index", str(scenario.corpus), "--index-dir", str(root), cwd=tmp_path)
        try:
            wait_until(lambda: any(p.is_dir() for p in root.iterdir()), first)
            forked = wait_until(lambda: bool(children(first.pid)), first, timeout=5, step=0.0005)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
            if not forked:
                continue  # this implementation forks no helper while writing
            assert_group_gone(first.pid, 3, f"attempt {attempt}: a helper outlives the killed run")
        finally:
            kill_group(first)


# --------------------------------------------------------------------------- 3. bad files, nothing lost

_RECORD_FIELDS = ("title", "toc_title", "kind", "section", "district", "org", "body")


def _seed_text(n: int) -> str:
    return SEED_FILES[n].read_text(encoding="utf-8")


@pytest.fixture
def mixed_archive(tmp_path) -> Path:
    """Good issues in every encoding and bad files side by side, names with spaces and Chinese."""
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "第697期 人大信息.txt").write_text(_seed_text(0), encoding="utf-8")
    (archive / "issue 692 gb18030.txt").write_bytes(_seed_text(1).encode("gb18030"))
    (archive / "689 bom.txt").write_bytes(b"\xef\xbb\xbf" + _seed_text(2).encode("utf-8"))
    (archive / "710-crlf.txt").write_bytes(_seed_text(3).replace("\n", "\r\n").encode("utf-8"))
    truncated = make_issue(SEED_FILES[0], 3, 900).encode("utf-8")
    (archive / "截断 900.txt").write_bytes(truncated[: len(truncated) // 2 + 1])  # cut inside a character
    (archive / "copy of 697.txt").write_text(_seed_text(0), encoding="utf-8")
    (archive / "empty.txt").write_bytes(b"")
    (archive / "blank.txt").write_bytes(b"\n \r\n\t\n")
    (archive / "binary.txt").write_bytes(bytes(range(256)) * 16)
    (archive / "会议纪要.txt").write_text("会议纪要\n\n今天讨论了明年的预算安排。\n", encoding="utf-8")
    (archive / "header cut.txt").write_bytes(_seed_text(0).encode("utf-8")[:40])
    (archive / "folder.txt").mkdir()  # a folder named like an issue is searched, not read
    (archive / "folder.txt" / "readme.md").write_text("# 说明\n\n这里放往期。\n", encoding="utf-8")
    return archive


def test_one_run_over_good_and_bad_files_indexes_every_good_record_and_names_every_bad_file(mixed_archive):
    base = mixed_archive.parent
    result = run_cli("index", "archive", "--index-dir", "index", cwd=base)
    out = output(result)
    assert "Traceback" not in out, out
    assert result.returncode == 1, out  # something was skipped

    # Every bad file is named in the report, on one line with its reason.
    lines = result.stdout.splitlines()

    def reported(name: str, reason: str) -> bool:
        return any(line.startswith(name + " ") and "skipped" in line and reason in line for line in lines)

    for name, reason in [("empty.txt", "empty file"), ("blank.txt", "empty file"), ("binary.txt", "binary"),
                         ("会议纪要.txt", "not a bulletin issue"), ("header cut.txt", "not a bulletin issue"),
                         ("folder.txt/readme.md", "not a bulletin issue")]:
        assert reported(f"archive/{name}", reason), f"{name} ({reason}) missing from the report:\n{out}"
    duplicates = [name for name in ("copy of 697.txt", "第697期 人大信息.txt") if reported(f"archive/{name}", "duplicate")]
    assert len(duplicates) == 1, out
    # The truncated issue keeps what it holds, and the report says it looks cut short.
    assert any(line.startswith("archive/截断 900.txt ") and "added" in line for line in lines), out
    assert "truncated" in out

    # Every good record is in the index, the same whatever the file's encoding or line ends.
    snap = open_snapshot(base / "index")
    indexed = {record["id"]: record for record in map(snap.store.shown, snap.store.live)}
    want = {r.id: r for f in SEED_FILES for r in parse_file(f).records}
    partial = parse_file(mixed_archive / "截断 900.txt").records
    assert partial and set(indexed) == set(want) | {r.id for r in partial}
    for rid, record in want.items():
        got = indexed[rid]
        assert tuple(got[f] for f in _RECORD_FIELDS) == tuple(getattr(record, f) for f in _RECORD_FIELDS), rid
        assert got["authors"] == list(record.authors), rid
    # A search finds a phrase from the GB18030 file.
    found = run_cli("search", "数字贸易", "--index-dir", "index", "--format", "json", cwd=base)
    assert found.returncode == 0, output(found)
    assert any(h["id"].startswith("692-") for h in json.loads(found.stdout)["hits"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_an_unreadable_file_is_named_and_the_rest_indexed(tmp_path):
    archive = tmp_path / "archive"
    write_corpus(archive, (3001, 3002))
    (archive / "issue_3002.txt").chmod(0)
    try:
        result = run_cli("index", "archive", "--index-dir", "index", cwd=tmp_path)
    finally:
        (archive / "issue_3002.txt").chmod(0o644)
    assert "Traceback" not in output(result) and result.returncode == 1, output(result)
    assert any("issue_3002.txt" in line and "cannot read" in line for line in result.stdout.splitlines()), result.stdout
    assert {i.split("-")[0] for i in index_state(tmp_path / "index", "")[0]} == {"3001"}


def test_a_dangling_link_to_an_issue_is_named_in_the_report(tmp_path):
    archive = tmp_path / "archive"
    write_corpus(archive, (3001,))
    (archive / "issue_3002.txt").symlink_to(tmp_path / "gone" / "issue_3002.txt")  # unreadable, even for root
    result = run_cli("index", "archive", "--index-dir", "index", cwd=tmp_path)
    assert "Traceback" not in output(result)
    assert any("issue_3002.txt" in line and "skipped" in line for line in result.stdout.splitlines()), result.stdout
    assert result.returncode == 1


# --------------------------------------------------------------------------- 4. bad queries


BAD_QUERIES = [
    # (query, extra options, expected exit status, words the one error line holds)
    ('"西湖', (), 2, ("quote",)),
    ('西湖"', (), 2, ("quote",)),
    ('title:"西湖', (), 2, ("quote",)),
    ("(西湖 OR 滨江", (), 2, ("parenthes",)),
    ("西湖)", (), 2, ("parenthes",)),
    ("()", (), 2, ("empty",)),
    ("OR", (), 2, ("OR",)),
    ("西湖 OR", (), 2, ("OR",)),
    ("OR 西湖", (), 2, ("OR",)),
    ("NOT", (), 2, ("NOT",)),
    ("AND", (), 2, ("AND",)),
    ("title:", (), 2, ("title:",)),
    ("author:", (), 2, ("author:",)),
    ('title:""', (), 2, ("empty",)),
    ('""', (), 2, ("empty",)),
    ("", (), 2, ("empty",)),
    ("   ", (), 2, ("empty",)),
    ("\x01\x02\x7f\x1b", (), 2, ("empty",)),
    ("西" * 10_000, (), 2, ("too long",)),
    ("district:火星", (), 2, ("district",)),
    ("section:不存在", (), 2, ("section",)),
    ("西湖", ("--since", "2024-13"), 2, ("2024-13", "YYYY")),
    ("西湖", ("--until", "abc"), 2, ("abc", "YYYY")),
    ("西湖", ("--since", "2024-02-30"), 2, ("2024-02-30",)),
    ("西湖", ("--since", "0000"), 2, ("0000",)),
    ("西湖", ("--district", "火星"), 2, ("火星",)),
    # Sensible empty results.
    ("。，！？", (), 0, ()),
    ("!!!", (), 0, ()),
    ("::::", (), 0, ()),
    ("-", (), 0, ()),
    ("西湖\x07\x1b[31m", (), 0, ()),
    ("西湖", ("--since", "2025", "--until", "2024"), 0, ()),
    ("西湖", ("--since", "9999-12-31"), 0, ()),
    ("西湖", ("--issue", "-5"), 0, ()),
]


@pytest.mark.parametrize("query, options, status, words", BAD_QUERIES,
                         ids=[f"{q[:12]!r}{' '.join(o)}" for q, o, _, _ in BAD_QUERIES])
def test_bad_query_gets_one_clear_line_or_an_empty_result(runner, seed_index_dir, query, options, status, words):
    from searchkit.cli import main

    result = runner.invoke(main, ["search", query, *options, "--index-dir", str(seed_index_dir)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.exit_code == status, result.output
    if status:
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
        assert len(lines[0]) < 300, "the message should not echo a long query back"
        for word in words:
            assert word in lines[0], lines[0]
    else:
        assert result.stderr == "", result.stderr


def test_bad_queries_from_a_real_process(seed_index_dir, tmp_path):
    """The same, through the installed command: what a user's terminal shows."""
    for query, status, word in [("x" * 10_000, 2, "too long"), ('"西湖 代表', 2, "quote"),
                                ("西湖\x01\x1f\x7f", 0, "西湖"), ("((西湖", 2, "parenthes")]:
        result = run_cli("search", query, "--index-dir", str(seed_index_dir), cwd=tmp_path)
        assert "Traceback" not in output(result), output(result)
        assert result.returncode == status, output(result)
        assert word in (result.stderr if status else result.stdout)
        if status:
            assert_clean_failure(result, status)


@pytest.mark.parametrize("depth", [400, 499])
def test_deeply_nested_parentheses_are_a_clear_error_or_a_result(runner, seed_index_dir, depth):
    from searchkit.cli import main

    query = "(" * depth + "西湖" + ")" * depth
    assert len(query) <= 1000
    result = runner.invoke(main, ["search", query, "--index-dir", str(seed_index_dir)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2), result.output


# --------------------------------------------------------------------------- 5. version safety


@pytest.fixture
def index_copy(seed_index_dir, tmp_path) -> Path:
    root = tmp_path / "index"
    shutil.copytree(seed_index_dir, root)
    return root


def _live(root: Path) -> Path:
    return root / (root / "CURRENT").read_text().strip()


def test_index_of_another_format_tells_to_rebuild_and_rebuild_works(index_copy, tmp_path):
    manifest = _live(index_copy) / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["format"] += 98
    manifest.write_text(json.dumps(data), encoding="utf-8")
    for args in (("search", "人大"), ("index", str(ROOT / "seeds"))):
        result = run_cli(*args, "--index-dir", str(index_copy), cwd=tmp_path)
        assert_clean_failure(result, ExitStatus.INDEX_DAMAGED, "rebuild", "--rebuild")
    rebuilt = run_cli("index", str(ROOT / "seeds"), "--index-dir", str(index_copy), "--rebuild", cwd=tmp_path)
    assert rebuilt.returncode == 0, output(rebuilt)
    found = run_cli("search", "西湖龙井", "--index-dir", str(index_copy), cwd=tmp_path)
    assert found.returncode == 0 and "Traceback" not in output(found), output(found)


def test_a_folder_that_is_not_an_index_is_refused_and_left_alone(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "notes.txt").write_text("买菜\n", encoding="utf-8")
    (folder / "img.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(200))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for args in (("search", "人大"), ("index", str(ROOT / "seeds"))):
        result = run_cli(*args, "--index-dir", str(folder), cwd=tmp_path)
        assert_clean_failure(result, ExitStatus.INDEX_DAMAGED, "not a searchkit index")
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.name != "LOCK"} == before


def test_index_dir_that_is_a_file_or_under_a_file(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    for args in (("search", "人大"), ("index", str(ROOT / "seeds"))):
        assert_clean_failure(run_cli(*args, "--index-dir", str(afile), cwd=tmp_path), 2, "--index-dir")
    assert_clean_failure(run_cli("index", str(ROOT / "seeds"), "--index-dir", str(afile / "sub"), cwd=tmp_path),
                         2, "cannot create")
    assert_clean_failure(run_cli("search", "人大", "--index-dir", str(afile / "sub"), cwd=tmp_path), 2)
    assert afile.read_text() == "x"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_unwritable_index_folder(tmp_path):
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = run_cli("index", str(ROOT / "seeds"), "--index-dir", str(folder), cwd=tmp_path)
        assert_clean_failure(result, 2, "cannot write", "--index-dir")
        result = run_cli("index", str(ROOT / "seeds"), "--index-dir", str(folder / "sub"), cwd=tmp_path)
        assert_clean_failure(result, 2, "cannot create")
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("damage", ["manifest", "segments"])
def test_damaged_index_tells_to_rebuild(index_copy, tmp_path, damage):
    live = _live(index_copy)
    if damage == "manifest":
        (live / "manifest.json").write_text("{", encoding="utf-8")
    else:
        for toc in live.glob("*.toc"):
            toc.unlink()
    assert_clean_failure(run_cli("search", "人大", "--index-dir", str(index_copy), cwd=tmp_path),
                         ExitStatus.INDEX_DAMAGED, "rebuild")


def test_damaged_text_store_tells_to_rebuild(index_copy, tmp_path):
    (_live(index_copy) / "store.json").write_bytes(b"garbage\n")  # changed since written: not even opened
    assert_clean_failure(run_cli("search", "人大", "--index-dir", str(index_copy), cwd=tmp_path),
                         ExitStatus.INDEX_UNTRUSTED, "rebuild")


def test_current_naming_a_missing_generation_tells_to_rebuild(index_copy, tmp_path):
    (index_copy / "CURRENT").write_text("gen-000099\n")
    assert_clean_failure(run_cli("search", "人大", "--index-dir", str(index_copy), cwd=tmp_path),
                         ExitStatus.INDEX_DAMAGED, "rebuild")


# --------------------------------------------------------------------------- word tables through merges


def test_word_tables_stay_exact_through_updates_and_merges(tmp_path):
    """Issues added one update at a time, some edited or removed: Whoosh merges the small
    segments, and each store segment's word table still counts exactly the words of the
    records it holds (a merged one sums the tables it replaces, less the records left behind)."""
    from searchkit.analysis import record_words, use_dictionaries
    from searchkit.index import update_index

    use_dictionaries(())
    corpus, root = tmp_path / "corpus", tmp_path / "index"
    files = write_corpus(corpus, range(2001, 2003))
    update_index([corpus], root)
    updates = 1
    for total in range(2003, 2013):
        files.update(write_corpus(corpus, [total]))
        if total % 3 == 0:  # an edit: its old records are deleted, then merged away
            path = files[total - 1]
            path.write_text(path.read_text(encoding="utf-8").replace("人大", MARKER, 3), encoding="utf-8")
        if total % 4 == 0:
            files.pop(total - 2).unlink()
        update_index([corpus], root)
        updates += 1
    store = open_snapshot(root).store
    assert len(store.segments) < updates  # some were merged
    merged_or_not = 0
    for seg in store.segments:
        expected: dict[str, list[int]] = {}
        for local in range(seg.count):
            for w, n in record_words(seg.shown(local)).items():
                counts = expected.setdefault(w, [0, 0])
                counts[0] += n
                counts[1] += 1
        assert {w: [f, d] for w, f, d in seg.words.items()} == expected, seg.segid
        merged_or_not += seg.count
    assert merged_or_not == store.count
    assert {r.id for r in store.rows if r is not None} == expected_ids(corpus)
