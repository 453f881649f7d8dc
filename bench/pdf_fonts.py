"""The PDF step with each font subsetter, side by side: HarfBuzz's (uharfbuzz) against
fontTools from the lean font (the fallback), per report, in one process; each PDF laid out
with one then the other, the order swapped each round. Medians of CPU seconds.

Usage: `.venv/bin/python bench/pdf_fonts.py outputs/varejo_sul/2026-10 [--rounds 5]`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat  # noqa: F401  (a worker's heap)
import papermill  # noqa: F401

from reportlib import registry, render
from reportlib.look import font_subset


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path, help="a published tenant-period: its *.html")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    harfbuzz = font_subset.harfbuzz_subset
    subsetters = {"fontTools": lambda *_: None, "HarfBuzz": harfbuzz}
    names = [n for n in registry.names() if (args.folder / f"{n}.html").is_file()]
    out = Path(tempfile.mkdtemp(prefix="reportlib-bench-fonts-"))
    render._html_exporter()
    for subsetter in subsetters.values():  # fonts read, lean fonts cached: as in a worker
        font_subset.harfbuzz_subset = subsetter
        render.html_to_pdf((args.folder / f"{names[-1]}.html").read_text("utf-8"),
                           out / "first.pdf")
    cpu = {(name, kind): [] for name in names for kind in subsetters}
    for round_ in range(args.rounds):
        for name in names:
            page = (args.folder / f"{name}.html").read_text("utf-8")
            for kind in (list(subsetters) if round_ % 2 else list(subsetters)[::-1]):
                font_subset.harfbuzz_subset = subsetters[kind]
                used = time.process_time()
                render.html_to_pdf(page, out / f"{name}-{kind}.pdf")
                cpu[name, kind].append(time.process_time() - used)
    font_subset.harfbuzz_subset = harfbuzz
    print("| report | fontTools, lean font CPU s | HarfBuzz CPU s | ratio |\n|---|---:|---:|---:|")
    totals = dict.fromkeys(subsetters, 0.0)
    for name in names:
        medians = {kind: statistics.median(cpu[name, kind]) for kind in subsetters}
        for kind, value in medians.items():
            totals[kind] += value
        print(f"| {name} | {medians['fontTools']:.3f} | {medians['HarfBuzz']:.3f} | "
              f"{medians['HarfBuzz'] / medians['fontTools']:.2f} |")
    print(f"| all | {totals['fontTools']:.2f} | {totals['HarfBuzz']:.2f} | "
          f"{totals['HarfBuzz'] / totals['fontTools']:.2f} |")


if __name__ == "__main__":
    main()
