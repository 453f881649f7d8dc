"""The `reportlib` command (README.md, "For operators: the command").

Exit 0 on success, 1 when any file or job failed (each failure named on one line), 2 on a
usage error (bad option, missing warehouse, unknown tenant or report, malformed period, date or
address), found before anything is written. An unexpected error is one line naming a log file
that holds its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import socket
import sys
import tempfile
import threading
import traceback
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path

import duckdb

from reportlib import demo, environment, errors, ingest, params, registry, warehouse
from reportlib.deliver import extract as extract_mod
from reportlib.domain import calendar
from reportlib.errors import ReportError, Terminated, disk_full, printable

EXAMPLES = {
    "demo": "reportlib demo --sources sources --as-of 2026-11-20 --tenants 3",
    "ingest": "reportlib ingest sources --warehouse warehouse.duckdb",
    "run": "reportlib run --all-tenants --period 2026-10 --as-of 2026-11-20 --jobs 2",
    "extract": "reportlib extract --tenant varejo_sul --table notifications "
               "--from 2026-10-01 --to 2026-10-31",
    "email": "reportlib email --tenant varejo_sul --period 2026-10 --report consumption",
    "schedule": "reportlib schedule run-due   (from cron, every 15 minutes; --dry-run first)",
    "history": "reportlib history --tenant varejo_sul --period 2026-10",
    "preview": "reportlib preview notebooks/consumption.ipynb   (after editing it in JupyterLab)",
}


def _version() -> str:
    try:
        return metadata.version("reportlib")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _path(text: str) -> Path:
    """A path option's value. An empty one (`--outputs "$OUT"` with $OUT unset) was the
    working folder: the reports went among whatever files the command ran beside."""
    if not text.strip():
        raise argparse.ArgumentTypeError("empty: give a path")
    return Path(text)


def _sub(sub, name: str, help_text: str) -> argparse.ArgumentParser:
    return sub.add_parser(name, help=help_text, description=help_text,
                          epilog=f"example: {EXAMPLES[name]}",
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def _common(parser: argparse.ArgumentParser, outputs: bool = False) -> None:
    parser.add_argument("--warehouse", type=_path, default=None,
                        help="DuckDB warehouse (default ./warehouse.duckdb or "
                             "$REPORTLIB_WAREHOUSE)")
    parser.add_argument("--params", type=_path, default=None,
                        help="params folder (default ./params or $REPORTLIB_PARAMS)")
    parser.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                        help="how long to wait for a warehouse another command is using "
                             f"(default {warehouse.LOCK_WAIT_SECONDS:g})")
    if outputs:
        parser.add_argument("--outputs", type=_path, default=None,
                            help="outputs folder (default ./outputs or $REPORTLIB_OUTPUTS)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reportlib",
        description="Reports on WhatsApp active messaging: load source files into a "
                    "warehouse,\nrender the reports per tenant and period, e-mail them, on a "
                    "schedule.",
        epilog="examples:\n" + "\n".join(f"  {e}" for e in EXAMPLES.values()) +
               "\n\nExit 0 on success, 1 when a file or report failed (named on one line), "
               "2 on a usage error.\nSee README.md and docs/ in the repository.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"reportlib {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = _sub(sub, "demo", "write seeded demo source files (and demo tenant params)")
    p.add_argument("--sources", type=_path, default=Path("sources"),
                   help="where the source files go, a folder per tenant (default %(default)s)")
    p.add_argument("--seed", type=int, default=demo.DEFAULT_SEED,
                   help="0 or more: the same seed, the same files (default %(default)s)")
    p.add_argument("--as-of", default=demo.DEFAULT_AS_OF.isoformat(),
                   help="first day not generated (default %(default)s)")
    p.add_argument("--tenants", type=int, default=3,
                   help=f"1..{demo.MAX_TENANTS}; beyond 3 the three profiles repeat as new "
                        "tenants (varejo_sul_4, ...)")
    p.add_argument("--scale", type=float, default=1.0,
                   help=f"volume multiplier, up to {demo.MAX_SCALE} (1 ≈ 250 messages per "
                        "tenant and day)")
    p.add_argument("--months", type=int, default=demo.DEFAULT_MONTHS,
                   help="months ending at --as-of (19 or more reach the CBP era)")
    p.add_argument("--year-before", action=argparse.BooleanOptionalAction, default=True,
                   help="also the same calendar months a year before, at "
                        f"{demo.YEAR_BEFORE_VOLUME:g} × the volume (year-over-year changes "
                        "in the reports; default on)")
    p.add_argument("--shape", choices=demo.SHAPES, default="wide",
                   help="the platform files' shape: the wide files, or the platform's own "
                        "export tables (the same rows: the same reports)")
    _common(p)

    p = _sub(sub, "ingest", "validate and load source files into the warehouse")
    p.add_argument("sources", type=_path, metavar="SOURCES_DIR",
                   help="a folder per tenant, each a folder per kind of file "
                        "(docs/sources.md)")
    _common(p)

    p = _sub(sub, "run", "render reports per tenant and period")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--tenant", action="append", help="tenant id (repeatable)")
    who.add_argument("--all-tenants", action="store_true",
                     help="every tenant of PARAMS/tenants/")
    p.add_argument("--period", action="append", required=True,
                   help="YYYY-MM or YYYY-MM-DD..YYYY-MM-DD (repeatable)")
    p.add_argument("--report", action="append", help="report name (repeatable; default: the "
                   f"tenant's reports): {', '.join(registry.names())}")
    p.add_argument("--as-of", default=None,
                   help="first day not yet complete (default today; never after tomorrow)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="reports rendered at once (default: the core count)")
    p.add_argument("--force", action="store_true",
                   help="render every report, even those whose inputs did not change")
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="run the jobs on a Dask distributed cluster (e.g. tcp://host:8786)")
    _common(p, outputs=True)

    p = _sub(sub, "extract", "Report Manager tables for a tenant and date range")
    p.add_argument("--tenant", required=True, help="tenant id")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--table", help="one of: " + ", ".join(extract_mod.TABLES))
    what.add_argument("--all-tables", action="store_true", help="every table, one folder")
    p.add_argument("--from", dest="start", required=True, help="first day (tenant's days)")
    p.add_argument("--to", dest="end", required=True, help="last day, at most 90 days later")
    p.add_argument("--format", default="csv", choices=extract_mod.FORMATS,
                   help="the file's format (default %(default)s)")
    p.add_argument("--out", type=_path, default=None,
                   help="file (one table) or folder (default ./extracts/<tenant>/...)")
    p.add_argument("--today", default=None, help="today's date for the 5-year limit "
                   "(default: the system's date)")
    _common(p)

    p = _sub(sub, "email", "e-mail rendered reports to the tenant's recipients")
    p.add_argument("--tenant", required=True, help="tenant id")
    p.add_argument("--period", required=True, help="YYYY-MM or YYYY-MM-DD..YYYY-MM-DD")
    p.add_argument("--report", action="append", help="report (repeatable; default: the "
                   f"tenant's reports): {', '.join(registry.names())}")
    p.add_argument("--now", default=None, help="the instant recorded (ISO; default now)")
    p.add_argument("--resend-unconfirmed", action="store_true",
                   help="send again to the recipients of a send that was cut off after the "
                        "server may have taken the message (said 'unconfirmed'): without it "
                        "they are never sent it twice")
    _common(p, outputs=True)

    p = _sub(sub, "schedule", "run what params/schedule.yaml says is due")
    p.add_argument("action", choices=["run-due", "status"],
                   help="run-due: render (and e-mail) what is due and not yet done; status: "
                        "what ran last, what is due now and next, what failed")
    p.add_argument("--dry-run", action="store_true",
                   help="with run-due: say what would run now; render, send and write nothing")
    p.add_argument("--now", default=None, help="the instant to act at (ISO; default now)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="reports rendered at once (default: the core count)")
    _common(p, outputs=True)

    p = _sub(sub, "preview", "render one notebook as it will be delivered, with its own "
                               "parameters, into a folder of its own")
    p.add_argument("notebook", type=_path, metavar="NOTEBOOK",
                   help="a report's notebook (notebooks/<report>.ipynb) or a site report's")
    p.add_argument("--out", type=_path, default=None,
                   help="where its HTML and PDF go (default ./outputs/preview/<notebook>)")
    _common(p)

    p = _sub(sub, "history", "every report rendered and sent, oldest first")
    p.add_argument("--tenant", default=None, help="only this tenant's (default: every tenant)")
    p.add_argument("--period", default=None, help="only this period's: YYYY-MM or "
                   "YYYY-MM-DD..YYYY-MM-DD, as the run gave it")
    _common(p)
    return parser


def _paths(args) -> tuple[Path, Path]:
    defaults = environment.command_settings()
    return (args.warehouse or defaults.warehouse, args.params or defaults.params)


def _existing_warehouse(path: Path) -> Path:
    """The warehouse a command reads: it must exist and be a DuckDB file (usage errors)."""
    if path.is_symlink() and not path.exists():  # its target moved: not a new warehouse
        raise ReportError(f"{path} is a symbolic link to {os.readlink(path)}, which is not "
                          "there (moved or removed?): point the link at the warehouse, or "
                          "give the right --warehouse")
    if not path.exists():
        raise ReportError(f"no warehouse at {path}: load the sources first (reportlib ingest "
                          f"SOURCES_DIR --warehouse {path}), or give the right --warehouse"
                          + errors.looked_in(path))
    try:
        with open(path, "rb") as handle:
            magic = handle.read(12)[8:12]
    except OSError as exc:
        raise ReportError(f"cannot read the warehouse {path} ({exc.strerror})") from None
    if magic != b"DUCK":
        raise ReportError(f"{path} is not a DuckDB warehouse: give the file `reportlib ingest` "
                          "wrote (--warehouse)")
    if damage := warehouse.damage(path):  # e.g. cut short by a full disk or a copy
        raise ReportError(f"{path} is not a whole DuckDB warehouse ({damage}): give the file "
                          "`reportlib ingest` wrote, or load the sources again (--warehouse)")
    return path


def _check_as_of(as_of: date, today: date, wh: Path) -> None:
    """An --as-of after tomorrow (a day ahead: a tenant east of UTC is in it) is a usage error:
    days not lived yet would count as complete, with nothing in them. Unless the warehouse
    holds messages of the day before it: then this machine's clock is behind the data's (a
    demo of a set date), and the data says what has been lived."""
    if as_of <= today + timedelta(days=1):
        return
    try:
        con = warehouse.connect(wh, read_only=True)
        try:
            (latest,) = con.execute("SELECT max(accepted_at)::DATE FROM notifications").fetchone()
        finally:
            con.close()
    except duckdb.Error:
        latest = None
    if latest is None or as_of > latest + timedelta(days=1):
        raise ReportError(f"--as-of {as_of.isoformat()} is after today ({today.isoformat()}): "
                          "days not lived yet would count as complete, with nothing in them; "
                          "leave it out for today")


DASK_ADDRESS = re.compile(r"\A(?:(tcp|tls)://)?([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})\Z")


def _check_dask(address: str) -> None:
    """A Dask scheduler address must be well formed and answer, before any work starts."""
    found = DASK_ADDRESS.match(address)
    if not found:
        raise ReportError(f"--dask {address!r} is not a scheduler address (tcp://HOST:PORT)")
    host, port = found.group(2).strip("[]"), int(found.group(3))
    try:
        socket.create_connection((host, port), timeout=3).close()
    except OSError as exc:
        raise ReportError(f"cannot reach the Dask scheduler at {address} "
                          f"({exc.strerror or exc}): is `dask scheduler` running there?") from None


def _outputs(args) -> Path:
    return args.outputs or environment.command_settings().outputs


def _folder_to_write(path: Path, option: str) -> Path:
    """A folder the command will write into (made if missing): it, or the nearest of its
    parents that exists, must be a folder the command may write in. Checked with the other
    usage mistakes, so that `--outputs report.html` stops before anything is built, on one
    line, instead of failing half-way with a traceback in a log."""
    path = Path(path)
    existing = path
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        where = "is a file" if existing == path else f"is inside {existing}, a file"
        raise ReportError(f"{option} {path} {where}: give a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ReportError(f"{option} {path}: cannot write in {existing} (permission denied)")
    return path


def cmd_demo(args) -> int:
    as_of = calendar.parse_date(args.as_of, "--as-of")
    if args.seed < 0:  # numpy's "expected non-negative integer" named no option
        raise ReportError(f"--seed must be 0 or more, not {args.seed}")
    _, params_dir = _paths(args)
    try:
        counts = demo.generate(args.sources, params_dir, as_of, args.seed, args.tenants,
                               args.scale, args.months, args.shape, args.year_before)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    own, *before = demo.demo_spans(as_of, args.months, args.year_before)
    print(f"days {own.first}..{own.end - timedelta(days=1)}")
    for span in before:
        print(f"days {span.first}..{span.end - timedelta(days=1)}: the same months a year "
              f"before, {span.volume:g} × the volume")
    for tenant, n in counts.items():
        print(f"{tenant}: {n} active messages written to {args.sources / tenant}")
    print(f"total: {sum(counts.values())} active messages, {len(counts)} tenants")
    return 0


def cmd_ingest(args) -> int:
    wh, params_dir = _paths(args)
    if wh.exists() or wh.is_symlink():  # a new one is created; an existing one must be one
        _existing_warehouse(wh)
    else:
        _folder_to_write(wh.parent, "--warehouse")
    results: list = []
    try:
        ingest.ingest(args.sources, wh, params_dir, results)
        full = None
    except ingest.DiskFull as exc:  # the files loaded before it are said, then the disk
        full = exc.reason
    except BaseException:
        # Stopped part way (Ctrl-C, SIGTERM): the files done before it are said, each whole
        # (the one being loaded was rolled back); the stop is said after them.
        for result in results:
            print(result.line(), flush=True)
        raise
    for result in results:
        print(result.line())
    if full:
        print(f"reportlib ingest: error: {full}; the files above are as they say, each whole "
              "(the one being loaded was rolled back); the next run reads the rest",
              file=sys.stderr)
        return 1
    if not results:  # tenant folders without files: nothing was read, and that is said
        print(f"{printable(args.sources)}: no source files in its tenant folders, nothing read")
    return 1 if any(r.failed for r in results) else 0


def _check_reports(names: list[str] | None) -> None:
    for name in names or ():
        if registry.find(name) is None:
            raise ReportError(f"--report {name!r} is not a report: one of "
                              f"{', '.join(registry.names())}")


def _check_rate_card(params_dir: Path, configured: Path | None) -> None:
    """An edited rate card (params/rate_card.csv, REPORTLIB_RATE_CARD) with a mistake stops
    the command with the other usage mistakes, before the outputs folder is made."""
    from reportlib.domain import pricing

    pricing.load_rate_card(pricing.rate_card_path(params_dir, configured))


def _check_jobs(jobs: int) -> None:
    if jobs < 1:  # 0 would be the core count, a negative count one process
        raise ReportError(f"--jobs must be at least 1, not {jobs}")


def cmd_run(args) -> int:
    wh, params_dir = _paths(args)
    params.use_site_reports(params_dir)
    _check_jobs(args.jobs)
    # A tenant, period or report given twice is one job, not two renders racing for its files.
    tenants = list(dict.fromkeys(params.list_tenants(params_dir) if args.all_tenants
                                 else args.tenant))
    args.period = list(dict.fromkeys(args.period))
    args.report = list(dict.fromkeys(args.report)) if args.report else args.report
    if not tenants:
        raise ReportError(f"no tenants in {params_dir}/tenants")
    # Every usage mistake stops here, before anything is built or written. With --all-tenants
    # a tenant whose settings do not load (its YAML broken by an edit) fails alone: its lines
    # say why, the others run; a tenant named on the command line is the operator's choice.
    broken: dict[str, str] = {}
    for tenant in tenants:
        try:
            params.load_tenant(params_dir, tenant)
        except ReportError as exc:
            if not args.all_tenants:
                raise
            broken[tenant] = str(exc)
    tenants = [t for t in tenants if t not in broken]
    if not tenants:
        raise ReportError(next(iter(broken.values())))
    _check_reports(args.report)
    today = datetime.now(UTC).date()
    # An empty one (`--as-of "$AS_OF"` with $AS_OF unset) is a mistake, not today.
    as_of = calendar.parse_date(args.as_of, "--as-of") if args.as_of is not None else today
    for period in args.period:
        if calendar.parse_period(period).start >= as_of:
            raise ReportError(f"period {period} has no complete day before --as-of "
                              f"{as_of.isoformat()} (the first day not yet complete): "
                              "nothing to report yet")
    _existing_warehouse(wh)
    _check_as_of(as_of, today, wh)
    defaults = environment.command_settings()
    _check_rate_card(params_dir, defaults.rate_card)
    outputs = _folder_to_write(_outputs(args), "--outputs")
    if args.dask:
        _check_dask(args.dask)
    from reportlib.render import runner

    so_far: list = []  # filled as the reports are published
    try:
        results = runner.run(tenants, args.period, args.report, as_of, wh, params_dir,
                             outputs, args.jobs, dask_address=args.dask, force=args.force,
                             rate_card=defaults.rate_card,
                             bundle_memory=defaults.bundle_memory,
                             warm_kernels=defaults.warm_kernels, results=so_far)
        not_indexed = None
    except runner.NotIndexed as exc:  # each report is said first, then the index
        results, not_indexed = exc.results, exc.reason
    except BaseException:  # stopped part way: the reports published before it are said
        for result in sorted(so_far, key=lambda r: (r.tenant, r.period, r.report)):
            print(result.line(), flush=True)
        raise
    for result in sorted(results, key=lambda r: (r.tenant, r.period, r.report)):
        print(result.line())
    for tenant, error in broken.items():
        for period in args.period:
            print(f"{tenant} {period}: FAILED: its settings do not load: {error}")
    if not_indexed:
        print(f"reportlib run: error: index not updated: {not_indexed}", file=sys.stderr)
        return 1
    print(f"index: {(outputs / 'index.html').resolve()}")
    return 1 if broken or any(r.status == "failed" for r in results) else 0


def cmd_extract(args) -> int:
    wh, params_dir = _paths(args)
    tenant = params.load_tenant(params_dir, args.tenant)
    _existing_warehouse(wh)
    start = calendar.parse_date(args.start, "--from")
    end = calendar.parse_date(args.end, "--to")
    today = (calendar.parse_date(args.today, "--today") if args.today is not None
             else datetime.now(UTC).date())
    tables = list(extract_mod.TABLES) if args.all_tables else [args.table]
    default = (Path("extracts") / tenant.tenant_id /
               (f"{start}_{end}" if args.all_tables else f"{args.table}_{start}_{end}."
                f"{args.format}"))
    _folder_to_write(extract_mod.target_folder(tables, args.out or default), "--out")
    written = extract_mod.extract(wh, tenant, tables, start, end, args.format,
                                  args.out or default, today)
    for path, rows in written:
        print(f"{path}: {rows} rows")
    return 0


def parse_now(text: str | None) -> datetime:
    """--now: now when not given; an empty one (`--now "$NOW"` unset) is a mistake."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ReportError(f"--now: {text!r} is not an ISO timestamp") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def cmd_email(args) -> int:
    from reportlib import deliver
    from reportlib.render import runner

    now = parse_now(args.now)
    wh, params_dir = _paths(args)
    params.use_site_reports(params_dir)
    tenant = params.load_tenant(params_dir, args.tenant)
    period = calendar.parse_period(args.period).label
    _check_reports(args.report)
    _existing_warehouse(wh)
    outputs = _outputs(args)
    if not outputs.is_dir():  # a mistyped --outputs: not "no report rendered" per report
        raise ReportError(f"no outputs folder at {outputs}: render the reports first "
                          "(reportlib run), or give the right --outputs")
    settings = deliver.smtp_settings(params_dir, environment.command_settings().smtp)
    results = deliver.send_reports(tenant, period, runner.reports_of(tenant, args.report),
                                   outputs, wh, settings, now,
                                   resend_unconfirmed=args.resend_unconfirmed,
                                   on_result=lambda result: print(result.line(), flush=True))
    from reportlib import render
    from reportlib.warehouse import history

    if (outputs / "index.html").exists():
        render.write_index(outputs, history.last_sent(wh), runner.display_names(params_dir),
                           history.sent_figures(wh))
    return 1 if any(r.status in ("failed", "unconfirmed") for r in results) else 0


