"""A bounded load test of `searchkit serve` on loopback.

    python scripts/loadtest.py                       # 70 issues, 32 clients, 2,000 requests
    python scripts/loadtest.py --issues 700 --clients 64 --requests 5000
    python scripts/loadtest.py --index-dir index/    # an existing index instead of a synthetic archive

Builds a synthetic archive from seeds/ (as scripts/bench.py does) and its index in a
temporary folder, then:

1. in-process: times `search()` as the page calls it (facets, 10 hits, snippets) for
   each query of bench.py's mixed set: the floor a web answer cannot beat;
2. one client, one request at a time: the same queries through `searchkit serve` (the
   page and /api/search), so that what the server adds to a search shows per query;
3. many clients at once (threads, one keep-alive connection each) for a fixed count of
   requests, two pages for every API call: throughput, p50/p95/max latency, errors.

The server is the real `searchkit serve --port 0` in its own process. Exits 1 if any
request failed (a status other than 200, or a connection error). Writes the figures to
bench-out/loadtest.json as well. Needs the web extra: pip install -e '.[web]'.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import bench  # noqa: E402  (the archive generator and the query set)

from searchkit.index import open_snapshot, update_index  # noqa: E402
from searchkit.query import Filters, search  # noqa: E402

SEARCHKIT = Path(sys.executable).parent / "searchkit"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def query_params(spec: dict) -> dict:
    params = {"q": spec["q"]}
    if spec.get("district"):
        params["district"] = spec["district"]
    if spec.get("since"):
        params["since"] = spec["since"]
    return params


def in_process(index: Path, passes: int) -> dict[str, float]:
    """Median seconds per query of `search()` as the page runs it (after one warm-up pass)."""
    from searchkit.query.rank import preload

    preload()  # as the server does
    snapshot = open_snapshot(index)
    times: dict[str, list[float]] = {}
    for n in range(passes + 1):
        for spec in bench.QUERIES:
            filters = Filters(districts=(spec["district"],) if spec.get("district") else (), since=spec.get("since"))
            started = time.perf_counter()
            search(snapshot, spec["q"], filters, limit=10, offset=0, facets=True)
            if n:
                times.setdefault(spec["q"] + str(spec.get("district")) + str(spec.get("since")), []).append(
                    time.perf_counter() - started)
    snapshot.close()
    return {k: statistics.median(v) for k, v in times.items()}


class Client:
    """One keep-alive HTTP connection."""

    def __init__(self, host: str, port: int):
        self.conn = http.client.HTTPConnection(host, port, timeout=60)

    def get(self, path: str) -> tuple[int, float]:
        started = time.perf_counter()
        try:
            self.conn.request("GET", path)
            response = self.conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            status = 0
        return status, time.perf_counter() - started


def paths() -> list[str]:
    """Two page requests, then one API request, over the query set, round and round."""
    out = []
    for spec in bench.QUERIES:
        qs = urlencode(query_params(spec))
        out += [f"/?{qs}", f"/?{qs}&page=2", f"/api/search?{qs}"]
    return out


def start_server(index: Path) -> tuple[subprocess.Popen, str, int]:
    proc = subprocess.Popen([str(SEARCHKIT), "serve", "--port", "0", "--index-dir", str(index)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.search(r"(http://[^ ,，（]+)", line)
    if not m:
        proc.kill()
        raise SystemExit(f"searchkit serve did not start: {line!r} {proc.stderr.read()!r}")
    url = urlsplit(m.group(1))
    return proc, url.hostname, url.port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=70, help="synthetic archive size (default 70)")
    parser.add_argument("--index-dir", type=Path, help="use this index instead of a synthetic archive")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--requests", type=int, default=2000, help="requests in all (default 2000)")
    parser.add_argument("--passes", type=int, default=3, help="in-process passes over the query set (default 3)")
    parser.add_argument("--out", type=Path, default=REPO / "bench-out" / "loadtest.json")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="searchkit-load-") as tmp:
        if args.index_dir:
            index = args.index_dir
        else:
            archive = Path(tmp) / "archive"
            bench.build_archive(archive, args.issues, bench.seed_texts())
            index = Path(tmp) / "index"
            started = time.perf_counter()
            report = update_index([archive], index)
            print(f"index: {args.issues} issues, {report.total_records} records, "
                  f"built in {time.perf_counter() - started:.1f} s", file=sys.stderr)

        floor = in_process(index, args.passes)
        proc, host, port = start_server(index)
        try:
            # One client, one request at a time: what serving adds to each search.
            one = Client(host, port)
            for path in paths()[:6]:
                one.get(path)  # warm-up
            added, sequential, added_api, errors = [], [], [], 0
            for spec in bench.QUERIES:
                qs = urlencode(query_params(spec))
                key = spec["q"] + str(spec.get("district")) + str(spec.get("since"))
                status, seconds = one.get(f"/?{qs}")
                errors += status != 200
                sequential.append(seconds)
                added.append(seconds - floor[key])
                status, seconds = one.get(f"/api/search?{qs}&facets=1")
                errors += status != 200
                added_api.append(seconds - floor[key])

            # Many clients at once, a fixed count of requests.
            order = paths()
            counter = itertools.count()
            lock = threading.Lock()
            latencies: list[float] = []
            statuses: dict[int, int] = {}

            def worker() -> None:
                client = Client(host, port)
                while True:
                    n = next(counter)
                    if n >= args.requests:
                        return
                    status, seconds = client.get(order[n % len(order)])
                    with lock:
                        latencies.append(seconds)
                        statuses[status] = statuses.get(status, 0) + 1

            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            started = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                for _ in range(args.clients):
                    pool.submit(worker)
            wall = time.perf_counter() - started
        finally:
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        if proc.returncode != 0 or "Traceback" in err:
            print(f"the server ended badly (status {proc.returncode}): {err}", file=sys.stderr)
            errors += 1

    failed = errors + sum(n for s, n in statuses.items() if s != 200)
    ms = 1000
    floor_values = list(floor.values())
    figures = {
        "issues": None if args.index_dir else args.issues, "clients": args.clients, "requests": len(latencies),
        "errors": failed, "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "wall_s": round(wall, 3), "throughput_rps": round(len(latencies) / wall, 1),
        "latency_ms": {"p50": round(percentile(latencies, 50) * ms, 1), "p95": round(percentile(latencies, 95) * ms, 1),
                       "max": round(max(latencies) * ms, 1)},
        "in_process_search_ms": {"p50": round(percentile(floor_values, 50) * ms, 1),
                                 "p95": round(percentile(floor_values, 95) * ms, 1),
                                 "max": round(max(floor_values) * ms, 1)},
        "one_client_page_ms": {"p50": round(percentile(sequential, 50) * ms, 1),
                               "p95": round(percentile(sequential, 95) * ms, 1)},
        "added_by_serving_ms": {"p50": round(percentile(added, 50) * ms, 1), "p95": round(percentile(added, 95) * ms, 1)},
        "added_by_api_ms": {"p50": round(percentile(added_api, 50) * ms, 1),
                            "p95": round(percentile(added_api, 95) * ms, 1)},
        "machine": f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores, "
                   f"load average {load:.2f}",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    rows = [
        ("requests (clients)", f"{figures['requests']} ({args.clients})"),
        ("errors", str(failed)),
        ("wall time", f"{wall:.2f} s"),
        ("throughput", f"{figures['throughput_rps']} requests/s"),
        ("latency under load p50 / p95 / max", "{p50} / {p95} / {max} ms".format(**figures["latency_ms"])),
        ("in-process search p50 / p95 / max", "{p50} / {p95} / {max} ms".format(**figures["in_process_search_ms"])),
        ("one client, page p50 / p95", "{p50} / {p95} ms".format(**figures["one_client_page_ms"])),
        ("  added by serving the page p50 / p95", "{p50} / {p95} ms".format(**figures["added_by_serving_ms"])),
        ("  added by /api/search p50 / p95", "{p50} / {p95} ms".format(**figures["added_by_api_ms"])),
        ("machine", figures["machine"]),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"(written to {args.out})", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
