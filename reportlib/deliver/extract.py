"""Report Manager extracts: the platform's export tables for one tenant and a date range.

Limits as the platform's (docs/metrics.md): end − start ≤ 90 days, start no more than 5 years before
today; dates are the tenant's days, both inclusive. Each table is one SELECT streamed by
DuckDB's `COPY … TO` into a temporary file, all renamed into place once every one is whole
(a full disk leaves the folder as it was): nothing passes through pandas,
so a 90-day extract of a large tenant never sits in memory. CSV cells that look like formulas
are neutralised; Parquet keeps typed columns.
"""

from __future__ import annotations

import os
import uuid
from datetime import date, timedelta
from pathlib import Path

from reportlib import warehouse
from reportlib.domain import error_codes
from reportlib.domain.calendar import local_day_start
from reportlib.errors import ReportError
from reportlib.look.i18n import mask_phone_macro
from reportlib.look.safe import csv_cell_sql
from reportlib.params import TenantParams, params_file

MAX_DAYS = 90
MAX_YEARS_BACK = 5
FORMATS = ("csv", "parquet")


# The identity columns a tenant may choose (params `options.extract_identities`), default first.
IDENTITIES = ("masked", "full", "both")


def _identity(column: str, alias: str, mode: str) -> str:
    """The identity columns the tenant chose: masked (default), full, or both."""
    masked = f"mask_phone({column}) AS {alias}_masked"
    if mode == "full":
        return f"{column} AS {alias}"
    if mode == "both":
        return f"{masked}, {column} AS {alias}"
    return masked


def _in_range(column: str) -> str:
    return f"{column} >= getvariable('from_ts') AND {column} < getvariable('to_ts')"


