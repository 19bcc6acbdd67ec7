"""Ranking benchmark (issue 9, "Measured, not asserted"): searchkit against the textbook
recipe (AND, OR) and a character-bigram BM25, on judged queries over seeds/.

Usage, from the repository root, with searchkit's venv active (bench extra installed):

    python scripts/relevance/run.py                    # the table and the per-kind table
    python scripts/relevance/run.py --verbose          # also one row per query
    python scripts/relevance/run.py --json bench-out/relevance.json
    python scripts/relevance/run.py --searchkit-rev HEAD   # searchkit as committed, not the work tree

What it does
    Reads the judged queries (judgments.json beside this file: each query's information
    need and a 0-3 grade for every record), parses seeds/*.txt with searchkit's parser and
    checks that the judged records are exactly the records the seeds hold. Builds, in a
    private temp folder, a searchkit index of seeds/, the textbook recipe's Whoosh index in
    memory and a bigram BM25 table, runs every query through every system (top 10), and
    prints nDCG@10, P@5, MRR (metrics.py says how they are computed), the zero-hit rate and
    the result for the queries with nothing relevant, per system, and the same for the
    judgments' own ranking ("ideal": the ceiling; P@5 stays low because most queries have
    fewer than five relevant records); then nDCG@10 by query kind; then the queries where
    searchkit falls furthest behind the best baseline.

The systems
    searchkit          `searchkit.query.search(snapshot, q, limit=10)` (searchkit_system.py);
    searchkit --exact  the same with exact=True, when `search` accepts it;
    textbook AND / OR  Whoosh + jieba's ChineseAnalyzer, MultifieldParser over title+body
                       with AndGroup / OrGroup (textbook.py);
    bigram BM25        character bigrams, BM25F over title+body (bigram.py).
    The baselines index title (heading + table-of-contents title) and body, as
    scripts/bench.py builds the textbook recipe; bylines are searchkit's own business.

Zero hits
    The zero-hit rate counts the queries that have a relevant record (grade >= 1) and got no
    hit at all. Queries with nothing relevant in the sample are reported apart: for them an
    empty result is the right answer ("empty-ideal answered empty").

Runs in well under a minute; the figures are deterministic (no randomness, ties broken by
record order). --searchkit-rev REV exports searchkit/ at a git revision into the temp
folder and imports it from there, so a half-edited work tree does not stop the benchmark.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SEEDS = REPO / "seeds"
JUDGMENTS = HERE / "judgments.json"
LIMIT = 10
ISSUE9 = "issue 9's seven"

sys.path.insert(0, str(HERE))
import metrics  # noqa: E402


# --------------------------------------------------------------------------- judgments and records


def load_judgments(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    pool = set(data["records"])
    seen = set()
    for q in data["queries"]:
        if q.get("judged") != "all":
            raise SystemExit(f"{q['id']}: every query must be judged against all records (\"judged\": \"all\")")
        if not q.get("need"):
            raise SystemExit(f"{q['id']}: no information need written")
        if q["kind"] not in data["kinds"]:
            raise SystemExit(f"{q['id']}: unknown kind {q['kind']!r}")
        unknown = set(q["grades"]) - pool
        bad = {k: v for k, v in q["grades"].items() if v not in (1, 2, 3)}
        if unknown or bad:
            raise SystemExit(f"{q['id']}: grades for unknown records {sorted(unknown)} or out of range {bad}")
        if q["id"] in seen:
            raise SystemExit(f"duplicate query id {q['id']}")
        seen.add(q["id"])
        q["grades"] = {doc: q["grades"].get(doc, 0) for doc in data["records"]}  # the full vector
    return data


def load_records() -> list[dict]:
    from searchkit.parser import parse_file

    out = []
    for path in sorted(SEEDS.glob("*.txt")):
        for r in parse_file(path).records:
            title = r.title if r.toc_title in ("", r.title) else f"{r.title}\n{r.toc_title}"
            out.append({"id": r.id, "title": title, "body": r.body})
    return out


def check_coverage(judgments: dict, records: list[dict]) -> None:
    judged, parsed = set(judgments["records"]), {r["id"] for r in records}
    if judged != parsed or len(parsed) != len(records):
        raise SystemExit(f"the judgments cover {sorted(judged)} but seeds/ holds {sorted(parsed)}; "
                         "judge the new records for every query before running")


# --------------------------------------------------------------------------- running


def use_searchkit_rev(rev: str, tmp: Path) -> str:
    """Import searchkit from `git archive REV searchkit` instead of the installed work tree."""
    dest = tmp / "searchkit-src"
    dest.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "searchkit"], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
    sys.path.insert(0, str(dest))
    return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", rev], capture_output=True,
                          text=True).stdout.strip()


def describe_worktree() -> str:
    """The work tree's commit, or the folder searchkit was imported from when that is elsewhere
    (PYTHONPATH pointing at a copy)."""
    import searchkit

    source = Path(searchkit.__file__).resolve().parent
    if source != REPO / "searchkit":
        return f"imported from {source}"
    return "work tree " + subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                                         capture_output=True, text=True).stdout.strip()


def build_systems(records: list[dict], tmp: Path) -> list:
    import bigram
    import searchkit_system
    import textbook

    snapshot = searchkit_system.open_index(SEEDS, tmp / "sk-index")
    systems = [searchkit_system.Searchkit(snapshot)]
    if searchkit_system.has_exact_mode():
        systems.append(searchkit_system.Searchkit(snapshot, exact=True))
    cache = tmp / "jieba-cache"
    cache.mkdir()
    tb = textbook.TextbookIndex(records, cache)
    systems += [tb.system("AND"), tb.system("OR"), bigram.BigramBM25(records)]
    return systems


IDEAL = "ideal (judgments)"


def ideal_runs(queries: list[dict]) -> dict:
    """The judgments' own ranking (grade, then record order), top 10: the ceiling of each metric."""
    return {q["id"]: {"ids": [d for d, g in sorted(q["grades"].items(), key=lambda kv: -kv[1]) if g][:LIMIT],
                      "tiers": [], "error": None} for q in queries}


