"""Marts: SQL that shapes the canonical tables of one scope (tenant, period) for the reports.

Each mart is one `.sql` file in `reportlib/sql/`, named for what a report shows. They read the
scope from DuckDB variables (`tenant`, `tz`, `period_start`, `period_end`, `as_of`) set by
`set_scope`, and the `consumption_facts` staging view built first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources

import duckdb

from reportlib.calendar import Period

STAGING = ("consumption_facts",)
MARTS = {
    "consumption": (
        "consumption_summary", "consumption_by_phone", "consumption_daily",
        "consumption_cost", "consumption_projection", "consumption_reconciliation",
    ),
}


@dataclass(frozen=True)
class Scope:
    """What one bundle holds: one tenant, one period, seen from one as-of date."""

    tenant: str
    timezone: str
    period: Period
    as_of: date


def sql(name: str) -> str:
    return (resources.files("reportlib") / "sql" / f"{name}.sql").read_text(encoding="utf-8")


def set_scope(con: duckdb.DuckDBPyConnection, scope: Scope) -> None:
    con.execute("SET VARIABLE tenant = ?", [scope.tenant])
    con.execute("SET VARIABLE tz = ?", [scope.timezone])
    con.execute("SET VARIABLE period_start = ?::DATE", [scope.period.start])
    con.execute("SET VARIABLE period_end = ?::DATE", [scope.period.end])
    con.execute("SET VARIABLE as_of = ?::DATE", [scope.as_of])


def build_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Materialise the staging views of the current scope as temp tables (read once)."""
    for name in STAGING:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql(name)}")


def mart_names(reports: tuple[str, ...] | list[str]) -> list[str]:
    return [m for r in reports for m in MARTS.get(r, ())]


def query(con: duckdb.DuckDBPyConnection, name: str):
    """Run one mart on the current scope (staging built) and return a DuckDB relation."""
    return con.sql(sql(name))