def cmd_preview(args) -> int:
    from reportlib.render.preview import preview

    wh, params_dir = _paths(args)
    _existing_warehouse(wh)
    defaults = environment.command_settings()
    out = _folder_to_write(args.out or defaults.outputs / "preview" / Path(args.notebook).stem,
                           "--out")
    output, written = preview(args.notebook, wh, params_dir, out, defaults.rate_card)
    print(output.result.line())
    for path in written:
        print(path)
    return 0 if output.result.status == "ok" else 1


def cmd_history(args) -> int:
    from reportlib.warehouse import history

    wh, params_dir = _paths(args)
    _existing_warehouse(wh)
    period = calendar.parse_period(args.period).label if args.period else None
    events = history.events(wh, args.tenant, period)
    # A mistyped tenant is said as such, not as a tenant with nothing recorded; one whose
    # settings are gone is still known to the warehouse, and its history is listed.
    if args.tenant and not events and not history.knows_tenant(wh, args.tenant) \
            and not params.tenant_file(params_dir, args.tenant).exists():
        raise ReportError(f"unknown tenant {args.tenant!r}: not in {wh} nor in "
                          f"{params_dir}/tenants")
    for event in events:
        print(event.line())
    if not events:
        print("no runs or sends recorded" + (f" for {args.tenant}" if args.tenant else "")
              + (f" in {period}" if period else ""))
    return 0