def run_all(systems: list, queries: list[dict]) -> dict:
    """-> {system name: {query id: {"ids", "tiers", "error"}}}"""
    runs: dict = {}
    for system in systems:
        per_query = runs[system.name] = {}
        for q in queries:
            row: dict = {"ids": [], "tiers": [], "error": None}
            try:
                ids = system.search(q["query"], limit=LIMIT)
                row["ids"] = list(dict.fromkeys(ids))[:LIMIT]
                row["tiers"] = list(getattr(system, "last_tiers", []))
            except Exception as exc:  # a crash is a failed query, reported, not a failed benchmark
                row["error"] = f"{type(exc).__name__}: {exc}"
            per_query[q["id"]] = row
    return runs


# --------------------------------------------------------------------------- scoring


def score(runs: dict, queries: list[dict]) -> dict:
    out: dict = {}
    for name, per_query in runs.items():
        rows = {}
        for q in queries:
            ids, g = per_query[q["id"]]["ids"], q["grades"]
            rows[q["id"]] = {"ndcg10": metrics.ndcg_at(ids, g, LIMIT), "p5": metrics.precision_at(ids, g, 5),
                             "rr": metrics.reciprocal_rank(ids, g), "hits": len(ids),
                             "grades_returned": [g.get(d, 0) for d in ids]}
        judged = [q for q in queries if any(q["grades"].values())]
        empty = [q for q in queries if not any(q["grades"].values())]
        zero = [q["id"] for q in judged if rows[q["id"]]["hits"] == 0]
        out[name] = {
            "ndcg10": metrics.mean(rows[q["id"]]["ndcg10"] for q in queries),
            "p5": metrics.mean(rows[q["id"]]["p5"] for q in queries),
            "mrr": metrics.mean(rows[q["id"]]["rr"] for q in queries),
            "zero_hit_rate": len(zero) / len(judged) if judged else None,
            "zero_hit_queries": zero,
            "empty_ideal_answered_empty": sum(rows[q["id"]]["hits"] == 0 for q in empty),
            "empty_ideal_queries": len(empty),
            "errors": {qid: r["error"] for qid, r in per_query.items() if r["error"]},
            "by_kind": {},
            "per_query": rows,
        }
        for kind in kinds_of(queries):
            members = [q for q in queries if kind_match(q, kind)]
            out[name]["by_kind"][kind] = metrics.mean(rows[q["id"]]["ndcg10"] for q in members)
    return out


def kinds_of(queries: list[dict]) -> list[str]:
    return list(dict.fromkeys(q["kind"] for q in queries)) + [ISSUE9]


def kind_match(q: dict, kind: str) -> bool:
    return bool(q.get("issue9")) if kind == ISSUE9 else q["kind"] == kind


# --------------------------------------------------------------------------- printing