QUERIES = {
    "notifications": lambda ids: f"""
        SELECT m.message_id, m.campaign_id, c.campaign_name, m.template_name,
            normalize_category(m.category) AS category, m.sender, m.agent_identity, m.bot_id,
            m.phone_number_id, {_identity('m.recipient', 'recipient', ids)},
            m.accepted_at, m.sent_at, m.delivered_at, m.read_at, m.failed_at, m.replied_at,
            m.final_status, m.error_code, e.meaning AS error_meaning
        FROM message_timeline m
        LEFT JOIN campaigns c ON c.tenant_id = m.tenant_id AND c.campaign_id = m.campaign_id
        LEFT JOIN error_meanings e ON e.code = m.error_code
        WHERE m.tenant_id = getvariable('tenant')
          AND {_in_range('COALESCE(m.accepted_at, m.sent_at)')}
        ORDER BY COALESCE(m.accepted_at, m.sent_at), m.message_id""",
    "notifications_by_template": lambda ids: f"""
        SELECT template_name, bot_id, normalize_category(category) AS category,
            count(*) FILTER (WHERE final_status <> 'pending') AS sent,
            count(*) FILTER (WHERE final_status = 'failed') AS failed,
            count(*) FILTER (WHERE final_status IN ('delivered', 'read')) AS received,
            count(*) FILTER (WHERE final_status = 'read') AS read,
            count(*) FILTER (WHERE replied_at IS NOT NULL AND replied_at <=
                             COALESCE(sent_at, accepted_at) + INTERVAL 24 HOUR) AS replied
        FROM message_timeline
        WHERE tenant_id = getvariable('tenant')
          AND {_in_range('COALESCE(accepted_at, sent_at)')}
        GROUP BY ALL ORDER BY template_name, bot_id, category""",
    "event_tracks": lambda ids: f"""
        SELECT storage_date, bot_id, {_identity('contact_identity', 'contact_identity', ids)},
            category, action, label, value, extras
        FROM event_tracks
        WHERE tenant_id = getvariable('tenant') AND {_in_range('storage_date')}
        ORDER BY storage_date, bot_id, category, action""",
    "conversation_details": lambda ids: f"""
        SELECT message_id, bot_id, router_id,
            {_identity('user_identity', 'user_identity', ids)}, direction, channel,
            storage_date
        FROM bot_messages
        WHERE tenant_id = getvariable('tenant') AND {_in_range('storage_date')}
        ORDER BY storage_date, message_id""",
    "conversation_summary": lambda ids: f"""
        SELECT strftime(storage_date AT TIME ZONE getvariable('tz'), '%Y-%m') AS month,
            COALESCE(router_id, '') AS router_id, bot_id,
            count(DISTINCT (user_identity, COALESCE(channel, ''))) AS maus,
            count(DISTINCT (user_identity, COALESCE(channel, '')))
                FILTER (WHERE direction = 'received') AS meus,
            count(*) AS msgs
        FROM bot_messages
        WHERE tenant_id = getvariable('tenant') AND {_in_range('storage_date')}
        GROUP BY ALL ORDER BY month, router_id, bot_id""",
    "user_details": lambda ids: f"""
        SELECT {_identity('user_identity', 'user_identity', ids)},
            min(storage_date) AS first_message_at, max(storage_date) AS last_message_at,
            count(*) AS messages, string_agg(DISTINCT bot_id, '|' ORDER BY bot_id) AS bots
        FROM bot_messages
        WHERE tenant_id = getvariable('tenant') AND {_in_range('storage_date')}
        GROUP BY user_identity ORDER BY min(storage_date), user_identity""",
    "tickets": lambda ids: f"""
        SELECT ticket_id, sequential_id, bot_id, team, agent_identity,
            {_identity('customer_identity', 'customer_identity', ids)}, status,
            storage_date, open_date, first_response_date, close_date, closed_by, tags,
            rating, campaign_id, parent_sequential_id
        FROM tickets
        WHERE tenant_id = getvariable('tenant') AND {_in_range('storage_date')}
        ORDER BY storage_date, ticket_id""",
    "attendance_history": lambda ids: f"""
        SELECT ticket_id, message_id, direction, sent_at
        FROM ticket_messages
        WHERE tenant_id = getvariable('tenant') AND {_in_range('sent_at')}
        ORDER BY sent_at, message_id""",
    "agent_status": lambda ids: """
        SELECT agent_identity, status, started_at, ended_at, pause_reason
        FROM agent_status
        WHERE tenant_id = getvariable('tenant')
          AND started_at < getvariable('to_ts')
          AND (ended_at IS NULL OR ended_at > getvariable('from_ts'))
        ORDER BY agent_identity, started_at""",
}
TABLES = {
    "notifications": "one row per active message: ids, campaign, template, category, sender, "
                     "recipient, each status time, final status, error code and meaning",
    "notifications_by_template": "per template, bot and category: sent, failed, received, "
                                 "read, replied",
    "event_tracks": "one row per tracking event",
    "conversation_details": "one row per bot message",
    "conversation_summary": "per month, router and bot: MAUs, MEUs, MSGs",
    "user_details": "per user: first and last message, messages, bots",
    "tickets": "one row per ticket with the attendance fields",
    "attendance_history": "one row per ticket message",
    "agent_status": "one row per agent status interval overlapping the range",
}


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def check_range(start: date, end: date, today: date) -> None:
    """The platform's limits, as one-line errors that say the allowed range."""
    earliest = years_before(today, MAX_YEARS_BACK)
    if end < start:
        raise ReportError(f"--to {end} is before --from {start}")
    if (end - start).days > MAX_DAYS:
        raise ReportError(f"range {start}..{end} spans {(end - start).days} days: at most "
                          f"{MAX_DAYS} (e.g. {start}..{start + timedelta(days=MAX_DAYS)})")
    if start < earliest:
        raise ReportError(f"--from {start} is more than {MAX_YEARS_BACK} years ago: the "
                          f"earliest allowed start is {earliest}")


def _neutralised(columns: list[tuple[str, str]]) -> str:
    """SELECT list that prefixes text cells starting like a formula with an apostrophe."""
    parts = []
    for name, kind in columns:
        quoted = f'"{name}"'
        parts.append(f"{csv_cell_sql(quoted)} AS {quoted}" if kind == "VARCHAR" else quoted)
    return ", ".join(parts)


