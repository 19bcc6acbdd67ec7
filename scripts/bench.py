"""Benchmark: searchkit against the textbook recipe and a plain substring scan, side by side.

Usage (from the repository, with searchkit installed in the running interpreter's venv):

    python scripts/bench.py                      # archives of 70 and 700 issues (a few minutes)
    python scripts/bench.py --sizes 8,70         # quick, while developing
    python scripts/bench.py --sizes 20,200 --systems searchkit --runs 2 --scale-runs 5   # smoke test, ~1 min
    python scripts/bench.py --sizes 700,7000     # issue 13's growth targets (an hour or more)
    python scripts/bench.py --big                # adds 7,000 issues (long)
    python scripts/bench.py --runs 7 --out bench-out/bench.json --keep

    The 7,000-issue run is never part of the test suite; it belongs here.

What it builds
    For each size N, a synthetic archive of N issue files in a temp folder under /tmp: each
    a byte-for-byte copy of one of the sample issues in `seeds/` (round robin), with only
    the header rewritten: the number within the year, the running number (总第 N 期) and the
    date, 12 issues a year going back from 2025 (issue 1 is the oldest). The 4 seeds
    repeated means the same articles recur across issues (700 issues hold each seed's
    text 175 times): the text volume (~24 KB an issue, 700 issues ~ 16 MB) and the record
    count (~12.75 records an issue) are realistic, the vocabulary is not (it stops growing).
    Hit counts of the seeds' text grow with N; nothing is deduplicated.

    So that rare terms stay rare at any size, as in a real archive, every issue also gets
    content of its own (`personalise`): a sentence before its first "一是" paragraph with a
    code no other issue has (SK00697: one record at any size) and a made-up name that a
    block of 5 consecutive issues share (5 records at any size); and four real phrases of
    the seeds that are rare in a real archive (幸福方桌, 舌尖上的安全, 青年留杭第一区,
    营商环境体验官, CONFINED) stay only in issues 1-8, every later copy of their seed having
    a stand-in instead (民生议事桌, ...), so their exact hits stay the same at any size
    instead of growing tenfold with the copies. Real phrases in general cannot be kept rare
    this way: the seeds are all the real text there is, and any phrase of them recurs in
    every copy; these four stand for the rest.

The three systems
    searchkit   the `searchkit` command and library of this repository.
    textbook    Whoosh + `jieba.analyse.ChineseAnalyzer`: id, title, body, district and
                date fields (title and body TEXT with that analyzer, stored), the default
                writer, `MultifieldParser(["title", "body"])`, top 10 with
                `hit.highlights("body")`. It gets the records from searchkit's parser
                (parsing is a few ms an issue) and the same title + table-of-contents title
                text, so its misses come only from the recipe itself.
    scan        no index: every record's search key (`normalize.search_key` of title,
                table-of-contents title and body) in memory, tested with Python's `in`.
                Its hits are the truth by construction: the recall and speed floor.

What it measures (per size; times are wall clock on a warm page cache)
    full build        `searchkit index ARCHIVE --index-dir X --rebuild` as a subprocess
                      (interpreter start to exit); textbook: a subprocess that parses,
                      analyses and commits. CPU seconds (user + sys, the process and the
                      children it waited for) beside it show whether both cores work.
    peak memory       the largest of: ru_maxrss of the build process (from `os.wait4`,
                      covers it and its waited-for children, each separately) and the sum
                      of PSS over the process tree, sampled every 0.1 s from /proc (counts
                      parallel workers together; a spike shorter than 0.1 s can be missed).
    add one issue     a new issue file (the month after the newest) dropped into the archive
                      folder, then `searchkit index ARCHIVE --index-dir X`; then the file is
                      removed and the same command run again (remove one issue, no target);
                      then once more with nothing changed (no-change).
    index size        searchkit: the files of the live generation (CURRENT) right after the
                      full build; textbook: its index folder. Also as a multiple of the
                      archive's text (the issue files' bytes).
    fresh search      a new process per run: `searchkit search Q --index-dir X --limit 10`
                      (stdout to /dev/null); textbook: `python -c` that imports whoosh,
                      opens the index (which unpickles jieba's analyzer), parses Q (which
                      loads jieba's dictionary) and prints the top 10 with highlights; scan:
                      `python -c` that reads the issue files, drops whitespace and tests
                      `in` (like `rg -l`: file names, no records, no ranking). One discarded
                      warm-up run, then the median of --runs runs.
    query latency     in a fresh worker process per system: the index opened once, a
                      warm-up pass over the query set (untimed; "open + first query" is
                      reported separately), then --passes timed passes over the whole fixed
                      query set (QUERIES below: single characters, 2-8 character strings
                      from the text, strings that cut across jieba words, multi-term, OR,
                      filtered by district and date, NOT, and for a third of the set
                      unsegmented multi-concept queries and questions as readers type them,
                      e.g. 西湖区代表联络站, 怎样让代表更好地联系群众). searchkit: `query.search(...,
                      limit=10)` with snippets; textbook: parse + search limit 10 +
                      highlights; scan: a pass over all records. p50/p95 are nearest-rank
                      percentiles over all timed queries. "p95 of first runs" is over the
                      warm-up pass alone (each query's first run in the process), so a
                      result cache cannot flatter it.
    rare and frequent (searchkit only; `scale_queries`) rare: the codes of the middle,
                      first and newest issues, the names of the middle and first blocks, the
                      four confined phrases; frequent: 人大, 代表. In a fresh worker: per query
                      a first run, then --scale-runs timed runs of `search(..., limit=10)` with
                      snippets (rare median and p95, p95 of the first runs; frequent median and
                      p95); its RSS after the queries. Fresh processes: `searchkit search Q`
                      for the middle issue's code, the middle block's name and two confined
                      phrases, median of --runs each; "fresh search, rare" is the median of
                      those medians.
    recall            every system's complete hit set per query (searchkit `limit=None`, only
                      the hits whose `match` is "exact" once hits carry a tier, all hits
                      before; textbook `limit=None`) against exact-substring truth: records whose
                      search key contains every required term (and, for OR, one of them;
                      for NOT, none of the excluded ones) and that pass the filters.
                      recall(mean) averages |found ∩ truth| / |truth| over the queries;
                      recall(pooled) is Σ|found ∩ truth| / Σ|truth|; wrong hits counts
                      found records outside the truth. An unsegmented or question query is
                      one term for the truth, so its truth is usually empty: the exact tier
                      must then be empty too (the looser tiers are judged by
                      scripts/relevance/run.py, not here).

CPU time beside wall time
    On a machine shared with other work, wall times stretch while a process waits for a
    core; CPU time (user + sys of the process, `time.process_time` in-process) does not.
    The table gives both for builds, fresh searches and the query p95; targets are judged
    on wall time, as a user feels it. A shared machine also runs slower in some hours than
    in others (CPU time included): each size's header gives a fixed piece of pure-Python
    work timed at its start and end (`speed_probe`), and the growth table repeats them,
    so a ratio taken across a slow and a fast hour can be seen for what it is.

Caches and neighbours
    The textbook recipe's jieba dictionary cache is left where jieba puts it (the system
    temp folder), so a warm cache counts as it would for a user who has run it before;
    searchkit segments with rjieba, which keeps no cache (its dictionary loads in ~0.1 s).
    The JSON records the segmenter. The machine's load average is recorded at the start and end: other work on
    the same cores slows every figure.

Growth (issue 13)
    With two or more sizes, a last table puts searchkit's figures side by side for every
    size, with the growth from the smallest to the largest and issue 13's targets: from 700
    to 7,000 issues, fresh rare search ≤ 1.5×, rare p95 ≤ 2×, frequent top-10 ≤ 3×, full
    build ≤ 10×; at 7,000 issues, peak memory of the build's process tree ≤ 600 MB, add one
    issue ≤ 2 s, no-change run ≤ 1 s. Verdicts are given for a run of --sizes 700,7000 only.
    The textbook and scan baselines run only at sizes up to --baseline-max (700).
    Peak memory of a process tree is the largest of ru_maxrss (largest single process) and
    the sampled sum of PSS over the tree; the sampled sum of RSS is shown beside it (it
    counts the pages forked workers share once per process, so it is an upper bound).

Output
    One plain-text table per size (metric | searchkit | textbook | scan | searchkit/textbook
    | target | verdict; verdicts at 700 issues, where the targets of issue 5 apply), and all
    figures, per-query latencies and machine facts as JSON in --out (default
    bench-out/bench.json in the repository, git-ignored).

Profiles
    --profile also writes, per size, into profile/SIZE/ beside --out: `python -X importtime`
    of a fresh search, and cProfile of a fresh search, of the timed query passes in-process,
    of adding one issue and of a full build (cProfile sees the parent process only, not
    worker processes, and slows pure-Python code: read shares, not absolute times).

Internal sub-commands (used by the benchmark itself, not meant to be run by hand):
    bench.py _textbook-build ARCHIVE INDEX
    bench.py _latency SYSTEM ARCHIVE INDEX QUERIES.json PASSES
    bench.py _scale INDEX SCALE-QUERIES.json RUNS OUT.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
DEFAULT_OUT = REPO / "bench-out" / "bench.json"
TARGET_SIZE = 700  # the archive size the targets of issue 5 are set for
ISSUES_PER_YEAR = 12
NEWEST_YEAR = 2025
# a typical query, the worst case (every record matches), and a question that needs segmenting
FRESH_QUERIES = ("西湖龙井", "人", "怎样让代表更好地联系群众")
BUILD_TIMEOUT = 3 * 3600


# --------------------------------------------------------------------------- the query set


def Q(text: str, kind: str, district: str | None = None, since: str | None = None) -> dict:
    """One benchmark query: the query string (the same syntax for searchkit and Whoosh's
    parser) and what exact-substring truth requires of a record."""
    if " OR " in text:
        need, either, exclude = [], text.split(" OR "), []
    elif " NOT " in text:
        before, after = text.split(" NOT ")
        need, either, exclude = before.split(), [], after.split()
    else:
        need, either, exclude = text.split(), [], []
    return {"q": text, "kind": kind, "all": need, "any": either, "none": exclude,
            "district": district, "since": since}


QUERIES = [
    Q("茶", "char"), Q("人", "char"), Q("湖", "char"),
    Q("代表", "2-4 chars"), Q("监督", "2-4 chars"), Q("龙井", "2-4 chars"), Q("滨江", "2-4 chars"),
    Q("联络站", "2-4 chars"), Q("西湖龙井", "2-4 chars"), Q("座谈会", "2-4 chars"), Q("家门口", "2-4 chars"),
    Q("高质量发展", "5-8 chars"), Q("全过程人民民主", "5-8 chars"), Q("代表工作座谈会", "5-8 chars"),
    Q("医疗保障联动监督", "5-8 chars"),
    Q("湖龙井", "across words"), Q("大代表工", "across words"), Q("常委", "across words"),
    Q("代表 联络站", "multi-term"), Q("营商环境 街道", "multi-term"), Q("共同富裕 数字", "multi-term"),
    Q("西湖 OR 滨江", "OR"),
    Q("代表", "filtered", district="西湖区"), Q("人", "filtered", district="西湖区"),
    Q("人大", "filtered", since="2024"), Q("监督", "filtered", district="西湖区", since="2024"),
    Q("人大 NOT 西湖", "NOT"), Q("代表 NOT 余杭", "NOT+filtered", since="2024"),
    # a third of the set as readers type (issue 9): several concepts without spaces, and questions
    Q("西湖区代表联络站", "unsegmented"), Q("代表联络站建设", "unsegmented"), Q("提升代表履职能力", "unsegmented"),
    Q("民生实事项目监督", "unsegmented"), Q("基层践行全过程人民民主", "unsegmented"),
    Q("西湖龙井茶保护条例实施情况", "unsegmented"), Q("萧山区助企服务营商环境", "unsegmented"),
    Q("怎样让代表更好地联系群众", "question"), Q("人大如何监督财政预算", "question"),
    Q("怎么解决老年人吃饭难", "question"), Q("人大代表怎样帮助企业解决难题", "question"),
    Q("基层群众怎么参与立法", "question"), Q("校园食堂安全怎么监督", "question"),
    Q("青少年心理健康怎么保障", "question"),
]
UNSPACED_KINDS = ("unsegmented", "question")  # one term for the truth: usually no exact hit

# (metric key, target text, test) for the targets of issue 5, judged at TARGET_SIZE issues; issue 9 keeps the
# fresh-search median and the query p95 targets over the query set with unsegmented and question queries.
TARGETS = {
    "fresh_median_s": ("≤ 0.3 s", lambda v: v <= 0.3),
    "p95_ms": ("≤ 15 ms", lambda v: v <= 15),
    "build_s": ("≤ 20 s", lambda v: v <= 20),
    "add_s": ("≤ 2 s", lambda v: v <= 2),
    "nochange_s": ("≤ 1 s", lambda v: v <= 1),
    "size_ratio": ("≤ 2.5×", lambda v: v <= 2.5),
    "build_peak_mb": ("≤ 500 MB", lambda v: v <= 500),
    "recall_pooled": ("= 1.0", lambda v: v == 1.0),
    "recall_mean": ("= 1.0", lambda v: v == 1.0),
    "wrong_hits": ("= 0", lambda v: v == 0),
}

# Issue 13: how costs grow with the archive, from the smallest to the largest size of one run
# (judged for 700 -> 7,000 issues). (metric key, label, unit, target text, test of the ratio)
GROWTH_FROM, GROWTH_TO = 700, 7000
GROWTH_TARGETS = {
    "scale.fresh_rare_s": ("≤ 1.5×", lambda r: r <= 1.5),
    "scale.rare_p95_ms": ("≤ 2×", lambda r: r <= 2),
    "scale.frequent_median_ms": ("≤ 3×", lambda r: r <= 3),
    "build_s": ("≤ 10×", lambda r: r <= 10),
}
# ... and absolute targets at the largest size
LARGEST_TARGETS = {
    "build_peak_mb": ("≤ 600 MB", lambda v: v <= 600),
    "add_s": ("≤ 2 s", lambda v: v <= 2),
    "nochange_s": ("≤ 1 s", lambda v: v <= 1),
}
FREQUENT_WORDS = ("人大", "代表")


def scale_queries(count: int) -> dict:
    """Rare and frequent queries for an archive of `count` issues, each with a label that is
    the same at every size (the codes and names differ: each size has its own middle issue).

    rare      an issue's own code (hits: that issue), a name shared by a block of issues
              (a handful), the real seed phrases confined to the first issues (CONFINED);
    frequent  人大 and 代表, in most records at any size.
    `fresh` marks the rare queries also timed as fresh processes."""
    mid = max(1, count // 2)
    rare = [("code, middle issue", issue_code(mid), True), ("name, middle block", issue_name(mid), True),
            ("code, first issue", issue_code(1), False), ("code, newest issue", issue_code(count), False),
            ("name, first block", issue_name(1), False)]
    phrases = list(CONFINED)
    rare += [(p, p, i < 2) for i, p in enumerate(phrases)]
    return {"rare": [{"label": l, "q": q, "fresh": f} for l, q, f in rare],
            "frequent": [{"label": w, "q": w, "fresh": False} for w in FREQUENT_WORDS]}


# --------------------------------------------------------------------------- synthetic archives

_ISSUE_LINE = re.compile(r"第\s*\d+\s*期\s*[(（]\s*总\s*第\s*\d+\s*期\s*[)）]")
_DATE_LINE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
_HEADER_LINES = 20


def seed_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]


def issue_facts(total: int, count: int) -> tuple[int, dt.date]:
    """(number within the year, date) of running number `total` in an archive of `count`:
    12 issues a year, one a month, the newest archive issue in December 2025."""
    back = count - total  # 0 for the newest
    year = NEWEST_YEAR - back // ISSUES_PER_YEAR
    number = ISSUES_PER_YEAR - back % ISSUES_PER_YEAR
    return number, dt.date(year, number, 10 + total % 18)


def rewrite_header(text: str, number: int, total: int, date: dt.date) -> str:
    """The seed issue with its header's issue line and date replaced, nothing else touched."""
    lines = text.split("\n")
    head = "\n".join(lines[:_HEADER_LINES])
    head, n1 = _ISSUE_LINE.subn(f"第 {number} 期(总第 {total} 期)", head, count=1)
    head, n2 = _DATE_LINE.subn(f"{date.year} 年 {date.month} 月 {date.day} 日", head, count=1)
    if not (n1 and n2):
        raise SystemExit("a seed issue has no issue line or date in its first lines; cannot build archives")
    return "\n".join([head, *lines[_HEADER_LINES:]])


