"""Benchmark: a 90-day notifications extract at a large demo scale, time and peak memory.

Usage: `.venv/bin/python bench/extract.py [--scale F]`. Generates and ingests the demo at the
given scale in a temporary folder, then runs `reportlib extract` in a child process per format
(peak RSS from the child's resource usage).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from reportlib import demo, ingest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reportlib-bench-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        counts = demo.generate(root / "sources", root / "params", date(2026, 11, 20),
                               tenants=1, scale=args.scale, months=4)
        ingest.ingest(root / "sources", root / "wh.duckdb", root / "params")
        print(f"setup: {sum(counts.values())} messages (varejo_sul, scale {args.scale}), "
              f"{time.perf_counter() - start:.1f} s")
        for fmt in ("csv", "parquet"):
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "reportlib.cli", "extract", "--tenant", "varejo_sul",
                 "--table", "notifications", "--from", "2026-08-21", "--to", "2026-11-19",
                 "--format", fmt, "--out", str(root / f"n.{fmt}"), "--today", "2026-11-25",
                 "--warehouse", str(root / "wh.duckdb"), "--params", str(root / "params")],
                capture_output=True, text=True, check=True)
            seconds = time.perf_counter() - start
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            size = (root / f"n.{fmt}").stat().st_size / 2**20
            print(f"extract notifications 90 days {fmt}: {done.stdout.split(': ')[-1].strip()},"
                  f" {seconds:.2f} s, peak RSS {max(peak, before) / 1024:.0f} MiB, "
                  f"{size:.1f} MiB file")


if __name__ == "__main__":
    main()