def cmd_schedule(args) -> int:
    from reportlib.deliver import schedule

    now = parse_now(args.now)
    _check_jobs(args.jobs)
    wh, params_dir = _paths(args)
    params.use_site_reports(params_dir)
    _existing_warehouse(wh)
    if args.action == "status":
        rows = schedule.status(now, wh, params_dir)
        for row in rows:
            print(row.line())
        return 1 if any(row.failed for row in rows) else 0
    defaults = environment.command_settings()
    if not args.dry_run:
        _check_rate_card(params_dir, defaults.rate_card)
        _folder_to_write(_outputs(args), "--outputs")
    from reportlib.render import run_lock

    # A cron line that fires while the last call still runs (a long month's first day): that
    # call does what is due. This one waited for its outputs folder or warehouse, then
    # stopped with a usage error, exit 2, every quarter of an hour until the other was done.
    lock = wh.with_name(f"{wh.name}.run-due.lock")
    with contextlib.nullcontext() if args.dry_run else run_lock.alone(lock) as other:
        if other:
            print(f"another `reportlib schedule run-due` is running ({other}): it does what is "
                  "due; nothing done by this call")
            return 0
        # Each slot's line as soon as it is recorded: stopped part way, the call said
        # 'terminated' alone, though it had rendered and e-mailed the slots before the stop.
        runs = schedule.run_due(now, wh, params_dir, _outputs(args), args.jobs,
                                dry_run=args.dry_run, smtp=defaults.smtp,
                                rate_card=defaults.rate_card,
                                on_run=lambda run: print(run.line(), flush=True))
    if not runs:
        print("nothing due")
    return 1 if any(r.status == "failed" for r in runs) else 0