def width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def pad(s: str, n: int, right: bool = False) -> str:
    fill = " " * max(0, n - width(s))
    return fill + s if right else s + fill


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(pad(c, widths[i], right=i > 0) for i, c in enumerate(r)).rstrip()  # noqa: E731
    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def f3(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def main_table(scores: dict, queries: list[dict]) -> str:
    judged = sum(1 for q in queries if any(q["grades"].values()))
    empty = len(queries) - judged
    header = ["system", "nDCG@10", "P@5", "MRR", "zero-hit", "empty-ideal answered empty"]
    rows = []
    for name, s in scores.items():
        zero = len(s["zero_hit_queries"])
        rows.append([name, f3(s["ndcg10"]), f3(s["p5"]), f3(s["mrr"]),
                     f"{s['zero_hit_rate']:.1%} ({zero}/{judged})", f"{s['empty_ideal_answered_empty']}/{empty}"])
    return table(header, rows)


def kind_table(scores: dict, queries: list[dict]) -> str:
    names = [s for s in scores if s != IDEAL]
    header = ["nDCG@10 by kind", "n", *names]
    rows = []
    for kind in kinds_of(queries):
        n = sum(1 for q in queries if kind_match(q, kind) and any(q["grades"].values()))
        rows.append([kind, str(n), *(f3(scores[s]["by_kind"][kind]) for s in names)])
    return table(header, rows)


def per_query_table(scores: dict, runs: dict, queries: list[dict]) -> str:
    names = [s for s in scores if s != IDEAL]
    header = ["id", "query", "kind", *names]
    rows = []
    for q in queries:
        cells = []
        for s in names:
            r = scores[s]["per_query"][q["id"]]
            v = r["ndcg10"]
            cell = ("–" if v is None else f"{v:.2f}") + (" ∅" if r["hits"] == 0 else f" {r['hits']:>2}")
            if runs[s][q["id"]]["error"]:
                cell += " ERR"
            cells.append(cell)
        rows.append([q["id"], q["query"], q["kind"], *cells])
    return "per query: nDCG@10 and the number of hits returned (∅ = none; – = nothing relevant exists)\n" + table(
        header, rows)


def worst_gaps(scores: dict, queries: list[dict], top: int = 12) -> tuple[str, list[dict]]:
    baselines = [s for s in scores if not s.startswith("searchkit") and s != IDEAL]
    gaps = []
    for q in queries:
        sk = scores["searchkit"]["per_query"][q["id"]]["ndcg10"]
        if sk is None:
            continue
        best_name = max(baselines, key=lambda s: scores[s]["per_query"][q["id"]]["ndcg10"])
        best = scores[best_name]["per_query"][q["id"]]["ndcg10"]
        if best > sk:
            gaps.append({"id": q["id"], "query": q["query"], "kind": q["kind"], "searchkit": sk,
                         "best_baseline": best_name, "best": best, "gap": best - sk,
                         "searchkit_hits": scores["searchkit"]["per_query"][q["id"]]["hits"]})
    gaps.sort(key=lambda g: (-g["gap"], g["id"]))
    rows = [[g["id"], g["query"], g["kind"], f"{g['searchkit']:.2f}" + (" ∅" if g["searchkit_hits"] == 0 else ""),
             f"{g['best']:.2f}", g["best_baseline"]] for g in gaps[:top]]
    text = (f"where searchkit trails the best baseline most ({len(gaps)} queries trail in all):\n"
            + table(["id", "query", "kind", "searchkit", "best", "best baseline"], rows))
    return text, gaps


# --------------------------------------------------------------------------- main


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--verbose", "-v", action="store_true", help="also print one row per query")
    p.add_argument("--json", type=Path, metavar="FILE", help="write every figure, per query too, to FILE")
    p.add_argument("--judgments", type=Path, default=JUDGMENTS, help="the judged queries (default: judgments.json here)")
    p.add_argument("--searchkit-rev", metavar="REV",
                   help="benchmark searchkit/ as committed at this git revision (default: the installed work tree)")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    judgments = load_judgments(args.judgments)
    queries = judgments["queries"]
    with tempfile.TemporaryDirectory(prefix="searchkit-relevance-") as tmp_name:
        tmp = Path(tmp_name)
        version = use_searchkit_rev(args.searchkit_rev, tmp) if args.searchkit_rev else describe_worktree()
        records = load_records()
        check_coverage(judgments, records)
        systems = build_systems(records, tmp)
        runs = run_all(systems, queries)
    runs[IDEAL] = ideal_runs(queries)
    scores = score(runs, queries)
    judged = sum(1 for q in queries if any(q["grades"].values()))
    print(f"ranking benchmark: {len(queries)} queries ({judged} with relevant records, {len(queries) - judged} "
          f"with none), {len(records)} records of seeds/; searchkit "
          f"{'at ' + args.searchkit_rev + ' = ' if args.searchkit_rev else ''}{version}")
    print(main_table(scores, queries))
    print()
    print(kind_table(scores, queries))
    for name, s in scores.items():
        if s["errors"] and name != IDEAL:
            print(f"{name}: {len(s['errors'])} queries raised: "
                  + "; ".join(f"{k} {v}" for k, v in list(s["errors"].items())[:5]))
    print()
    gap_text, gaps = worst_gaps(scores, queries)
    print(gap_text)
    if args.verbose:
        print()
        print(per_query_table(scores, runs, queries))
    elapsed = time.perf_counter() - started
    print(f"\n({elapsed:.1f} s; metrics: nDCG@10 linear gains, log2 discount; P@5 and MRR count grade >= 2; "
          "zero-hit over queries with a relevant record)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {"searchkit": {"rev": args.searchkit_rev, "version": version}, "records": len(records),
                  "queries": [{k: q[k] for k in ("id", "query", "kind", "need")} | {"issue9": bool(q.get("issue9"))}
                              for q in queries],
                  "systems": {name: {**s, "per_query": {qid: {**row, **runs[name][qid]}
                                                        for qid, row in s["per_query"].items()}}
                              for name, s in scores.items()},
                  "worst_gaps": gaps, "seconds": elapsed}
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"wrote {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
