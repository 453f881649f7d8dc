"""What was rendered and sent, when, by whom: `run_history` (one row per report rendered) beside
`deliveries` (one row per send attempt), and `reportlib history` that prints both in order."""

from __future__ import annotations

import getpass
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reportlib import warehouse

if TYPE_CHECKING:  # render pulls nbconvert: deliver imports this module for `current_user`
    from reportlib.render import JobResult


def current_user() -> str:
    """Who runs the command (the system user), for the history of runs and sends."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "?"


def figures_hash(figures: dict) -> str:
    """A short fingerprint of a report's published numbers: equal figures, equal hash."""
    text = json.dumps(figures or {}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def record_runs(warehouse_path: Path, results: Sequence[JobResult],
                command: Sequence[str] | None = None) -> None:
    """One `run_history` row per report of a run (its outcome, times and figures hash)."""
    if not results:
        return
    argv = " ".join(command if command is not None else ["reportlib", *sys.argv[1:]])[:500]
    con = warehouse.create(warehouse_path)
    try:
        con.executemany(
            "INSERT INTO run_history VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
            [(r.tenant, r.period, r.report, r.status, r.started_at or None,
              r.ended_at or None, r.bundle_hash or None, figures_hash(r.figures)
              if r.status == "ok" else None, (r.error or "")[:500] or None, current_user(), argv)
             for r in results])
    finally:
        con.close()


@dataclass(frozen=True)
class Event:
    at: str
    kind: str  # rendered | kept (inputs unchanged, not rendered again) | sent
    tenant: str
    period: str
    report: str
    outcome: str
    detail: str

    def line(self) -> str:
        text = (f"{self.at}  {self.kind:<8} {self.tenant} {self.period} {self.report}: "
                f"{self.outcome}")
        return text + (f" ({self.detail})" if self.detail else "")


def events(warehouse_path: Path, tenant: str | None = None,
           period: str | None = None) -> list[Event]:
    """Every run and send recorded for the tenant/period (all when None), oldest first."""
    con = warehouse.connect(warehouse_path, read_only=True)
    try:
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        parts, args = [], []
        where = "WHERE (? IS NULL OR tenant_id = ?) AND (? IS NULL OR period = ?)"
        if "run_history" in present:
            parts.append(f"""
                SELECT COALESCE(ended_at, recorded_at) AS at,
                    CASE WHEN status = 'unchanged' THEN 'kept' ELSE 'rendered' END AS kind,
                    tenant_id,
                    period, report, status AS outcome,
                    concat_ws(', ', 'by ' || run_by, 'figures ' || figures_sha256, error)
                        AS detail
                FROM {_as_now(con, "run_history")} {where}""")
            args += [tenant, tenant, period, period]
        if "deliveries" in present:
            parts.append(f"""
                SELECT attempted_at, 'sent', tenant_id, period, report,
                    -- a send a stopped command left without its answer
                    CASE status WHEN 'sending' THEN 'unconfirmed' ELSE status END,
                    concat_ws(', ', 'by ' || sent_by, list_name || ': ' || recipients, error)
                FROM {_as_now(con, "deliveries")} {where}""")
            args += [tenant, tenant, period, period]
        if not parts:
            return []
        rows = con.execute(" UNION ALL ".join(parts) + " ORDER BY 1, 2, 3, 4, 5",
                           args).fetchall()
    finally:
        con.close()
    return [Event(str(at)[:19].replace("T", " ") if at else "?", kind, t, p, r, o or "",
                  d or "") for at, kind, t, p, r, o, d in rows]


def _as_now(con, table: str) -> str:
    """The table as the current DDL has it: one of a warehouse from an older version lacks the
    columns added since (`warehouse.ADDED_COLUMNS`), read here as empty. `history` is read-only
    and brings nothing up to date: it stopped with 'unexpected error (BinderException:
    Referenced column "sent_by" not found)'."""
    have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_name = ?", [table]).fetchall()}
    missing = [c.split()[0] for c in warehouse.ADDED_COLUMNS.get(table, ())
               if c.split()[0] not in have]
    if not missing:
        return table
    return f"(SELECT *, {', '.join(f'NULL AS {c}' for c in missing)} FROM {table}) AS {table}"


def last_sent(warehouse_path: Path) -> dict[tuple[str, str, str], str]:
    """(tenant, period, report) -> when it was last sent (UTC, minutes), for the index."""
    if not Path(warehouse_path).is_file():
        return {}
    con = warehouse.connect(warehouse_path, read_only=True)
    try:
        rows = con.execute(
            "SELECT tenant_id, period, report, strftime(max(attempted_at) AT TIME ZONE 'UTC', "
            "'%Y-%m-%d %H:%M') FROM deliveries WHERE status = 'sent' GROUP BY ALL").fetchall()
    finally:
        con.close()
    return {(t, p, r): at for t, p, r, at in rows}


def sent_figures(warehouse_path: Path) -> dict[tuple[str, str, str], str]:
    """(tenant, period, report) -> the fingerprint of the figures it had when last sent (the
    index marks a report whose figures changed since), for sends that recorded one."""
    if not Path(warehouse_path).is_file():
        return {}
    con = warehouse.connect(warehouse_path, read_only=True)
    try:
        columns = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'deliveries'").fetchall()}
        if "figures_sha256" not in columns:  # a warehouse from before: nothing to compare
            return {}
        rows = con.execute(
            "SELECT tenant_id, period, report, arg_max(figures_sha256, attempted_at) "
            "FROM deliveries WHERE status = 'sent' AND figures_sha256 IS NOT NULL "
            "GROUP BY ALL").fetchall()
    finally:
        con.close()
    return {(t, p, r): digest for t, p, r, digest in rows}


def knows_tenant(warehouse_path: Path, tenant: str) -> bool:
    """Whether the warehouse has ever loaded `tenant` (its settings may since be gone)."""
    con = warehouse.connect(warehouse_path, read_only=True)
    try:
        return bool(con.execute("SELECT count(*) FROM tenants WHERE tenant_id = ?",
                                [tenant]).fetchone()[0])
    finally:
        con.close()
