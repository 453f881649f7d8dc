"""The `reportlib` command: demo, ingest, run (README.md, "For operators: the command").

Exit 0 on success, 1 when any file or job failed (each failure named on one line), 2 on a
usage error (bad option, unknown tenant, malformed period or date).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from reportlib import calendar, demo, ingest, params, warehouse
from reportlib import extract as extract_mod
from reportlib.errors import ReportError


def _common(parser: argparse.ArgumentParser, outputs: bool = False) -> None:
    parser.add_argument("--warehouse", type=Path, default=None,
                        help="DuckDB warehouse (default ./warehouse.duckdb or "
                             "$REPORTLIB_WAREHOUSE)")
    parser.add_argument("--params", type=Path, default=None,
                        help="params folder (default ./params or $REPORTLIB_PARAMS)")
    if outputs:
        parser.add_argument("--outputs", type=Path, default=None,
                            help="outputs folder (default ./outputs or $REPORTLIB_OUTPUTS)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reportlib", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="write seeded demo source files (and demo tenant params)")
    p.add_argument("--sources", type=Path, default=Path("sources"))
    p.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
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
    p.add_argument("--shape", choices=demo.SHAPES, default="wide",
                   help="the platform files' shape: the wide files, or the platform's own "
                        "export tables (the same rows: the same reports)")
    _common(p)

    p = sub.add_parser("ingest", help="validate and load source files into the warehouse")
    p.add_argument("sources", type=Path)
    _common(p)

    p = sub.add_parser("run", help="render reports per tenant and period")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--tenant", action="append", help="tenant id (repeatable)")
    who.add_argument("--all-tenants", action="store_true")
    p.add_argument("--period", action="append", required=True,
                   help="YYYY-MM or YYYY-MM-DD..YYYY-MM-DD (repeatable)")
    p.add_argument("--report", action="append", help="report name (repeatable; default: the "
                   "tenant's reports)")
    p.add_argument("--as-of", default=None, help="first day not yet complete (default today)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--dask", default=None, metavar="ADDRESS",
                   help="run the jobs on a Dask distributed cluster (e.g. tcp://host:8786)")
    _common(p, outputs=True)

    p = sub.add_parser("extract", help="Report Manager tables for a tenant and date range")
    p.add_argument("--tenant", required=True)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--table", help="one of: " + ", ".join(extract_mod.TABLES))
    what.add_argument("--all-tables", action="store_true", help="every table, one folder")
    p.add_argument("--from", dest="start", required=True, help="first day (tenant's days)")
    p.add_argument("--to", dest="end", required=True, help="last day, at most 90 days later")
    p.add_argument("--format", default="csv", choices=extract_mod.FORMATS)
    p.add_argument("--out", type=Path, default=None,
                   help="file (one table) or folder (default ./extracts/<tenant>/...)")
    p.add_argument("--today", default=None, help="today's date for the 5-year limit "
                   "(default: the system's date)")
    _common(p)

    p = sub.add_parser("email", help="e-mail rendered reports to the tenant's recipients")
    p.add_argument("--tenant", required=True)
    p.add_argument("--period", required=True)
    p.add_argument("--report", action="append", help="report (repeatable; default: the "
                   "tenant's reports)")
    p.add_argument("--now", default=None, help="the instant recorded (ISO; default now)")
    _common(p, outputs=True)

    p = sub.add_parser("schedule", help="run what params/schedule.yaml says is due")
    p.add_argument("action", choices=["run-due"])
    p.add_argument("--now", default=None, help="the instant to act at (ISO; default now)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    _common(p, outputs=True)
    return parser


def _paths(args) -> tuple[Path, Path]:
    return (args.warehouse or warehouse.default_path(), args.params or params.default_dir())


def _outputs(args) -> Path:
    return args.outputs or Path(os.environ.get("REPORTLIB_OUTPUTS", "outputs"))


def cmd_demo(args) -> int:
    as_of = calendar.parse_date(args.as_of, "--as-of")
    _, params_dir = _paths(args)
    try:
        counts = demo.generate(args.sources, params_dir, as_of, args.seed, args.tenants,
                               args.scale, args.months, args.shape)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    for tenant, n in counts.items():
        print(f"{tenant}: {n} active messages written to {args.sources / tenant}")
    print(f"total: {sum(counts.values())} active messages, {len(counts)} tenants")
    return 0


def cmd_ingest(args) -> int:
    wh, params_dir = _paths(args)
    results = ingest.ingest(args.sources, wh, params_dir)
    for result in results:
        print(result.line())
    return 1 if any(r.failed for r in results) else 0


def cmd_run(args) -> int:
    wh, params_dir = _paths(args)
    if args.jobs < 1:
        raise ReportError("--jobs must be at least 1")
    tenants = params.list_tenants(params_dir) if args.all_tenants else args.tenant
    if not tenants:
        raise ReportError(f"no tenants in {params_dir}/tenants")
    as_of = (calendar.parse_date(args.as_of, "--as-of") if args.as_of
             else datetime.now(UTC).date())
    from reportlib import runner

    outputs = _outputs(args)
    results = runner.run(tenants, args.period, args.report, as_of, wh, params_dir, outputs,
                         args.jobs, dask_address=args.dask)
    for result in sorted(results, key=lambda r: (r.tenant, r.period, r.report)):
        print(result.line())
    print(f"index: {(outputs / 'index.html').resolve()}")
    return 1 if any(r.status == "failed" for r in results) else 0


def cmd_extract(args) -> int:
    wh, params_dir = _paths(args)
    tenant = params.load_tenant(params_dir, args.tenant)
    start = calendar.parse_date(args.start, "--from")
    end = calendar.parse_date(args.end, "--to")
    today = (calendar.parse_date(args.today, "--today") if args.today
             else datetime.now(UTC).date())
    tables = list(extract_mod.TABLES) if args.all_tables else [args.table]
    default = (Path("extracts") / tenant.tenant_id /
               (f"{start}_{end}" if args.all_tables else f"{args.table}_{start}_{end}."
                f"{args.format}"))
    written = extract_mod.extract(wh, tenant, tables, start, end, args.format,
                                  args.out or default, today)
    for path, rows in written:
        print(f"{path}: {rows} rows")
    return 0


def parse_now(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ReportError(f"--now: {text!r} is not an ISO timestamp") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def cmd_email(args) -> int:
    from reportlib import deliver

    wh, params_dir = _paths(args)
    tenant = params.load_tenant(params_dir, args.tenant)
    period = calendar.parse_period(args.period).label
    settings = deliver.smtp_settings(params_dir)
    results = deliver.send_reports(tenant, period, args.report or list(tenant.reports),
                                   _outputs(args), wh, settings, parse_now(args.now))
    for result in results:
        print(result.line())
    return 1 if any(r.status == "failed" for r in results) else 0


def cmd_schedule(args) -> int:
    from reportlib import schedule

    wh, params_dir = _paths(args)
    runs = schedule.run_due(parse_now(args.now), wh, params_dir, _outputs(args), args.jobs)
    for run in runs:
        print(run.line())
    if not runs:
        print("nothing due")
    return 1 if any(r.status == "failed" for r in runs) else 0


COMMANDS = {"demo": cmd_demo, "ingest": cmd_ingest, "run": cmd_run, "extract": cmd_extract,
            "email": cmd_email, "schedule": cmd_schedule}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ReportError as exc:
        print(f"reportlib {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
