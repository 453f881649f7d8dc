"""Marts: SQL that shapes the canonical tables of one scope (tenant, period) for the reports.

Each mart is one `.sql` file named for what a report shows, in its report's folder
(`reportlib/reports/<name>/`), or in `reportlib/marts/sql/` when several reports read it. They
read the scope from DuckDB variables (`tenant`, `tz`, `period_start`, `period_end`, `as_of`)
set by `set_scope`, and the staging tables built first (e.g. `consumption_facts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources

import duckdb

from reportlib import registry
from reportlib.domain.calendar import Period

# Per report (from the registry): its staging tables, built once per scope (temp tables) and
# read by several marts (a staging table that is also listed as a mart is copied into the
# bundle as it is), its marts, and the source kinds it reads (its coverage block names them,
# and a period in which none of them has a row is "no data", never a quiet month of zeros).
# Every bundle carries what its report stands on (docs/metrics.md, "Coverage").
COMMON_MARTS = ("source_coverage",)


def report_sources(report: str) -> tuple[str, ...]:
    spec = registry.find(report)
    return spec.sources if spec else ()


def report_marts(report: str) -> tuple[str, ...]:
    spec = registry.find(report)
    return spec.marts if spec else ()


def report_staging(report: str) -> tuple[str, ...]:
    """Its own staging tables; a site's report, those of the built-in marts it reads."""
    spec = registry.find(report)
    if spec is None:
        return ()
    if spec.site:
        return tuple(dict.fromkeys(s for m in spec.marts for s in registry.mart_staging(m)))
    return spec.staging


# Anomaly baselines reach back before the period: the same weekday of the previous 8 weeks.
BASELINE_WEEKS = 8
# Marts that also read a staging SQL over the baseline weeks and the period (a temp table named
# `<staging>_history`, the same SQL with the period's start moved back BASELINE_WEEKS weeks).
# consumption_facts reads the staging tables analytics_points and meta_rates (the tenant's whole
# history, not the period's): a report with the daily_anomalies mart stages them too.
HISTORY_STAGING = {"daily_anomalies": ("consumption_facts",)}


def _alternatives() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for report in registry.REPORTS:
        for a, b in report.alternatives:
            found.setdefault(a, []).append(b)
            found.setdefault(b, []).append(a)
    return {kind: tuple(dict.fromkeys(others)) for kind, others in found.items()}


# Kinds that stand in for each other (the reports' declared pairs, both ways): Meta's
# conversation analytics until 2025-06-30 (CBP), its pricing analytics after.
ALTERNATIVE_SOURCES = _alternatives()



@dataclass(frozen=True)
class Scope:
    """What one bundle holds: one tenant, one period, seen from one as-of date."""

    tenant: str
    timezone: str
    period: Period
    as_of: date
    sla_minutes: float = 15.0
    funnels: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()


def sql(name: str) -> str:
    """A mart's or staging table's SQL: in its report's folder (reportlib/reports/<name>/),
    or in marts/sql when several reports read it."""
    base = resources.files("reportlib")
    owners = {r.name for r in registry.REPORTS if name in r.marts or name in r.staging}
    own = base / "reports" / owners.pop() / f"{name}.sql" if len(owners) == 1 else None
    path = own if own is not None and own.is_file() else base / "marts" / "sql" / f"{name}.sql"
    return path.read_text(encoding="utf-8")


def set_scope(con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    from reportlib.domain.calendar import local_day_start

    con.execute("SET VARIABLE tenant = ?", [scope.tenant])
    con.execute("SET VARIABLE tz = ?", [scope.timezone])
    con.execute("SET VARIABLE period_start = ?::DATE", [scope.period.start])
    con.execute("SET VARIABLE period_end = ?::DATE", [scope.period.end])
    con.execute("SET VARIABLE as_of = ?::DATE", [scope.as_of])
    con.execute("SET VARIABLE as_of_ts = ?::TIMESTAMPTZ",
                [local_day_start(scope.as_of, scope.timezone)])
    con.execute("SET VARIABLE period_start_ts = ?::TIMESTAMPTZ",
                [local_day_start(scope.period.start, scope.timezone)])
    con.execute("SET VARIABLE period_end_ts = ?::TIMESTAMPTZ",
                [local_day_start(scope.period.end + timedelta(days=1), scope.timezone)])
    con.execute("SET VARIABLE sla_minutes = ?::DOUBLE", [scope.sla_minutes])
    baseline_start = scope.period.start - timedelta(weeks=BASELINE_WEEKS)
    con.execute("SET VARIABLE baseline_start = ?::DATE", [baseline_start])
    con.execute("SET VARIABLE baseline_start_ts = ?::TIMESTAMPTZ",
                [local_day_start(baseline_start, scope.timezone)])
    con.execute(sql("macros"))
    con.execute("CREATE OR REPLACE TEMP TABLE funnel_steps (funnel VARCHAR, step INTEGER, "
                "category VARCHAR, action VARCHAR)")
    rows = [(name, i, category, action) for name, steps in scope.funnels
            for i, (category, action) in enumerate(steps, start=1)]
    if rows:
        con.executemany("INSERT INTO funnel_steps VALUES (?, ?, ?, ?)", rows)


def coverage_kinds(reports) -> list[str]:
    """The source kinds whose coverage a bundle of these reports holds: those they read, and
    the kinds that stand in for them."""
    kinds = dict.fromkeys(k for r in reports for k in report_sources(r))
    kinds.update(dict.fromkeys(a for k in list(kinds) for a in ALTERNATIVE_SOURCES.get(k, ())))
    return sorted(kinds)


def staging_names(reports) -> list[str]:
    return list(dict.fromkeys(name for r in reports for name in report_staging(r)))


def queries(reports) -> list[str]:
    """Every SELECT a bundle of these reports runs on the warehouse: staging, then marts."""
    staging = staging_names(reports)
    return [*(sql(name) for name in staging),
            *(mart_query(name, reports) for name in mart_names(reports) if name not in staging)]


def build_staging(con: duckdb.DuckDBPyConnection, reports=("consumption",)) -> None:
    """Materialise the staging tables of the current scope as temp tables (read once)."""
    con.execute("SET VARIABLE coverage_kinds = ?::VARCHAR[]", [coverage_kinds(reports)])
    for name in staging_names(reports):
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql(name)}")
    build_history(con, reports)


def build_history(con: duckdb.DuckDBPyConnection, reports) -> None:
    """The staging tables the reports' marts read over the baseline weeks too (anomaly
    baselines): the same SQL, run with the period's start moved back to `baseline_start`."""
    wanted = dict.fromkeys(s for m in mart_names(reports) for s in HISTORY_STAGING.get(m, ()))
    if not wanted:
        return
    start = con.execute("SELECT getvariable('period_start')").fetchone()[0]
    try:
        con.execute("SET VARIABLE period_start = getvariable('baseline_start')")
        for name in wanted:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name}_history AS {sql(name)}")
    finally:
        con.execute("SET VARIABLE period_start = ?::DATE", [start])


def mart_names(reports: tuple[str, ...] | list[str]) -> list[str]:
    return list(dict.fromkeys([*(m for r in reports for m in report_marts(r)),
                               *COMMON_MARTS]))


def mart_query(name: str, reports) -> str:
    """The SELECT that fills a mart: a copy of its staging table, or its own SQL."""
    return f"SELECT * FROM temp.main.{name}" if name in staging_names(reports) else sql(name)
