"""Benchmark of a report run against its floors, side by side in one run; medians and ratios.

Usage: `make bench` or `.venv/bin/python bench/run.py [--notifications 1M|10M] [--tenants 50]
[--repeat 3] [--jobs 2] [--workdir DIR]`.

1. Demo sources for `--tenants` tenants (two months, scaled to about `--notifications`
   notifications), ingested once (a `--workdir` that has them is reused).
2. Per report, for the largest tenant's month: execute / HTML / PDF of the report through
   `render.render`, against an empty notebook (the parameters cell only) through the same path.
3. The whole run of every tenant's reports (`reportlib run --all-tenants`, `--jobs` workers):
   against the floor `reports × empty-notebook time / cores` and against empty notebooks
   through the same command and pool (bundles included); then the same run again, unchanged.
   Each command is a process of its own; peak RSS is the largest process's (the kernel's
   rusage of the command and its reaped children).
4. Marts + bundle of the largest tenant-month: every report's bundle; and the chatbots
   bundle against a plain pandas implementation of the same figures (its daily and monthly
   marts), from the warehouse's rows and from the source files (the numbers are checked
   equal to the marts').
Targets live here, never in tests. Figures depend on the machine's load: say so with them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import nbformat

from reportlib import demo, ingest, params, registry
from reportlib.domain import calendar, pricing
from reportlib.marts import bundle
from reportlib.render import NOTEBOOK_PARAMETERS, Job, notebook_path, render

AS_OF = date(2026, 11, 20)
PERIOD = "2026-10"
MONTHS = 2
# Demo notifications per tenant-month at --scale 1 (measured: 3 tenants, 3 months, 63,786):
# the scale that gives about the wanted notifications over `tenants` × 2 months (the second
# one runs to the as-of date, 20 of 30 days).
PER_TENANT_MONTH = 63_786 / 9
SCALES = {"0.1M": 100_000, "1M": 1_000_000, "10M": 10_000_000}  # 0.1M: a quick look


def median_of(fn, repeat: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


@dataclass(frozen=True)
class Measure:
    seconds: float  # wall
    cpu: float  # user + system of the command and every process it reaped
    rss: float  # MiB, its largest process's peak


# The command is started by a small launcher process, not forked from this one: Linux counts
# a process's peak RSS from its fork, so a command forked from the benchmark (which by then
# holds frames of the warehouse) was charged with the benchmark's own size: three runs read
# 805 MiB alike, an unchanged run of 1.9 s among them. The launcher reports what its one child
# used: CPU of it and every process it reaped, and the peak RSS of the largest of them.
LAUNCHER = """import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
used = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    out.write(f"{used.ru_utime + used.ru_stime} {used.ru_maxrss}")
sys.exit(code)
"""


def measure(args: list[str], cwd: Path, env: dict | None = None) -> Measure:
    """Run a `reportlib` command (environment: this one's with `env`) through `LAUNCHER`. A
    run in which a report failed stops the benchmark: its time is no figure."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode="r") as used:
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-c", LAUNCHER, used.name, sys.executable,
                                    "-m", "reportlib.cli", *args], cwd=cwd,
                                   env={**os.environ, **(env or {})}, stdout=out, stderr=err)
        status = process.wait()
        seconds = time.perf_counter() - start
        if status != 0:
            out.seek(0)
            err.seek(0)
            failed = [line for line in out.read().decode(errors="replace").splitlines()
                      if "failed" in line]
            raise SystemExit(f"reportlib {' '.join(args)} failed: {len(failed)} reports\n"
                             + "\n".join(failed[:10]) + "\n"
                             + err.read().decode(errors="replace")[-2000:])
        cpu, rss = used.read().split()
    return Measure(seconds, float(cpu), int(rss) / 1024)


