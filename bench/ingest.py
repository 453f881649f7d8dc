"""Benchmark: ingest against the floor of DuckDB's plain readers, side by side, medians.

Usage (one command; prints the table, never asserts a target):

    .venv/bin/python bench/ingest.py --tenants 12 --scale 16 --repeat 3

It writes the demo sources once (timing the generator and its peak RSS), then alternates, run
by run: our `reportlib ingest` into a fresh warehouse, and the floor, a script that reads every
same file with DuckDB's `read_csv` / `read_json` into tables with no checks. Each is a separate
process; its peak RSS comes from the kernel (wait4). Then a re-ingest of the unchanged files.
`--sources DIR --params DIR` reuses files written before. Targets (issue: ingest engine):
ratio ≥ 0.7 at 10 M notifications, peak RSS ≤ 1.5 GiB, generator ≤ 10 min and ≤ 1 GiB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
REPORTLIB = [PYTHON, "-m", "reportlib.cli"]

FLOOR = r'''
import sys, duckdb
from pathlib import Path
con = duckdb.connect(sys.argv[2])
con.execute("SET memory_limit = '1GB'")
n = 0
for path in sorted(Path(sys.argv[1]).rglob("*")):
    name = path.name.lower()
    if not path.is_file():
        continue
    n += 1
    if name.endswith((".csv", ".csv.gz")):
        reader = f"read_csv('{path}')"
    elif name.endswith((".jsonl", ".jsonl.gz")):
        # Declared top-level columns: sampling misses keys that appear late in a big file
        # (an inbound `button`), and a failed floor would time nothing.
        reader = (f"read_json('{path}', format = 'newline_delimited', "
                  "columns = {'object': 'VARCHAR', 'entry': 'JSON'})")
    elif name.endswith((".json", ".json.gz")):
        reader = f"read_json('{path}')"
    else:
        continue
    con.execute(f"CREATE TABLE t{n} AS SELECT * FROM {reader}")
con.close()
'''


def run(cmd: list[str], allowed: tuple[int, ...] = (0, 1)) -> tuple[float, int]:
    """(seconds, peak RSS in MiB) of a child process, which must succeed: exit 0, or 1 for
    ingest (some files had problems); the floor must exit 0."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in allowed:
        raise SystemExit(f"{' '.join(cmd)} failed ({code}): {proc.stderr.read().decode()[-500:]}")
    return seconds, usage.ru_maxrss // 1024


def count_rows(warehouse: Path) -> tuple[int, int]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        read, notifications = con.execute(
            "SELECT sum(rows_read), (SELECT count(*) FROM notifications) FROM ingest_log "
            "WHERE status = 'loaded'").fetchall()[0]
    finally:
        con.close()
    return int(read or 0), int(notifications)


def size_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=12)
    parser.add_argument("--scale", type=float, default=16.0)
    parser.add_argument("--months", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sources", type=Path, help="reuse these sources (with --params)")
    parser.add_argument("--params", type=Path)
    parser.add_argument("--workdir", type=Path, help="default: a temporary folder, removed")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="reportlib-bench-ingest-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        sources, params = args.sources, args.params
        if sources is None:
            sources, params = work / "sources", work / "params"
            seconds, rss = run([*REPORTLIB, "demo", "--sources", str(sources), "--params",
                                str(params), "--as-of", "2026-11-20", "--tenants",
                                str(args.tenants), "--scale", str(args.scale), "--months",
                                str(args.months), "--no-year-before"])
            print(f"generator: {seconds:.1f} s, peak RSS {rss} MiB "
                  f"({size_mib(sources):,.0f} MiB of sources)")
        ours, floor = [], []
        for i in range(args.repeat):
            for name, cmd, out in (
                ("ours", [*REPORTLIB, "ingest", str(sources), "--warehouse",
                          str(work / "ours.duckdb"), "--params", str(params)], ours),
                ("floor", [PYTHON, "-c", FLOOR, str(sources), str(work / "floor.duckdb")],
                 floor),
            ):
                for stale in work.glob(f"{'ours' if name == 'ours' else 'floor'}.duckdb*"):
                    shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
                out.append(run(cmd, (0, 1) if name == "ours" else (0,)))
                print(f"  run {i + 1} {name}: {out[-1][0]:.1f} s, {out[-1][1]} MiB",
                      file=sys.stderr)
        rows, notifications = count_rows(work / "ours.duckdb")
        again, again_rss = run([*REPORTLIB, "ingest", str(sources), "--warehouse",
                                str(work / "ours.duckdb"), "--params", str(params)])
        ratios = [f[0] / o[0] for o, f in zip(ours, floor, strict=True)]
        ours_s = statistics.median(o[0] for o in ours)
        floor_s = statistics.median(f[0] for f in floor)
        print("| notifications | source rows | sources MiB | ours s | floor s | "
              "ratio floor/ours (median of pairs) | ours rows/s | ours peak RSS MiB | "
              "floor peak RSS MiB | re-ingest unchanged s |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(f"| {notifications:,} | {rows:,} | {size_mib(sources):,.0f} | {ours_s:.1f} | "
              f"{floor_s:.1f} | {statistics.median(ratios):.2f} | {rows / ours_s:,.0f} | "
              f"{max(o[1] for o in ours)} | {max(f[1] for f in floor)} | {again:.1f} |")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