# Content of its own for every issue, so that rare terms stay rare as the archive grows (a
# real archive's vocabulary keeps growing; four seeds repeated would make every term's hit
# count grow with the archive):
# - a code no other issue has (SK00697), in a sentence inserted before the first "一是"
#   paragraph of the issue: one issue's hits at any size;
# - in the same sentence, a made-up three-character name shared by a block of NAME_BLOCK
#   consecutive issues: a handful of hits at any size;
# - real phrases of the seeds that are rare in a real archive (CONFINED) stay only in the
#   first CONFINED_HOME issues (two copies of each seed); every later copy has a stand-in
#   instead, so their hit counts stay the same at any size instead of growing tenfold.
NAME_BLOCK = 5
_SURNAMES = "甄郦阙蒯訾亓甯蔺厍晏竺邝隗雍闵乜郗仉亢冼"
_GIVEN = "翀昶珺旻玥琰朔钊瑀煜璟湛骞曦暄颢彧祎瑾琮喆昊堃焱淼鑫垚森晟炜璐珂滢泓澍沣霖霏雯婕"
_GIVEN2 = "宁安平和顺康泰嘉怡然舒朗逸清远航峻毅博睿"
CONFINED = {"幸福方桌": "民生议事桌", "舌尖上的安全": "校园餐食安全", "青年留杭第一区": "青年友好城区",
            "营商环境体验官": "营商环境观察员"}