COMMANDS = {"demo": cmd_demo, "ingest": cmd_ingest, "run": cmd_run, "extract": cmd_extract,
            "email": cmd_email, "schedule": cmd_schedule, "history": cmd_history,
            "preview": cmd_preview}


def _log_unexpected(command: str) -> Path:
    """The traceback of an unexpected error, in a file the one-line message names."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = Path(tempfile.gettempdir()) / f"reportlib-{command}-{stamp}-{os.getpid()}.log"
    path.write_text(f"reportlib {' '.join(sys.argv[1:])}\n{traceback.format_exc()}",
                    encoding="utf-8")
    return path


def _terminate(signum, frame) -> None:
    errors.stop_requested(signum)
    if not errors.stop_is_held():  # else the stop comes at the held block's end
        raise Terminated
    _say_held()


def _interrupt(signum, frame) -> None:
    errors.stop_requested(signum)
    if not errors.stop_is_held():
        raise KeyboardInterrupt
    _say_held()


_command = ""  # the command running, for a line its signal handlers say


def _say_held() -> None:
    """A stop that waits is said at once: Ctrl-C looked ignored while the SMTP server took
    its time to answer (30 s at most)."""
    print(f"reportlib {_command}: stopping once the message under way is recorded",
          file=sys.stderr, flush=True)


CUT_SHORT = re.compile(r'Could not read enough bytes from file "([^"]+)"')


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "wait", None) is not None:
        if args.wait < 0:
            print(f"reportlib {args.command}: error: --wait must be 0 or more seconds",
                  file=sys.stderr)
            return 2
        warehouse.LOCK_WAIT_SECONDS = args.wait
    in_charge = threading.current_thread() is threading.main_thread()
    errors.clear_stop()
    global _command
    _command = args.command
    before = signal.signal(signal.SIGTERM, _terminate) if in_charge else None
    # Ctrl-C recorded as SIGTERM is (`errors.raise_if_stopping`); left ignored where it is (a
    # command started in the background by a shell).
    before_int = (signal.signal(signal.SIGINT, _interrupt)
                  if in_charge and signal.getsignal(signal.SIGINT) is signal.default_int_handler
                  else None)
    try:
        return COMMANDS[args.command](args)
    except ReportError as exc:
        print(f"reportlib {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Terminated:
        print(f"reportlib {args.command}: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print(f"reportlib {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - never a traceback for the operator: a log file
        if stop := errors.stop_signal():  # DuckDB's 'Query interrupted', or what it caused
            print(f"reportlib {args.command}: "
                  f"{'terminated' if stop == signal.SIGTERM else 'interrupted'}",
                  file=sys.stderr)
            return 128 + stop
        if full := disk_full(exc):
            print(f"reportlib {args.command}: error: {full}", file=sys.stderr)
            return 1
        if cut := CUT_SHORT.search(str(exc)):  # a damaged file `_existing_warehouse` missed
            print(f"reportlib {args.command}: error: {cut.group(1)} is not a whole DuckDB "
                  "file (cut short): give the file `reportlib ingest` wrote, or load the "
                  "sources again (--warehouse)", file=sys.stderr)
            return 2
        log = _log_unexpected(args.command)
        print(f"reportlib {args.command}: unexpected error ({type(exc).__name__}: "
              f"{str(exc).splitlines()[0][:200] if str(exc) else ''}); the details are in "
              f"{log}", file=sys.stderr)
        return 1
    finally:
        if in_charge and before is not None:
            signal.signal(signal.SIGTERM, before)
        if before_int is not None:
            signal.signal(signal.SIGINT, before_int)


if __name__ == "__main__":
    sys.exit(main())
