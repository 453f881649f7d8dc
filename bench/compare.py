"""Before and after a change: the same report run with two versions of the code, alternated.

Usage: `.venv/bin/python bench/compare.py --against COMMIT --workdir bench/results/10m
[--every 6] [--rounds 2] [--jobs 2]`.

Runs measured far apart on a shared machine differ by 15-25 % with no change of code, so a
change's gain is measured here and not by comparing two `bench/run.py` tables. `--against`
is checked out into a temporary worktree (its `reportlib/warehouse` must be this checkout's:
both runs share the workdir's warehouse); then, round after round, `reportlib run --force`
of every `--every`-th tenant of the workdir (prepared by `bench/run.py`) runs with that code
and with this checkout's, the order swapped each round so that a drift of the machine weighs
on both. Each run is a process of its own (`run.measure`): wall seconds, CPU seconds of the
command and all its processes, peak RSS of the largest. Prints each run, the medians and the
ratios this/against, and whether both wrote the same figures (a speed change should not
change a number; a change of numbers is named, not hidden).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from run import AS_OF, PERIOD, Measure, measure  # bench/run.py, beside this file

ROOT = Path(__file__).resolve().parent.parent


def worktree(commit: str, into: Path) -> Path:
    """`commit` checked out at `into` (detached; nothing of this checkout changes)."""
    made = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--force",
                           str(into), commit], capture_output=True, text=True)
    if made.returncode != 0:
        raise SystemExit(f"--against {commit}: {made.stderr.strip().splitlines()[-1]}")
    return into


def code_of(pythonpath: str) -> str:
    """Where `reportlib` is imported from with that PYTHONPATH (a check that each run uses
    the version it is meant to)."""
    env = {**os.environ, "PYTHONPATH": pythonpath}
    return subprocess.run([sys.executable, "-c", "import reportlib; print(reportlib.__file__)"],
                          env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True,
                          check=True).stdout.strip()


def figures(outputs: Path) -> dict:
    """Every report's figures in the run's manifests: {(tenant, period, report): figures}."""
    found = {}
    for path in sorted(outputs.glob("*/*/manifest.json")):
        manifest = json.loads(path.read_text("utf-8"))
        for report, entry in manifest.get("reports", {}).items():
            found[(manifest["tenant"], manifest["period"], report)] = entry.get("figures")
    return found


def at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: at least 1")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", required=True, help="the commit to compare with")
    parser.add_argument("--workdir", type=Path, required=True,
                        help="a workdir bench/run.py prepared (warehouse.duckdb, params/)")
    parser.add_argument("--every", type=at_least_one, default=6, help="every n-th tenant, by name")
    parser.add_argument("--rounds", type=at_least_one, default=2)
    parser.add_argument("--jobs", type=at_least_one, default=2)
    args = parser.parse_args()
    workdir = args.workdir.resolve()
    wh, params_dir = workdir / "warehouse.duckdb", workdir / "params"
    if not wh.is_file() or not (params_dir / "tenants").is_dir():
        raise SystemExit(f"{workdir}: no warehouse.duckdb and params/ (run bench/run.py "
                         "--prepare-only with this --workdir first)")
    tenants = sorted(p.stem for p in (params_dir / "tenants").glob("*.yaml"))[::args.every]
    scratch = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    try:
        schema = subprocess.run(["git", "-C", str(ROOT), "diff", "--quiet", args.against,
                                 "--", "reportlib/warehouse"])
        if schema.returncode != 0:  # each run would migrate the shared warehouse to its own
            raise SystemExit(f"reportlib/warehouse differs from {args.against}'s: the runs "
                             "would rewrite the workdir's warehouse in turn; compare on "
                             "workdirs of their own")
        old = worktree(args.against, scratch / "against")
        paths = {"against": str(old), "this": str(ROOT)}  # neither left to the venv's finder
        if code_of(paths["this"]) == code_of(paths["against"]):
            raise SystemExit("both versions import the same reportlib: nothing to compare")
        for tree in paths.values():  # both start with compiled modules, as a checkout does
            subprocess.run([sys.executable, "-m", "compileall", "-q", f"{tree}/reportlib"],
                           check=True, capture_output=True)
        base = ["run", *[x for t in tenants for x in ("--tenant", t)], "--period", PERIOD,
                "--as-of", AS_OF.isoformat(), "--jobs", str(args.jobs), "--warehouse", str(wh),
                "--params", str(params_dir), "--force"]
        print(f"{len(tenants)} tenants (every {args.every}th of {workdir.name}), {PERIOD}, "
              f"{args.jobs} workers; against {args.against}; load "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        runs: dict[str, list[Measure]] = {"against": [], "this": []}
        written: dict[str, dict] = {}
        for number in range(args.rounds):
            order = ("against", "this") if number % 2 == 0 else ("this", "against")
            for name in order:
                out = scratch / f"out-{name}"
                shutil.rmtree(out, ignore_errors=True)
                result = measure([*base, "--outputs", str(out)], scratch,
                                 {"PYTHONPATH": paths[name]})
                runs[name].append(result)
                written[name] = figures(out)
                print(f"round {number + 1} {name:7s}: {result.seconds:6.1f} s wall, "
                      f"{result.cpu:6.1f} s CPU, {result.rss:5.0f} MiB", flush=True)
        print("\n| median of rounds | against | this | this/against |\n|---|---:|---:|---:|")
        for label, key, unit in (("wall", "seconds", "s"), ("CPU of every process", "cpu", "s"),
                                 ("peak RSS", "rss", "MiB")):
            a = statistics.median(getattr(m, key) for m in runs["against"])
            b = statistics.median(getattr(m, key) for m in runs["this"])
            print(f"| {label} {unit} | {a:.1f} | {b:.1f} | {b / a:.2f} |")
        differ = sorted(k for k in written["this"].keys() | written["against"].keys()
                        if written["this"].get(k) != written["against"].get(k))
        said = ("the same in every report" if not differ else
                "DIFFERENT in " + ", ".join("/".join(k) for k in differ[:10]))
        print(f"\nfigures: {said} ({len(written['this'])} reports)")
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                        str(scratch / "against")], capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