CONFINED_HOME = 8  # issues 1-8 keep the CONFINED phrases: two copies of each of the four seeds
_FIRST_POINT = re.compile(r"^[*#\s]*一是")


def issue_code(total: int) -> str:
    """The code only issue `total` holds."""
    return f"SK{total:05d}"


def issue_name(total: int) -> str:
    """The name the issues of `total`'s block of NAME_BLOCK share (one-to-one for 320,000 blocks)."""
    b = (total - 1) // NAME_BLOCK
    s, b = _SURNAMES[b % len(_SURNAMES)], b // len(_SURNAMES)
    g, b = _GIVEN[b % len(_GIVEN)], b // len(_GIVEN)
    return s + g + _GIVEN2[b % len(_GIVEN2)]


def personalise(text: str, total: int) -> str:
    """The issue's own sentence inserted, and the confined phrases replaced after the first issues."""
    if total > CONFINED_HOME:
        for phrase, stand_in in CONFINED.items():
            text = text.replace(phrase, stand_in)
    lines = text.split("\n")
    at = next((i for i in range(_HEADER_LINES, len(lines)) if _FIRST_POINT.match(lines[i])), None)
    if at is None:
        raise SystemExit("a seed issue has no paragraph starting with 一是; cannot give issues content of their own")
    sentence = f"{issue_name(total)}同志通报了编号为{issue_code(total)}的备案事项办理情况。"
    return "\n".join([*lines[:at], sentence, "", *lines[at:]])


def write_issue(folder: Path, seeds: list[str], total: int, number: int, date: dt.date) -> Path:
    path = folder / f"{total:05d}.txt"
    text = personalise(rewrite_header(seeds[total % len(seeds)], number, total, date), total)
    path.write_text(text, encoding="utf-8")
    return path


def build_archive(folder: Path, count: int, seeds: list[str]) -> int:
    """Write `count` issues into `folder`; return the text size in bytes."""
    folder.mkdir(parents=True)
    size = 0
    for total in range(1, count + 1):
        number, date = issue_facts(total, count)
        size += write_issue(folder, seeds, total, number, date).stat().st_size
    return size


def write_extra_issue(folder: Path, count: int, seeds: list[str]) -> Path:
    """The next issue after the archive's newest: January 2026, running number count + 1."""
    return write_issue(folder, seeds, count + 1, 1, dt.date(NEWEST_YEAR + 1, 1, 9))


# --------------------------------------------------------------------------- records and truth


def load_records(archive: Path) -> list[dict]:
    """Every record of the archive, as searchkit's parser reads it, with its search key."""
    from searchkit.normalize import search_key
    from searchkit.parser import parse_file

    out = []
    for path in sorted(archive.glob("*.txt")):
        for r in parse_file(path).records:
            out.append({"id": r.id, "title": r.title, "toc_title": r.toc_title, "body": r.body,
                        "district": r.district, "date": r.date,
                        "key": "\x00".join((search_key(r.title), search_key(r.toc_title), search_key(r.body)))})
    return out


def matches(spec: dict, rec: dict) -> bool:
    """Exact-substring truth for one record."""
    from searchkit.normalize import search_key

    key = rec["key"]
    if spec["district"] and rec["district"] != spec["district"]:
        return False
    if spec["since"] and rec["date"] < spec["since"]:
        return False
    if not all(search_key(t) in key for t in spec["all"]):
        return False
    if spec["any"] and not any(search_key(t) in key for t in spec["any"]):
        return False
    return not any(search_key(t) in key for t in spec["none"])


def truth(records: list[dict]) -> dict[str, set[str]]:
    return {label(spec): {r["id"] for r in records if matches(spec, r)} for spec in QUERIES}


def label(spec: dict) -> str:
    extra = [f"district={spec['district']}"] if spec["district"] else []
    extra += [f"since={spec['since']}"] if spec["since"] else []
    return spec["q"] + (" [" + ", ".join(extra) + "]" if extra else "")


def recall(found: dict[str, list[str]], expected: dict[str, set[str]]) -> dict:
    per_query, hit, want, wrong = {}, 0, 0, 0
    for name, ids in expected.items():
        got = set(found.get(name, ()))
        both = len(got & ids)
        per_query[name] = {"truth": len(ids), "found": len(got), "missed": len(ids) - both,
                           "wrong": len(got - ids), "recall": both / len(ids) if ids else (1.0 if not got else 0.0)}
        hit, want, wrong = hit + both, want + len(ids), wrong + len(got - ids)
    return {"recall_mean": statistics.fmean(q["recall"] for q in per_query.values()),
            "recall_pooled": hit / want if want else 1.0, "wrong_hits": wrong, "per_query": per_query}


