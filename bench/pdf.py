"""HTML → PDF alone, per report: the HTML files a run published, laid out and written again
through `render.html_to_pdf`, in a process holding what a render worker holds (the notebook
machinery, pandas, DuckDB; one PDF written first). Medians of `--repeat`, wall and CPU seconds.

Usage: `.venv/bin/python bench/pdf.py outputs/varejo_sul/2026-10 [--repeat 5] [--report NAME]`.
To compare two versions side by side, run it from each checkout in turn, one round at a time
(`--repeat 1`, alternating), and take the medians of the rounds (bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import nbformat  # noqa: F401  (a worker's heap)
import papermill  # noqa: F401
import pypdf

from reportlib import registry, render
from reportlib.marts import bundle  # noqa: F401  (DuckDB, pandas)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path, help="a published tenant-period: its *.html")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--report", action="append", help="default: every report found")
    args = parser.parse_args()
    names = args.report or [n for n in registry.names() if (args.folder / f"{n}.html").is_file()]
    out = Path(tempfile.mkdtemp(prefix="reportlib-bench-pdf-"))
    render._html_exporter()  # as after a worker's first report
    render.html_to_pdf((args.folder / f"{names[-1]}.html").read_text("utf-8"), out / "first.pdf")
    print(f"{render.__file__}; machine load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("| report | PDF wall s | PDF CPU s | pages |\n|---|---:|---:|---:|")
    for name in names:
        page = (args.folder / f"{name}.html").read_text("utf-8")
        wall, cpu = [], []
        for _ in range(args.repeat):
            started, used = time.perf_counter(), time.process_time()
            render.html_to_pdf(page, out / f"{name}.pdf")
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - used)
        pages = len(pypdf.PdfReader(out / f"{name}.pdf").pages)
        print(f"| {name} | {statistics.median(wall):.2f} | {statistics.median(cpu):.2f} | "
              f"{pages} |", flush=True)


if __name__ == "__main__":
    main()