def command(args: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB of its largest process) of a `reportlib` command."""
    result = measure(args, cwd, env)
    return result.seconds, result.rss


def empty_notebooks(folder: Path) -> Path:
    """Per report, a notebook with its parameters cell only (same kernel, same file name)."""
    folder.mkdir(parents=True, exist_ok=True)
    for spec in registry.REPORTS:
        real = nbformat.read(str(notebook_path(spec.name)), as_version=4)
        cell = nbformat.v4.new_code_cell("\n".join(f'{name} = ""' for name in
                                                   NOTEBOOK_PARAMETERS))
        cell.metadata["tags"] = ["parameters"]
        empty = nbformat.v4.new_notebook(cells=[cell], metadata=real.metadata)
        nbformat.write(empty, str(folder / spec.notebook_file))
    return folder


def chatbot_pandas(warehouse_path: Path, tenant: params.TenantParams,
                   period: calendar.Period):
    """The chatbots report's figures in plain pandas from the warehouse's rows: the daily
    figures and the monthly ones (`chatbot_daily`, `chatbot_monthly`)."""
    import duckdb

    con = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        rows = con.execute("SELECT user_identity, channel, direction, storage_date, bot_id, "
                           "router_id FROM bot_messages WHERE tenant_id = ?",
                           [tenant.tenant_id]).df()
    finally:
        con.close()
    return chatbot_figures(rows, tenant, period)


def chatbot_figures(rows, tenant: params.TenantParams, period: calendar.Period):
    """(daily, monthly) frames from rows of user_identity, channel, direction, storage_date,
    bot_id and router_id."""
    rows["day"] = pd_dates(rows["storage_date"], tenant.timezone)
    rows["who"] = rows["user_identity"].astype(str) + "\0" + rows["channel"].fillna("")
    return daily_figures(rows, period), monthly_figures(rows, period)


def pd_dates(instants, zone: str):
    """Tenant-local dates of instants (text with an offset, or zoned timestamps)."""
    import pandas as pd

    return pd.to_datetime(instants, utc=True, format="ISO8601").dt.tz_convert(zone).dt.date


def daily_figures(rows, period: calendar.Period):
    """Per tenant-local day of the period: active users (distinct user and channel), messages
    sent and received."""
    import pandas as pd

    daily = rows.groupby("day").agg(
        active_users=("who", "nunique"),
        sent=("direction", lambda d: int((d == "sent").sum())),
        received=("direction", lambda d: int((d == "received").sum())))
    days = pd.date_range(period.start, period.end, freq="D").date
    return daily.reindex(days, fill_value=0).reset_index(names="day")


def monthly_figures(rows, period: calendar.Period, as_of: date = AS_OF):
    """MAU, MEU and messages per month of the period, per bot, per router and in all, with the
    same span of the month before and of a year before and whether each is available
    (docs/metrics.md, Chatbots; the rules of chatbot_monthly.sql)."""
    import calendar as cal

    import pandas as pd

    def back(day: date, months: int) -> date:
        year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
        return date(year, month + 1, min(day.day, cal.monthrange(year, month + 1)[1]))

    def last_day(day: date) -> date:
        return day.replace(day=cal.monthrange(day.year, day.month)[1])

    per_day = rows.groupby("day").size()

    def gapped(lo: date, hi: date) -> bool:
        """A steady source (20 or more messages on the span's median day with one) with a run
        of 3 or more expected days (their weekday has a record on another day of the span)
        without a record: the span is not complete (chatbot_monthly.sql's `gapped`)."""
        counts = per_day[(per_day.index >= lo) & (per_day.index <= hi)]
        if counts.empty or counts.median() < 20:
            return False
        seen = set(counts.index)
        run = 0
        for day in pd.date_range(lo, hi, freq="D").date:
            if not any(d != day and d.isoweekday() == day.isoweekday() for d in seen):
                continue  # not expected: it breaks no run
            run = 0 if day in seen else run + 1
            if run >= 3:
                return True
        return False

    first_day = rows["day"].min()
    levels = pd.concat([rows.assign(level="bot", name=rows["bot_id"]),
                        rows[rows["router_id"].notna()].assign(level="router",
                                                               name=rows["router_id"]),
                        rows.assign(level="all", name="all")], ignore_index=True)
    out, month = [], period.start.replace(day=1)
    while month <= period.end:
        start = max(month, period.start)
        end = min(last_day(month), period.end, as_of - timedelta(days=1))
        if end >= start:
            spans = {}
            for kind, months in (("current", 0), ("previous", 1), ("year", 12)):
                cmp_end = (last_day(back(month, months)) if end == last_day(month)
                           else back(end, months))
                spans[kind] = (back(start, months), cmp_end)
            measured = {}
            for kind, (lo, hi) in spans.items():
                inside = levels[(levels["day"] >= lo) & (levels["day"] <= hi)]
                received = inside[inside["direction"] == "received"]
                measured[kind] = pd.DataFrame({
                    "mau": inside.groupby(["level", "name"])["who"].nunique(),
                    "meu": received.groupby(["level", "name"])["who"].nunique(),
                    "msgs": inside.groupby(["level", "name"]).size(),
                    "sent": inside[inside["direction"] == "sent"].groupby(
                        ["level", "name"]).size(),
                    "received": received.groupby(["level", "name"]).size(),
                }).fillna(0).astype(int)
            complete = not gapped(*spans["current"])
            available = {kind: bool(first_day <= spans[kind][0]
                                    and ("all", "all") in measured[kind].index
                                    and complete and not gapped(*spans[kind]))
                         for kind in ("previous", "year")}
            for (level, name), row in measured["current"].sort_index().iterrows():
                line = [level, name, month, start, end, complete,
                        *row[["mau", "meu", "msgs", "sent", "received"]]]
                for kind in ("previous", "year"):
                    values = (measured[kind].loc[(level, name), ["mau", "meu", "msgs"]]
                              .tolist() if (level, name) in measured[kind].index else [0, 0, 0])
                    line += [*spans[kind], available[kind],
                             *(values if available[kind] else [None] * 3)]
                out.append(tuple(line))
        month = back(month, -1)
    return out  # month by month; the caller sorts to compare with the mart


def plain_rows(table) -> list[tuple]:
    """A frame's (or a list of tuples') rows with plain values, to compare two computations:
    dates as ISO text, numbers as int, missing as None."""
    import pandas as pd

    rows = table.itertuples(index=False) if isinstance(table, pd.DataFrame) else table
    def plain(value):
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        if isinstance(value, (bool, str)):
            return value
        if hasattr(value, "isoformat"):
            return value.isoformat()[:10]
        return int(value)
    return [tuple(plain(v) for v in row) for row in rows]


def chatbot_pandas_files(sources: Path, tenant: params.TenantParams, period: calendar.Period):
    """The same figures in plain pandas from the tenant's source files, as one would without
    the warehouse (what the issue's 14.6 s peer did): read every bot-messages CSV of the
    tenant, keep a message id's last row, drop rows without a required field."""
    import pandas as pd

    files = sorted((sources / tenant.tenant_id / "bot_messages").glob("*.csv"))
    rows = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""])
                      for f in files], ignore_index=True)
    rows = rows.dropna(subset=["MessageId", "BotId", "UserIdentity", "Direction",
                               "StorageDate"])
    rows = rows.drop_duplicates("MessageId", keep="last").rename(columns={
        "UserIdentity": "user_identity", "Channel": "channel", "Direction": "direction",
        "StorageDate": "storage_date", "BotId": "bot_id", "RouterId": "router_id"})
    return chatbot_figures(rows, tenant, period)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notifications", choices=sorted(SCALES), default="1M")
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--workdir", type=Path, help="keep (or reuse) sources and warehouse")
    parser.add_argument("--prepare-only", action="store_true",
                        help="write and ingest the sources into --workdir, measure nothing")
    args = parser.parse_args()
    # Absolute: the notebooks run in their own folder and the commands in this one.
    root = (args.workdir or Path(tempfile.mkdtemp(prefix="reportlib-bench-"))).resolve()
    root.mkdir(parents=True, exist_ok=True)
    wh, params_dir = root / "warehouse.duckdb", root / "params"
    scale = SCALES[args.notifications] / (args.tenants * PER_TENANT_MONTH * (1 + 20 / 30))
    say = lambda text: print(text, flush=True)  # noqa: E731
    counts_file = root / "counts.json"
    if not counts_file.is_file():
        seconds, _ = median_of(lambda: demo.generate(
            root / "sources", params_dir, AS_OF, tenants=args.tenants, months=MONTHS,
            scale=round(scale, 3)), 1)
        counts = demo_counts(wh, root, params_dir)
        say(f"demo + ingest: {seconds:.0f} s + {counts.pop('_ingest_seconds'):.0f} s")
        counts_file.write_text(json.dumps(counts))
    counts = json.loads(counts_file.read_text())
    if args.prepare_only:
        return
    total = sum(counts.values())
    largest = max(counts, key=counts.get)
    say(f"{total:,} notifications, {args.tenants} tenants, scale {scale:.2f}; largest tenant "
        f"{largest} ({counts[largest]:,} over {MONTHS} months); machine load "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    # 4. Marts + bundle of the largest tenant-month.
    tenant = params.load_tenant(params_dir, largest)
    period = calendar.parse_period(PERIOD)
    rate_card = pricing.load_rate_card(pricing.rate_card_path(params_dir))
    full = root / "largest" / "bundle.duckdb"
    build_all, _ = median_of(lambda: bundle.build(wh, tenant, period, AS_OF, full,
                                                  registry.names(), rate_card), args.repeat)
    chat = root / "largest" / "chatbots.duckdb"
    build_chat, _ = median_of(lambda: bundle.build(wh, tenant, period, AS_OF, chat,
                                                   ("chatbots",), rate_card), args.repeat)
    pandas_chat, figures = median_of(lambda: chatbot_pandas(wh, tenant, period), args.repeat)
    pandas_files, from_files = median_of(
        lambda: chatbot_pandas_files(root / "sources", tenant, period), args.repeat)
    with contextlib.closing(bundle.Bundle.open(chat)) as ours:
        mine = (plain_rows(ours.table("chatbot_daily")),
                sorted(plain_rows(ours.table("chatbot_monthly"))))
    for name, theirs in (("warehouse's rows", figures), ("source files", from_files)):
        daily, monthly = plain_rows(theirs[0]), sorted(plain_rows(theirs[1]))
        assert (daily, monthly) == mine, f"the pandas figures from the {name} differ from the marts"
    say(f"bundle of {largest} {PERIOD}, every report: {build_all:.2f} s; chatbots bundle "
        f"{build_chat:.2f} s against pandas computing its figures (daily and monthly) "
        f"{pandas_chat:.2f} s from the warehouse's rows (ratio pandas/ours "
        f"{pandas_chat / build_chat:.2f}) and {pandas_files:.2f} s from the source files (ratio "
        f"{pandas_files / build_chat:.2f}); the same {len(mine[0])} days and {len(mine[1])} "
        "monthly rows (equal)")

    # 2. Per report, against an empty notebook through the same path.
    empties = empty_notebooks(root / "empty-notebooks")
    rows, empty_totals = [], []
    for report in registry.names():
        measured = {}
        for kind, notebook in (("report", notebook_path(report)),
                               ("empty", empties / registry.get(report).notebook_file)):
            seconds = {"execute": [], "html": [], "pdf": [], "total": []}
            for i in range(args.repeat):
                job = Job(largest, PERIOD, report, AS_OF.isoformat(), tenant.locale, str(full),
                          "", str(notebook), str(root / "out-single" / str(i)),
                          tenant.display_name)
                result = render(job).result
                assert result.status in ("ok", "no_data"), result.error
                for key in seconds:
                    seconds[key].append(result.seconds[key])
            measured[kind] = {k: statistics.median(v) for k, v in seconds.items()}
        empty_totals.append(measured["empty"]["total"])
        rows.append((report, measured))
    say("\n| report | execute s | HTML s | PDF s | total s | empty notebook: execute / HTML / "
        "PDF / total s | ratio empty/report |\n|---|---:|---:|---:|---:|---|---:|")
    for report, m in rows:
        r, e = m["report"], m["empty"]
        say(f"| {report} | {r['execute']:.2f} | {r['html']:.2f} | {r['pdf']:.2f} | "
            f"{r['total']:.2f} | {e['execute']:.2f} / {e['html']:.2f} / {e['pdf']:.2f} / "
            f"{e['total']:.2f} | {e['total'] / r['total']:.2f} |")

    # 3. Whole runs: ours, empty notebooks through the same pool, the floor; unchanged.
    reports = sum(len(params.load_tenant(params_dir, t).reports) for t in counts)
    run = ["run", "--all-tenants", "--period", PERIOD, "--as-of", AS_OF.isoformat(),
           "--jobs", str(args.jobs), "--warehouse", str(wh), "--params", str(params_dir)]
    floor = reports * statistics.median(empty_totals) / args.jobs
    say(f"\n| run of {args.tenants} tenants, {reports} reports, {args.jobs} workers | s | "
        f"peak RSS MiB | floor/this |\n|---|---:|---:|---:|\n"
        f"| floor: reports × empty notebook {statistics.median(empty_totals):.2f} s / "
        f"{args.jobs} cores | {floor:.0f} | | 1.00 |")
    seconds, rss = command([*run, "--outputs", str(root / "out-empty"), "--force"], root,
                           {"REPORTLIB_NOTEBOOKS": str(empties)})
    say(f"| empty notebooks, same command and pool | {seconds:.0f} | {rss:.0f} | "
        f"{floor / seconds:.2f} |")
    seconds, rss = command([*run, "--outputs", str(root / "out"), "--force"], root)
    say(f"| ours | {seconds:.0f} | {rss:.0f} | {floor / seconds:.2f} |")
    seconds, rss = command([*run, "--outputs", str(root / "out")], root)
    say(f"| ours again, unchanged | {seconds:.1f} | {rss:.0f} | |\n"
        f"machine load after: {os.getloadavg()[0]:.1f}")


def demo_counts(wh: Path, root: Path, params_dir: Path) -> dict:
    """Ingest the demo's sources; notifications per tenant (and the ingest's seconds)."""
    import duckdb

    start = time.perf_counter()
    ingest.ingest(root / "sources", wh, params_dir)
    seconds = time.perf_counter() - start
    con = duckdb.connect(str(wh), read_only=True)
    try:
        counts = dict(con.execute(
            "SELECT tenant_id, count(*) FROM (SELECT tenant_id FROM notifications UNION ALL "
            "SELECT tenant_id FROM notification_log) GROUP BY tenant_id").fetchall())
    finally:
        con.close()
    return {**counts, "_ingest_seconds": seconds}


if __name__ == "__main__":
    main()
