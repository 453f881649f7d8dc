"""Does a warm kernel pay? The same run with one kernel per report and with one warm kernel
per worker for a tenant-period's reports in turn (`REPORTLIB_WARM_KERNELS`), alternated.

Usage: `.venv/bin/python bench/warm_kernels.py --workdir DIR [--tenants 3] [--repeat 2]`, on a
work folder that `bench/run.py --workdir DIR` made (its warehouse and params). Each run is a
`reportlib run --force` process of its own; medians of the wall times, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import AS_OF, PERIOD, command  # noqa: E402

from reportlib import params  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--tenants", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    root = args.workdir.resolve()  # the commands run in it
    counts = json.loads((root / "counts.json").read_text())
    tenants = sorted(counts, key=counts.get, reverse=True)[:args.tenants]
    reports = sum(len(params.load_tenant(root / "params", t).reports) for t in tenants)
    run = ["run", "--period", PERIOD, "--as-of", AS_OF.isoformat(), "--jobs", str(args.jobs),
           "--warehouse", str(root / "warehouse.duckdb"), "--params", str(root / "params"),
           "--force", *(a for t in tenants for a in ("--tenant", t))]
    seconds = {"0": [], "1": []}
    for _ in range(args.repeat):
        for warm in ("0", "1"):
            wall, _ = command([*run, "--outputs", str(root / f"out-warm-{warm}")], root,
                              {"REPORTLIB_WARM_KERNELS": warm})
            seconds[warm].append(wall)
            print(f"warm kernels {warm}: {wall:.1f} s", flush=True)
    cold, warm = statistics.median(seconds["0"]), statistics.median(seconds["1"])
    print(f"{len(tenants)} largest tenants, {reports} reports, {args.jobs} workers: "
          f"a kernel per report {cold:.1f} s, warm kernels {warm:.1f} s, ratio {warm / cold:.2f}"
          f" (load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
