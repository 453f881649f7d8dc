"""Benchmark: demo generation, ingest, bundle build and per-report render, medians printed.

Usage: `make bench` or `.venv/bin/python bench/run.py [--scale F] [--repeat N]`.
Runs in a temporary folder; prints one line per figure. Targets live here, never in tests.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from reportlib import demo, ingest, params
from reportlib.domain import calendar
from reportlib.marts import bundle
from reportlib.render import Job, notebook_path, render

AS_OF = date(2026, 11, 20)


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reportlib-bench-") as tmp:
        root = Path(tmp)
        seconds, counts = timed(demo.generate, root / "sources", root / "params", AS_OF,
                                scale=args.scale)
        messages = sum(counts.values())
        print(f"demo: {messages} messages, 3 tenants, {seconds:.2f} s")
        seconds, results = timed(ingest.ingest, root / "sources", root / "wh.duckdb",
                                 root / "params")
        rows = sum(r.rows_loaded for r in results)
        print(f"ingest (first): {rows} rows in {len(results)} files, {seconds:.2f} s, "
              f"{rows / seconds:,.0f} rows/s")
        seconds, _ = timed(ingest.ingest, root / "sources", root / "wh.duckdb", root / "params")
        print(f"ingest (again, unchanged): {seconds:.2f} s")
        tenant = params.load_tenant(root / "params", "varejo_sul")
        period = calendar.parse_period("2026-10")
        builds = []
        for i in range(args.repeat):
            seconds, digest = timed(bundle.build, root / "wh.duckdb", tenant, period, AS_OF,
                                    root / f"b{i}.duckdb")
            builds.append(seconds)
        print(f"bundle build (varejo_sul 2026-10): median {statistics.median(builds):.3f} s "
              f"of {args.repeat}")
        renders = {"execute": [], "html": [], "pdf": [], "total": []}
        for i in range(args.repeat):
            job = Job("varejo_sul", "2026-10", "consumption", AS_OF.isoformat(), "pt-BR",
                      str(root / "b0.duckdb"), digest, str(notebook_path("consumption")),
                      str(root / f"out{i}"))
            result = render(job).result
            assert result.status == "ok", result.error
            for key in renders:
                renders[key].append(result.seconds[key])
        print(f"render consumption (median of {args.repeat}): " + ", ".join(
            f"{k} {statistics.median(v):.2f} s" for k, v in renders.items()))


if __name__ == "__main__":
    main()