# --------------------------------------------------------------------------- running and measuring processes


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    maxrss_mb: float  # ru_maxrss of the process and its waited-for children (largest single one)
    tree_peak_mb: float  # sampled sum of PSS (else RSS) over the process tree
    status: int
    stderr: str
    tree_rss_peak_mb: float = 0.0  # sampled sum of RSS over the process tree (counts shared pages per process)

    @property
    def peak_mb(self) -> float:
        return max(self.maxrss_mb, self.tree_peak_mb)


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants, from /proc/PID/task/*/children."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def _memory_kb(pid: int, fields=("Pss:", "VmRSS:")) -> int:
    for path, field in ((f"/proc/{pid}/smaps_rollup", fields[0]), (f"/proc/{pid}/status", fields[1])):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(field):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return 0


class _TreeSampler(threading.Thread):
    def __init__(self, pid: int, every: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_kb, self.rss_peak_kb = pid, every, 0, 0
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            tree = _tree(self.pid)
            self.peak_kb = max(self.peak_kb, sum(_memory_kb(p) for p in tree))
            self.rss_peak_kb = max(self.rss_peak_kb, sum(_memory_kb(p, ("Rss:", "VmRSS:")) for p in tree))
            self.done.wait(self.every)


def run_measured(cmd: list[str], cwd: Path | None = None, sample: bool = False, stdout=subprocess.DEVNULL,
                 timeout: float = BUILD_TIMEOUT, env: dict | None = None) -> Run:
    """Run `cmd` to completion; wall time, CPU time and memory of exactly this process tree."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err,
                                env={**_child_env(), **(env or {})})
        sampler = _TreeSampler(proc.pid) if sample else None
        if sampler:
            sampler.start()
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if sampler:
            sampler.done.set()
            sampler.join()
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
               (sampler.peak_kb / 1024) if sampler else 0.0, proc.returncode, text,
               (sampler.rss_peak_kb / 1024) if sampler else 0.0)


def _child_env() -> dict:
    env = dict(os.environ)
    env.pop("SEARCHKIT_INDEX_DIR", None)
    env["PYTHONWARNINGS"] = "ignore"  # jieba's pkg_resources warning is not part of the cost
    return env


def checked(run: Run, what: str, ok=(0,)) -> Run:
    if run.status not in ok:
        raise BenchError(f"{what} exited with status {run.status}:\n{run.stderr[-2000:]}")
    return run


class BenchError(Exception):
    pass


def fresh_median(cmd: list[str], runs: int, cwd: Path) -> dict:
    """One discarded warm-up run, then the median wall time of `runs` runs."""
    checked(run_measured(cmd, cwd=cwd, timeout=120), " ".join(cmd[:3]))
    runs_ = [checked(run_measured(cmd, cwd=cwd, timeout=120), " ".join(cmd[:3])) for _ in range(runs)]
    times = [r.seconds for r in runs_]
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "runs": times,
            "cpu_median_s": statistics.median(r.cpu_seconds for r in runs_),
            "maxrss_median_mb": statistics.median(r.maxrss_mb for r in runs_)}


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency_worker(system: str, archive: Path, index: Path | None, passes: int, cwd: Path, tag: str = "",
                   env: dict | None = None) -> dict:
    """Run the in-process query measurement for `system` in a fresh worker process."""
    qfile = cwd / f"queries-{system}.json"
    qfile.write_text(json.dumps(QUERIES, ensure_ascii=False), encoding="utf-8")
    out = cwd / f"latency-{system}{tag}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "_latency", system, str(archive),
           str(index or "-"), str(qfile), str(passes), str(out)]
    run = checked(run_measured(cmd, cwd=cwd, sample=True, env=env), f"the {system} query worker")
    data = json.loads(out.read_text(encoding="utf-8"))
    data["worker_peak_mb"] = run.peak_mb
    return data


def summarise_latency(data: dict) -> dict:
    lat = [t for times in data["latency_ms"].values() for t in times]
    per_query = {q: statistics.median(t) for q, t in data["latency_ms"].items()}
    slowest = sorted(per_query.items(), key=lambda kv: -kv[1])[:5]
    return {"p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95), "max_ms": max(lat),
            "first_run_p95_ms": percentile(list(data["first_run_ms"].values()), 95),
            "cpu_p95_ms": percentile([t for times in data["cpu_ms"].values() for t in times], 95),
            "first_run_ms": data["first_run_ms"],
            "first_query_ms": data["first_query_ms"], "open_ms": data["open_ms"], "docs": data["docs"],
            "worker_peak_mb": data["worker_peak_mb"], "per_query_median_ms": per_query,
            "slowest": slowest}


# --------------------------------------------------------------------------- searchkit


def searchkit_cmd() -> list[str]:
    """The installed `searchkit` command (what users run)."""
    script = Path(sys.executable).with_name("searchkit")
    if script.exists():
        return [str(script)]
    found = shutil.which("searchkit")
    if found:
        return [found]
    return [sys.executable, *_SEARCHKIT_C]


_SEARCHKIT_C = ["-c", "import sys; from searchkit.cli import main; sys.exit(main())"]


def searchkit_python_args() -> list[str]:
    """Arguments after `python [-X importtime | -m cProfile -o F]` that run the searchkit command."""
    cmd = searchkit_cmd()
    return cmd if len(cmd) == 1 else _SEARCHKIT_C


def live_generation(index: Path) -> Path:
    return index / (index / "CURRENT").read_text(encoding="utf-8").strip()


def bench_searchkit(archive: Path, index: Path, count: int, seeds: list[str], args, work: Path) -> dict:
    sk = searchkit_cmd()
    out: dict = {}
    build = checked(run_measured([*sk, "index", str(archive), "--index-dir", str(index), "--rebuild"],
                                 cwd=work, sample=True), "searchkit index --rebuild")
    out["build_s"], out["build_cpu_s"], out["build_peak_mb"] = build.seconds, build.cpu_seconds, build.peak_mb
    out["build_maxrss_mb"], out["build_tree_peak_mb"] = build.maxrss_mb, build.tree_peak_mb
    out["build_tree_rss_peak_mb"] = build.tree_rss_peak_mb
    gen = live_generation(index)
    out["index_bytes"] = dir_size(gen)
    out["index_files"] = _size_breakdown(gen)
    out["spill_ratio"] = spill_ratio(archive)

    out["latency"] = summarise_latency(latency_worker("searchkit", archive, index, args.passes, work))
    out["fresh"] = {q: fresh_median([*sk, "search", q, "--index-dir", str(index), "--limit", "10"], args.runs, work)
                    for q in FRESH_QUERIES}
    out["scale"] = bench_scale(sk, index, count, args, work)

    extra = write_extra_issue(archive, count, seeds)
    update = [*sk, "index", str(archive), "--index-dir", str(index)]
    add = checked(run_measured(update, cwd=work, sample=True), "searchkit index (one issue added)")
    out["add_s"], out["add_peak_mb"] = add.seconds, add.peak_mb
    extra.unlink()
    out["remove_s"] = checked(run_measured(update, cwd=work), "searchkit index (one issue removed)").seconds
    out["nochange_s"] = checked(run_measured(update, cwd=work), "searchkit index (nothing changed)").seconds
    out["index_bytes_after_updates_all_generations"] = dir_size(index)
    return out


def spill_ratio(archive: Path, sample: int = 100) -> float:
    """What a build's temporary file holds per byte of issue text: the parsed issues as its
    workers hand them over (`index._parse_job`), over the first `sample` files."""
    from searchkit.index import _parse_job

    text = held = 0
    for path in sorted(archive.glob("*.txt"))[:sample]:
        data = path.read_bytes()
        parsed = _parse_job((data, path.name))
        if not isinstance(parsed, str):
            text, held = text + len(data), held + len(parsed.payload)
    return held / max(text, 1)


def bench_scale(sk: list[str], index: Path, count: int, args, work: Path) -> dict:
    """Rare and frequent queries (`scale_queries`): in-process top-10 times in a fresh worker,
    and fresh-process searches for the rare queries marked `fresh`."""
    queries = scale_queries(count)
    qfile = work / "queries-scale.json"
    qfile.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    outfile = work / "scale.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "_scale", str(index), str(qfile), str(args.scale_runs),
           str(outfile)]
    run = checked(run_measured(cmd, cwd=work, sample=True), "the scale query worker")
    data = json.loads(outfile.read_text(encoding="utf-8"))
    data["worker_peak_mb"] = run.peak_mb
    out: dict = {"queries": data["queries"], "open_ms": data["open_ms"], "worker_rss_mb": data["rss_mb"],
                 "worker_peak_mb": run.peak_mb}
    for kind in ("rare", "frequent"):
        times = [t for q in data["queries"].values() if q["kind"] == kind for t in q["ms"]]
        firsts = [q["first_ms"] for q in data["queries"].values() if q["kind"] == kind]
        out[f"{kind}_median_ms"] = statistics.median(times)
        out[f"{kind}_p95_ms"] = percentile(times, 95)
        out[f"{kind}_first_p95_ms"] = percentile(firsts, 95)
        out[f"{kind}_hits"] = {label: q["hits"] for label, q in data["queries"].items() if q["kind"] == kind}
    fresh = {}
    for spec in queries["rare"]:
        if spec["fresh"]:
            fresh[spec["label"]] = dict(fresh_median([*sk, "search", spec["q"], "--index-dir", str(index), "--limit",
                                                      "10"], args.runs, work), q=spec["q"])
    out["fresh"] = fresh
    out["fresh_rare_s"] = statistics.median(f["median_s"] for f in fresh.values())
    out["fresh_rare_worst_s"] = max(f["median_s"] for f in fresh.values())
    out["fresh_rare_maxrss_mb"] = max(f["maxrss_median_mb"] for f in fresh.values())
    return out


def scale_main(index: str, qfile: str, runs: str, outfile: str) -> None:
    """In-process: open the index once; per query a first run (timed apart: the process's
    caches are cold for that query), then `runs` timed runs of `search(..., limit=10)` with
    snippets, as the CLI asks for a page."""
    from searchkit.index import open_snapshot
    from searchkit.query import search
    from searchkit.query.rank import preload

    queries = json.loads(Path(qfile).read_text(encoding="utf-8"))
    started = time.perf_counter()
    preload()  # a long-running process, as `searchkit serve` (counted in open_ms)
    snapshot = open_snapshot(Path(index))
    out: dict = {"queries": {}}
    opened = False
    for kind in ("rare", "frequent"):
        for spec in queries[kind]:
            t = time.perf_counter()
            result = search(snapshot, spec["q"], limit=10)
            first = (time.perf_counter() - t) * 1000
            if not opened:
                out["open_ms"], opened = (time.perf_counter() - started) * 1000, True
            times = []
            for _ in range(int(runs)):
                t = time.perf_counter()
                search(snapshot, spec["q"], limit=10)
                times.append((time.perf_counter() - t) * 1000)
            out["queries"][spec["label"]] = {"q": spec["q"], "kind": kind, "hits": result.tiers.get("exact", 0),
                                             "total": result.total, "tiers": result.tiers, "first_ms": first,
                                             "ms": times}
    out["rss_mb"] = _own_memory_mb()
    Path(outfile).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


def _own_memory_mb() -> dict:
    """This process's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    found = {}
    with open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                found[line.split(":")[0]] = int(line.split()[1]) / 1024
    return {"now": found.get("VmRSS", 0.0), "peak": found.get("VmHWM", 0.0)}


def _size_breakdown(folder: Path) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for f in folder.iterdir():
        kind = f.suffix or f.name
        sizes[kind] = sizes.get(kind, 0) + f.stat().st_size
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1]))


# --------------------------------------------------------------------------- the textbook recipe


def textbook_build_main(archive: str, index: str) -> None:
    """The textbook recipe's build, run as its own process."""
    from jieba.analyse import ChineseAnalyzer
    from whoosh import index as windex
    from whoosh.fields import DATETIME, ID, TEXT, Schema

    from searchkit.parser import parse_file

    analyzer = ChineseAnalyzer()
    schema = Schema(id=ID(stored=True), title=TEXT(stored=True, analyzer=analyzer),
                    body=TEXT(stored=True, analyzer=analyzer), district=ID(stored=True), date=DATETIME(stored=True))
    os.makedirs(index, exist_ok=True)
    ix = windex.create_in(index, schema)
    writer = ix.writer()
    for path in sorted(Path(archive).glob("*.txt")):
        for r in parse_file(path).records:
            title = r.title if r.toc_title in ("", r.title) else f"{r.title}\n{r.toc_title}"
            writer.add_document(id=r.id, title=title, body=r.body, district=r.district,
                                date=dt.datetime.fromisoformat(r.date))
    writer.commit()


TEXTBOOK_SEARCH = """
import sys
from whoosh import index
from whoosh.qparser import MultifieldParser
ix = index.open_dir(sys.argv[1])
with ix.searcher() as searcher:
    query = MultifieldParser(["title", "body"], ix.schema).parse(sys.argv[2])
    for hit in searcher.search(query, limit=10):
        print(hit["id"], hit["title"])
        print(hit.highlights("body"))
"""


def bench_textbook(archive: Path, index: Path, args, work: Path) -> dict:
    out: dict = {}
    build = checked(run_measured([sys.executable, str(Path(__file__).resolve()), "_textbook-build", str(archive),
                                  str(index)], cwd=work, sample=True), "the textbook build")
    out["build_s"], out["build_cpu_s"], out["build_peak_mb"] = build.seconds, build.cpu_seconds, build.peak_mb
    out["build_maxrss_mb"], out["build_tree_peak_mb"] = build.maxrss_mb, build.tree_peak_mb
    out["index_bytes"] = dir_size(index)
    out["latency"] = summarise_latency(latency_worker("textbook", archive, index, args.passes, work))
    out["fresh"] = {q: fresh_median([sys.executable, "-c", TEXTBOOK_SEARCH, str(index), q], args.runs, work)
                    for q in FRESH_QUERIES}
    return out


# --------------------------------------------------------------------------- the substring scan

SCAN_SEARCH = """
import os, sys
drop = {ord(c): None for c in " \\t\\r\\n\\u3000"}
key = sys.argv[2].translate(drop)
folder = sys.argv[1]
for name in sorted(os.listdir(folder)):
    with open(os.path.join(folder, name), encoding="utf-8") as f:
        if key in f.read().translate(drop):
            print(name)
"""


def bench_scan(archive: Path, args, work: Path) -> dict:
    out: dict = {}
    out["latency"] = summarise_latency(latency_worker("scan", archive, None, args.passes, work))
    out["fresh"] = {q: fresh_median([sys.executable, "-c", SCAN_SEARCH, str(archive), q], args.runs, work)
                    for q in FRESH_QUERIES}
    return out


# --------------------------------------------------------------------------- in-process query worker


def latency_main(system: str, archive: str, index: str, qfile: str, passes: str, outfile: str) -> None:
    """Open one system once, time the query set, and collect complete hit sets for recall."""
    queries = json.loads(Path(qfile).read_text(encoding="utf-8"))
    started = time.perf_counter()
    top10, everything, docs = _open_system(system, Path(archive), Path(index))
    opened = time.perf_counter()
    top10(queries[0])
    first = time.perf_counter()
    warmup: dict[str, float] = {}
    for spec in queries:  # warm-up pass: each query's first run in this process
        t = time.perf_counter()
        top10(spec)
        warmup[label(spec)] = (time.perf_counter() - t) * 1000
    latency: dict[str, list[float]] = {label(spec): [] for spec in queries}
    profiler = None
    if os.environ.get("BENCH_PROFILE"):  # --profile: cProfile the timed passes only
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu: dict[str, list[float]] = {label(spec): [] for spec in queries}
    for _ in range(int(passes)):
        for spec in queries:
            t, c = time.perf_counter(), time.process_time()
            top10(spec)
            latency[label(spec)].append((time.perf_counter() - t) * 1000)
            cpu[label(spec)].append((time.process_time() - c) * 1000)
    if profiler:
        profiler.disable()
        profiler.dump_stats(os.environ["BENCH_PROFILE"])
    found = {label(spec): sorted(everything(spec)) for spec in queries}
    Path(outfile).write_text(json.dumps({
        "open_ms": (opened - started) * 1000, "first_query_ms": (first - opened) * 1000, "docs": docs,
        "latency_ms": latency, "cpu_ms": cpu, "first_run_ms": warmup, "found": found}, ensure_ascii=False), encoding="utf-8")


def _open_system(system: str, archive: Path, index: Path):
    """-> (top-10 query function, complete-hit-set function, documents indexed)."""
    if system == "searchkit":
        from searchkit.index import open_snapshot
        from searchkit.query import Filters, search
        from searchkit.query.rank import preload

        preload()  # a long-running process, as `searchkit serve`
        snapshot = open_snapshot(index)

        def filters(spec):
            return Filters(districts=(spec["district"],) if spec["district"] else (), since=spec["since"])

        def top10(spec):
            return search(snapshot, spec["q"], filters(spec), limit=10)

        def everything(spec):
            """The exact tier: hits whose `match` is "exact" (every hit, before hits carried a tier)."""
            hits = search(snapshot, spec["q"], filters(spec), limit=None, with_snippets=False).hits
            return [h.id for h in hits if getattr(h, "match", "exact") == "exact"]

        return top10, everything, len(snapshot.store.live)

    if system == "textbook":
        from whoosh import index as windex
        from whoosh import query as wq
        from whoosh.qparser import MultifieldParser

        ix = windex.open_dir(str(index))
        searcher = ix.searcher()
        parser = MultifieldParser(["title", "body"], ix.schema)

        def run(spec, limit):
            parts = []
            if spec["district"]:
                parts.append(wq.Term("district", spec["district"]))
            if spec["since"]:
                parts.append(wq.DateRange("date", dt.datetime(int(spec["since"]), 1, 1), None))
            flt = (parts[0] if len(parts) == 1 else wq.And(parts)) if parts else None
            return searcher.search(parser.parse(spec["q"]), limit=limit, filter=flt)

        def top10(spec):
            return [(hit["title"], hit.highlights("body")) for hit in run(spec, 10)]

        def everything(spec):
            return [searcher.stored_fields(d)["id"] for d in run(spec, None).docs()]

        return top10, everything, ix.doc_count()

    if system == "scan":
        from searchkit.normalize import search_key

        records = load_records(archive)
        keys = [r["key"] for r in records]

        def everything(spec):
            """The same truth as `matches`, as a list-comprehension pass per condition."""
            docs = range(len(records))
            if spec["district"]:
                docs = [d for d in docs if records[d]["district"] == spec["district"]]
            if spec["since"]:
                docs = [d for d in docs if records[d]["date"] >= spec["since"]]
            for term in spec["all"]:
                k = search_key(term)
                docs = [d for d in docs if k in keys[d]]
            if spec["any"]:
                ks = [search_key(t) for t in spec["any"]]
                docs = [d for d in docs if any(k in keys[d] for k in ks)]
            for term in spec["none"]:
                k = search_key(term)
                docs = [d for d in docs if k not in keys[d]]
            return [records[d]["id"] for d in docs]

        def top10(spec):
            return everything(spec)[:10]

        return top10, everything, len(records)
    raise SystemExit(f"unknown system {system}")


# --------------------------------------------------------------------------- profiles (--profile)


def profile_searchkit(archive: Path, index: Path, count: int, seeds: list[str], work: Path, outdir: Path) -> dict:
    """Where searchkit's time goes: import times and cProfile of a fresh search, cProfile of the
    query set in-process, of adding one issue and of a full build (the parent process only;
    cProfile slows pure-Python code, so read shares, not absolute times)."""
    outdir.mkdir(parents=True, exist_ok=True)
    sk = searchkit_python_args()
    search = ["search", FRESH_QUERIES[0], "--index-dir", str(index), "--limit", "10"]
    out: dict = {"folder": str(outdir)}

    run = checked(run_measured([sys.executable, "-X", "importtime", *sk, *search], cwd=work), "importtime")
    (outdir / "search-importtime.txt").write_text(run.stderr, encoding="utf-8")
    out["search_imports"] = _importtime_summary(run.stderr)

    def profiled(name: str, args: list[str]) -> None:
        path = outdir / f"{name}.prof"
        checked(run_measured([sys.executable, "-m", "cProfile", "-o", str(path), *sk, *args], cwd=work), name)
        out[name] = _profile_summary(path)

    profiled("search", search)
    path = outdir / "queries.prof"
    latency_worker("searchkit", archive, index, 1, work, tag="-profile", env={"BENCH_PROFILE": str(path)})
    out["queries"] = _profile_summary(path)
    extra = write_extra_issue(archive, count, seeds)
    profiled("add", ["index", str(archive), "--index-dir", str(index)])
    extra.unlink()
    checked(run_measured([*searchkit_cmd(), "index", str(archive), "--index-dir", str(index)], cwd=work), "index")
    profiled("build", ["index", str(archive), "--index-dir", str(work / "profile-index"), "--rebuild"])
    return out


def _importtime_summary(log: str, top: int = 12) -> dict:
    """The slowest top-level imports (cumulative µs) from `python -X importtime` output."""
    rows = []
    for line in log.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if m and not m.group(3):
            rows.append((m.group(4), int(m.group(2)) / 1000))
    return {"total_ms": sum(ms for _, ms in rows), "top_ms": sorted(rows, key=lambda r: -r[1])[:top]}


def _profile_summary(path: Path, top: int = 25) -> dict:
    """Top functions by cumulative and by own time; the full listing beside the .prof file."""
    import io
    import pstats

    text = io.StringIO()
    stats = pstats.Stats(str(path), stream=text)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    path.with_suffix(".txt").write_text(text.getvalue(), encoding="utf-8")

    def name(func):
        file, line, fn = func
        return f"{Path(file).name}:{line}({fn})"

    entries = stats.stats  # func -> (cc, nc, tottime, cumtime, callers)
    by_cum = sorted(entries.items(), key=lambda kv: -kv[1][3])[:top]
    by_own = sorted(entries.items(), key=lambda kv: -kv[1][2])[:top]
    return {"total_s": stats.total_tt,
            "cumulative": [(name(f), round(v[3], 4), v[1]) for f, v in by_cum],
            "own": [(name(f), round(v[2], 4), v[1]) for f, v in by_own]}


# --------------------------------------------------------------------------- one archive size


def speed_probe() -> float:
    """Milliseconds a fixed piece of pure-Python work takes (best of three): the same on the
    same machine in the same state, so an hour in which a shared machine runs slow shows as a
    larger figure beside the size it was measured with."""
    def work():
        total = 0
        for i in range(200_000):
            total += i * i % 7
        return sorted(str(i) for i in range(40_000))

    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def bench_size(count: int, seeds: list[str], args, tmp: Path) -> dict:
    work = tmp / f"n{count}"
    work.mkdir()
    archive = work / "archive"
    text_bytes = build_archive(archive, count, seeds)
    records = load_records(archive)
    expected = truth(records)
    result: dict = {"issues": count, "records": len(records), "text_bytes": text_bytes, "loadavg_start": os.getloadavg(),
                    "speed_start_ms": speed_probe(), "truth_sizes": {k: len(v) for k, v in expected.items()},
                    "systems": {}}
    empty = [label(spec) for spec in QUERIES if not expected[label(spec)] and spec["kind"] not in UNSPACED_KINDS]
    if empty:
        result["warning"] = f"queries without any true hit: {empty}"
    benches = {
        "searchkit": lambda: bench_searchkit(archive, work / "sk-index", count, seeds, args, work),
        "textbook": lambda: bench_textbook(archive, work / "tb-index", args, work),
        "scan": lambda: bench_scan(archive, args, work),
    }
    for name, bench in benches.items():
        if name not in args.systems or (name != "searchkit" and count > args.baseline_max):
            continue
        print(f"[{count} issues] {name} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            data = bench()
        except BenchError as exc:
            print(f"[{count} issues] {name} FAILED: {exc}", file=sys.stderr)
            result["systems"][name] = {"error": str(exc)}
            continue
        found = json.loads((work / f"latency-{name}.json").read_text(encoding="utf-8"))["found"]
        data.update(recall(found, expected))
        if "index_bytes" in data:
            data["index_ratio"] = data["index_bytes"] / text_bytes
        data["bench_seconds"] = time.perf_counter() - started
        result["systems"][name] = data
    result["loadavg_end"] = os.getloadavg()
    result["speed_end_ms"] = speed_probe()
    if args.profile and "error" not in result["systems"].get("searchkit", {"error": 1}):
        print(f"[{count} issues] profiling searchkit ...", file=sys.stderr, flush=True)
        result["searchkit_profile"] = profile_searchkit(archive, work / "sk-index", count, seeds, work,
                                                        args.out.parent / "profile" / str(count))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


# --------------------------------------------------------------------------- the table


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def _pad(s: str, n: int, right: bool = False) -> str:
    fill = " " * max(0, n - _width(s))
    return fill + s if right else s + fill


def _get(data: dict, path: str):
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def _speed(result: dict, lead: str = ";") -> str:
    """The speed probe's figures for one size (`speed_probe`), if the run has them."""
    if "speed_start_ms" not in result:
        return ""
    return (f"{lead} a fixed Python loop {result['speed_start_ms']:.0f} -> {result.get('speed_end_ms', 0):.0f} "
            f"ms")


def _fmt(v, unit: str) -> str:
    if v is None:
        return "–"
    if unit == "s":
        return f"{v:.2f} s"
    if unit == "ms":
        return f"{v:.1f} ms"
    if unit == "MB":
        return f"{v:.1f} MB" if v < 100 else f"{v:.0f} MB"
    if unit == "x":
        return f"{v:.2f}×"
    if unit == "recall":
        return f"{v:.3f}"
    return str(v)


def table_rows(result: dict) -> list[tuple]:
    """(label, unit, data path, target key) per row."""
    rows = [
        ("full build", "s", "build_s", "build_s"),
        ("  build CPU (user+sys)", "s", "build_cpu_s", None),
        ("peak build memory", "MB", "build_peak_mb", "build_peak_mb"),
        ("add one issue", "s", "add_s", "add_s"),
        ("  remove one issue", "s", "remove_s", None),
        ("no-change re-run", "s", "nochange_s", "nochange_s"),
        ("index size", "MB", "index_mb", None),
        ("index size / text", "x", "index_ratio", "size_ratio"),
        ("  build's temporary file / text", "x", "spill_ratio", None),
    ]
    for q in FRESH_QUERIES:
        rows += [(f"fresh search {q} (median)", "s", f"fresh.{q}.median_s", "fresh_median_s"),
                 ("  its CPU time (median)", "s", f"fresh.{q}.cpu_median_s", None)]
    rows += [
        ("open + first query", "ms", "latency.first_query_ms", None),
        ("query p50", "ms", "latency.p50_ms", None),
        ("query p95", "ms", "latency.p95_ms", "p95_ms"),
        ("query max", "ms", "latency.max_ms", None),
        ("  p95 in CPU time", "ms", "latency.cpu_p95_ms", None),
        ("  p95 of first runs", "ms", "latency.first_run_p95_ms", None),
        ("recall (pooled)", "recall", "recall_pooled", "recall_pooled"),
        ("recall (mean of queries)", "recall", "recall_mean", "recall_mean"),
        ("wrong hits", "", "wrong_hits", "wrong_hits"),
        ("documents indexed", "", "latency.docs", None),
    ]
    return rows


def render_table(result: dict) -> tuple[str, dict]:
    systems = result["systems"]
    for data in systems.values():
        if "index_bytes" in data:
            data["index_mb"] = data["index_bytes"] / 1e6
    judged = result["issues"] == TARGET_SIZE
    header = ["metric", "searchkit", "textbook", "scan", "sk/textbook", "target", "at 700" if judged else ""]
    lines, verdicts = [], {}
    for name, unit, path, target in table_rows(result):
        vals = [_get(systems.get(s, {}), path) for s in ("searchkit", "textbook", "scan")]
        if unit == "s" and path.startswith(("build", "add", "remove", "nochange")):
            vals[2] = None  # the scan has no index to build
        comparable = unit in ("s", "ms", "MB", "x") and isinstance(vals[0], (int, float)) and vals[1]
        ratio = f"{vals[0] / vals[1]:.2f}" if comparable else "–"
        tgt, verdict = "", ""
        if target:
            tgt = TARGETS[target][0]
            if judged and vals[0] is not None:
                ok = TARGETS[target][1](vals[0])
                verdict = "PASS" if ok else "FAIL"
                verdicts[f"{name}"] = verdict
        lines.append([name, *(_fmt(v, unit) for v in vals), ratio, tgt, verdict])
    widths = [max(_width(str(r[i])) for r in [header, *lines]) for i in range(len(header))]
    out = [f"== {result['issues']} issues, {result['records']} records, "
           f"{result['text_bytes'] / 1e6:.1f} MB of text; load average {result['loadavg_start'][0]:.1f} -> "
           f"{result['loadavg_end'][0]:.1f} on {os.cpu_count()} cores{_speed(result)} =="]
    fmt_row = lambda r: "  ".join(_pad(str(c), widths[i], right=0 < i < 5) for i, c in enumerate(r)).rstrip()
    out.append(fmt_row(header))
    out.append("  ".join("-" * w for w in widths).rstrip())
    out.extend(fmt_row(r) for r in lines)
    for s, data in systems.items():
        if "error" in data:
            out.append(f"{s}: ERROR {data['error'].splitlines()[0]}")
        slow = _get(data, "latency.slowest")
        if slow:
            out.append(f"{s} slowest queries (median ms): " + ", ".join(f"{q} {t:.1f}" for q, t in slow))
    if judged and verdicts:
        passed = sum(v == "PASS" for v in verdicts.values())
        out.append(f"targets at {TARGET_SIZE} issues: {passed}/{len(verdicts)} PASS")
    if "warning" in result:
        out.append("warning: " + result["warning"])
    return "\n".join(out), verdicts


def growth_rows() -> list[tuple]:
    """(label, unit, data path under systems.searchkit, growth target key, largest-size target key)."""
    return [
        ("records", "", "latency.docs", None, None),
        ("rare queries: exact hits (fewest-most)", "range", "scale.rare_hits_range", None, None),
        ("fresh search, rare (median of queries)", "s", "scale.fresh_rare_s", "scale.fresh_rare_s", None),
        ("  slowest rare query (median)", "s", "scale.fresh_rare_worst_s", None, None),
        ("  its peak RSS", "MB", "scale.fresh_rare_maxrss_mb", None, None),
        ("rare top-10 in-process, median", "ms", "scale.rare_median_ms", None, None),
        ("rare top-10 in-process, p95", "ms", "scale.rare_p95_ms", "scale.rare_p95_ms", None),
        ("  p95 of first runs", "ms", "scale.rare_first_p95_ms", None, None),
        ("frequent top-10 (人大, 代表), median", "ms", "scale.frequent_median_ms", "scale.frequent_median_ms", None),
        ("  p95", "ms", "scale.frequent_p95_ms", None, None),
        ("search process RSS after the queries", "MB", "scale.worker_rss_mb.now", None, None),
        ("full build", "s", "build_s", "build_s", None),
        ("  build CPU (user+sys)", "s", "build_cpu_s", None, None),
        ("peak memory of the build's process tree", "MB", "build_peak_mb", None, "build_peak_mb"),
        ("  sum of RSS over the tree (sampled)", "MB", "build_tree_rss_peak_mb", None, None),
        ("add one issue", "s", "add_s", None, "add_s"),
        ("no-change run", "s", "nochange_s", None, "nochange_s"),
        ("index size", "MB", "index_mb", None, None),
        ("index size / text byte", "x", "index_ratio", None, None),
    ]


def render_growth(sizes: dict) -> tuple[str, dict]:
    """Side by side: every size of the run, the growth from the smallest to the largest, the
    targets of issue 13 (judged when the run goes from 700 to 7,000 issues)."""
    counts = sorted(int(k) for k in sizes)
    small, large = counts[0], counts[-1]
    if GROWTH_FROM in counts and GROWTH_TO in counts:  # --big: 70, 700 and 7,000; judge 700 -> 7,000
        small, large = GROWTH_FROM, GROWTH_TO
    systems = {n: sizes[str(n)]["systems"].get("searchkit", {}) for n in counts}
    for data in systems.values():
        if "index_bytes" in data:
            data["index_mb"] = data["index_bytes"] / 1e6
        hits = _get(data, "scale.rare_hits")
        if isinstance(hits, dict) and hits:
            data["scale"]["rare_hits_range"] = (min(hits.values()), max(hits.values()))
    judged = (small, large) == (GROWTH_FROM, GROWTH_TO)
    header = ["metric", *(f"{n:,} issues" for n in counts), f"growth {small:,}→{large:,}",
              "target", "verdict" if judged else ""]
    lines, verdicts = [], {}
    for name, unit, path, growth, absolute in growth_rows():
        vals = [_get(systems[n], path) for n in counts]
        if unit == "range":
            cells = [f"{v[0]}-{v[1]}" if v else "–" for v in vals]
            ratio = ""
        else:
            cells = [_fmt(v, unit) for v in vals]
            a, b = vals[counts.index(small)], vals[counts.index(large)]
            ratio = f"{b / a:.2f}×" if all(isinstance(v, (int, float)) for v in (a, b)) and a else "–"
        tgt = verdict = ""
        if growth:
            tgt = GROWTH_TARGETS[growth][0]
            if judged and ratio not in ("", "–"):
                verdict = "PASS" if GROWTH_TARGETS[growth][1](b / a) else "FAIL"
        elif absolute:
            tgt = f"{LARGEST_TARGETS[absolute][0]} at {GROWTH_TO:,}"
            value = vals[counts.index(large)]
            if large == GROWTH_TO and value is not None:
                verdict = "PASS" if LARGEST_TARGETS[absolute][1](value) else "FAIL"
        if verdict:
            verdicts[name] = verdict
        lines.append([name, *cells, ratio, tgt, verdict])
    widths = [max(_width(str(r[i])) for r in [header, *lines]) for i in range(len(header))]
    fmt_row = lambda r: "  ".join(_pad(str(c), widths[i], right=0 < i <= len(counts) + 1)
                                  for i, c in enumerate(r)).rstrip()
    out = [f"== growth: searchkit from {small:,} to {large:,} issues (rare: an issue's own code, a name "
           f"{NAME_BLOCK} issues share, seed phrases kept in {CONFINED_HOME} issues; frequent: "
           f"{', '.join(FREQUENT_WORDS)}) =="]
    out += [fmt_row(header), "  ".join("-" * w for w in widths).rstrip(), *map(fmt_row, lines)]
    for n in counts:
        per = _get(systems[n], "scale.queries") or {}
        if per:
            out.append(f"{n:,} issues, per query: exact hits/all hits, median ms: " + "; ".join(
                f"{label} {q['q']} {q['hits']}/{q['total']} {statistics.median(q['ms']):.1f}"
                for label, q in per.items()))
    speeds = [f"{n:,} issues{_speed(sizes[str(n)], ':')}" for n in counts if "speed_start_ms" in sizes[str(n)]]
    if speeds:  # a slow hour at one size moves every ratio
        out.append("machine speed while each size ran: " + "; ".join(speeds))
    if judged:
        passed = sum(v == "PASS" for v in verdicts.values())
        out.append(f"targets of issue 13: {passed}/{len(verdicts)} PASS")
    else:
        out.append(f"(the targets are judged for a run of --sizes {GROWTH_FROM},{GROWTH_TO})")
    return "\n".join(out), verdicts


def render_profile(prof: dict, top: int = 8) -> str:
    out = [f"searchkit profile (full listings in {prof['folder']}):"]
    imports = prof["search_imports"]
    out.append(f"  fresh search imports {imports['total_ms']:.0f} ms: "
               + ", ".join(f"{name} {ms:.0f}" for name, ms in imports["top_ms"][:top]))
    for name in ("search", "queries", "add", "build"):
        p = prof[name]
        out.append(f"  {name} (cProfile, {p['total_s']:.2f} s): own time "
                   + ", ".join(f"{f} {t:.3f}" for f, t, _ in p["own"][:top]))
    return "\n".join(out)


# --------------------------------------------------------------------------- machine facts


def machine_info() -> dict:
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = ""
    with open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    versions = {}
    for pkg in ("searchkit", "Whoosh-Reloaded", "whoosh", "rjieba", "jieba", "click", "rich"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
    except OSError:
        commit = ""
    import searchkit  # which copy runs: PYTHONPATH may point at an export of a commit, not the work tree

    source = Path(searchkit.__file__).resolve().parent.parent
    return {"cpus": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)), "cpu_model": model, "memory": mem,
            "python": platform.python_version(), "platform": platform.platform(), "packages": versions,
            "searchkit_commit": commit, "searchkit_source": str(source), "loadavg_start": os.getloadavg(),
            "searchkit_segmenter": "rjieba (keeps no cache: loads its dictionary in ~0.1 s)",
            "date": dt.datetime.now().astimezone().isoformat(timespec="seconds")}


# --------------------------------------------------------------------------- main


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="70,700", help="archive sizes in issues, comma-separated (default 70,700)")
    p.add_argument("--big", action="store_true", help="also 7,000 issues")
    p.add_argument("--runs", type=int, default=5, help="fresh-process runs per search (median; default 5)")
    p.add_argument("--passes", type=int, default=3, help="timed passes over the query set in-process (default 3)")
    p.add_argument("--scale-runs", type=int, default=20,
                   help="timed in-process runs per rare or frequent query (default 20)")
    p.add_argument("--baseline-max", type=int, default=TARGET_SIZE,
                   help=f"run the textbook and scan baselines only at sizes up to this (default {TARGET_SIZE}: "
                        f"the textbook build of 7,000 issues alone takes half an hour)")
    p.add_argument("--systems", default="searchkit,textbook,scan", help="which systems to run (default all three)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON output (default bench-out/bench.json)")
    p.add_argument("--keep", action="store_true", help="keep the temp archives and indexes (their folder is printed)")
    p.add_argument("--profile", action="store_true",
                   help="also profile searchkit (importtime, cProfile of search, queries, add, build) into "
                        "profile/SIZE/ beside --out; costs one more full build per size")
    args = p.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.big and 7000 not in args.sizes:
        args.sizes.append(7000)
    args.systems = [s.strip() for s in args.systems.split(",")]
    return args


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_textbook-build"]:
        textbook_build_main(*argv[1:])
        return 0
    if argv[:1] == ["_latency"]:
        latency_main(*argv[1:])
        return 0
    if argv[:1] == ["_scale"]:
        scale_main(*argv[1:])
        return 0
    args = parse_args(argv)
    seeds = seed_texts()
    info = machine_info()
    tmp = Path(tempfile.mkdtemp(prefix="searchkit-bench-", dir="/tmp"))
    print(f"working in {tmp}" + (" (kept)" if args.keep else ""), file=sys.stderr)
    report = {"machine": info, "config": {"sizes": args.sizes, "runs": args.runs, "passes": args.passes,
                                          "systems": args.systems, "queries": QUERIES,
                                          "fresh_queries": list(FRESH_QUERIES), "issues_per_year": ISSUES_PER_YEAR},
              "targets": {k: v[0] for k, v in TARGETS.items()},
              "growth_targets": {**{k: v[0] for k, v in GROWTH_TARGETS.items()},
                                 **{k: f"{v[0]} at {GROWTH_TO}" for k, v in LARGEST_TARGETS.items()}}, "sizes": {}}
    tables = []
    try:
        for count in args.sizes:
            result = bench_size(count, seeds, args, tmp)
            text, verdicts = render_table(result)
            if "searchkit_profile" in result:
                text += "\n" + render_profile(result["searchkit_profile"])
            result["verdicts"] = verdicts
            report["sizes"][str(count)] = result
            tables.append(text)
            print(text + "\n", flush=True)
        if len(report["sizes"]) > 1:
            text, verdicts = render_growth(report["sizes"])
            report["growth"] = {"table": text, "verdicts": verdicts}
            print(text + "\n", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    info["loadavg_end"] = os.getloadavg()
    print(f"machine: {info['cpus_usable']} cores, {info['cpu_model']}, {info['memory']}, Python {info['python']}, "
          + ", ".join(f"{k} {v}" for k, v in info["packages"].items())
          + f"; searchkit {info['searchkit_commit']}"
          + ("" if info["searchkit_source"] == str(REPO) else f" (imported from {info['searchkit_source']})")
          + f"; load {info['loadavg_start'][0]:.2f} -> {info['loadavg_end'][0]:.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