def set_scope(con, tenant: TenantParams, start: date, end: date) -> None:
    """What the extract queries read besides the warehouse: the masking macro, error meanings
    in the tenant's language, and the tenant and its days (variables). Also used for the
    tables a site's own report copies into its bundle."""
    con.execute(mask_phone_macro())
    con.execute("CREATE OR REPLACE TEMP TABLE error_meanings (code BIGINT, meaning VARCHAR)")
    con.executemany("INSERT INTO error_meanings VALUES (?, ?)",
                    [(code, error_codes.meaning(code, tenant.locale))
                     for code in error_codes.table()])
    con.execute("SET VARIABLE tenant = ?", [tenant.tenant_id])
    con.execute("SET VARIABLE tz = ?", [tenant.timezone])
    con.execute("SET VARIABLE from_ts = ?::TIMESTAMPTZ",
                [local_day_start(start, tenant.timezone)])
    con.execute("SET VARIABLE to_ts = ?::TIMESTAMPTZ",
                [local_day_start(end + timedelta(days=1), tenant.timezone)])


def single_file(tables: list[str], out: Path) -> bool:
    """One table to a path named .csv or .parquet is that file; anything else is a folder."""
    return len(tables) == 1 and Path(out).suffix.lower() in (".csv", ".parquet")


def target_folder(tables: list[str], out: Path) -> Path:
    """The folder an extract writes in (for the command's checks before it starts)."""
    return Path(out).parent if single_file(tables, out) else Path(out)


def extract(warehouse_path: Path, tenant: TenantParams, tables: list[str], start: date,
            end: date, fmt: str, out: Path, today: date) -> list[tuple[Path, int]]:
    """Write each table to `out` (a file for one table, a folder for several); returns
    (path, rows) for every file written."""
    if fmt not in FORMATS:
        raise ReportError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}")
    unknown = [t for t in tables if t not in TABLES]
    if unknown:
        raise ReportError(f"--table {unknown[0]!r} is not one of {', '.join(TABLES)}")
    check_range(start, end, today)
    if not Path(warehouse_path).is_file():
        raise ReportError(f"warehouse: {warehouse_path} does not exist (run reportlib ingest)")
    identities = str(tenant.options.get("extract_identities", "masked"))
    if identities not in IDENTITIES:
        raise ReportError(f"{params_file(tenant)}: field options.extract_identities: "
                          f"{identities!r} is not one of {', '.join(IDENTITIES)}")
    warehouse.ensure_current(warehouse_path)
    con = warehouse.connect(":memory:")
    written: list[tuple[Path, Path, int]] = []  # (temporary file, its place, rows)
    try:
        # Paths are bound, never spliced: a folder named d'Água is a path like any other.
        con.execute("ATTACH ? AS wh (READ_ONLY)", [str(warehouse_path)])
        from reportlib.domain import pricing

        pricing.install(con)
        con.execute("SET search_path = 'memory.main,wh.main'")
        set_scope(con, tenant, start, end)
        con.execute(f"SET TimeZone = '{tenant.timezone}'")  # CSV times in the tenant's zone
        single = single_file(tables, out)
        if not single:
            out.mkdir(parents=True, exist_ok=True)
        for name in tables:
            target = out if single else out / f"{name}.{fmt}"
            query = QUERIES[name](identities)
            columns = [(c[0], c[1]) for c in con.execute(
                f"DESCRIBE {query}").fetchall()]
            select = (f"SELECT {_neutralised(columns)} FROM ({query})" if fmt == "csv"
                      else query)
            options = "(FORMAT csv, HEADER true)" if fmt == "csv" else "(FORMAT parquet)"
            tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
            target.parent.mkdir(parents=True, exist_ok=True)
            written.append((tmp, target, 0))
            rows = con.execute(f"COPY ({select}) TO ? {options}", [str(tmp)]).fetchall()[0][0]
            written[-1] = (tmp, target, int(rows))
    except BaseException:
        # Every table or none: a full disk at the fifth left four tables of this extract
        # beside older ones of the same folder (and the fifth's temporary file).
        for tmp, _, _ in written:
            tmp.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    for tmp, target, _ in written:
        os.replace(tmp, target)
    return [(target, rows) for _, target, rows in written]
