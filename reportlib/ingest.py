"""Reads source files, validates every row, loads canonical tables one transaction per file.

Good rows go to canonical tables (upserted on their natural key, so re-loading a file or an
overlapping one changes nothing); bad rows go to `rejected_rows` with file, line, field, value
and reason; each file gets one `ingest_log` row with its SHA-256. For every file:
rows read = rows loaded + rows rejected. CSV structure is read by Python's csv module (exact
line numbers); types, allowed values and tenant ownership are checked in one SQL query.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from reportlib import params as params_mod
from reportlib import sources, warehouse
from reportlib.errors import ReportError
from reportlib.params import TenantParams

ISO_TS = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)?"
DMY_TS = r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}(:\d{2})?"
E164 = r"\+[1-9]\d{7,14}"


@dataclass
class FileResult:
    """What happened to one source file (or one refused folder)."""

    tenant: str
    kind: str
    file: str
    status: str  # loaded | unchanged | unreadable | refused | skipped
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    message: str = ""

    @property
    def failed(self) -> bool:
        return self.status in ("unreadable", "refused")

    def line(self) -> str:
        where = f"{self.tenant}/{self.kind}/{Path(self.file).name}" if self.kind else self.file
        if self.status in ("loaded", "unchanged"):
            text = (f"{where}: {self.status}, {self.rows_loaded} loaded, "
                    f"{self.rows_rejected} rejected")
            return text + (f" (first: {self.message})" if self.message else "")
        return f"{where}: {self.status}: {self.message}"


@dataclass(frozen=True)
class Ownership:
    """Which phone numbers and bots belong to the tenant being loaded and to the others."""

    own_phones: frozenset[str]
    other_phones: frozenset[str]
    own_displays: frozenset[str]
    other_displays: frozenset[str]
    own_bots: frozenset[str]
    other_bots: frozenset[str]


def _digits(text: str) -> str:
    return "".join(ch for ch in str(text) if ch.isdigit())


def ownership(tenant: TenantParams, others: Iterable[TenantParams]) -> Ownership:
    others = list(others)
    return Ownership(
        own_phones=frozenset(tenant.phone_number_ids()),
        other_phones=frozenset(p for o in others for p in o.phone_number_ids())
        - tenant.phone_number_ids(),
        own_displays=frozenset(_digits(p.display_phone_number) for p in tenant.phone_numbers),
        other_displays=frozenset(
            _digits(p.display_phone_number) for o in others for p in o.phone_numbers
        ),
        own_bots=frozenset(tenant.bots),
        other_bots=frozenset(b for o in others for b in o.bots) - set(tenant.bots),
    )


def _quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _sql_set(values: Iterable[str]) -> str:
    values = sorted(values)
    return "(" + ", ".join(_quote(v) for v in values) + ")" if values else "(NULL)"


# ---------------------------------------------------------------------------------------------
# CSV sources


def _field_checks(f: sources.Field, col: str, decimal_comma: bool) -> tuple[list, str]:
    """(list of (bad-condition SQL, reason), typed-value SQL) for one field."""
    checks: list[tuple[str, str]] = []
    if f.required:
        checks.append((f"{col} IS NULL", "required field is empty"))
    if f.kind == "timestamp":
        value = (
            f"CASE WHEN regexp_full_match({col}, '{ISO_TS}') "
            f"THEN TRY_CAST({col} AS TIMESTAMPTZ) "
            f"WHEN regexp_full_match({col}, '{DMY_TS}') "
            f"THEN TRY_STRPTIME({col}, ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M'])::TIMESTAMPTZ END"
        )
        checks.append((f"{col} IS NOT NULL AND ({value}) IS NULL",
                       "not a timestamp (ISO 8601, or DD/MM/YYYY HH:MM:SS)"))
        checks.append((f"year(({value}) AT TIME ZONE 'UTC') NOT BETWEEN 2015 AND 2099",
                       "timestamp out of range (2015..2099)"))
    elif f.kind == "integer":
        value = f"TRY_CAST({col} AS BIGINT)"
        checks.append((f"{col} IS NOT NULL AND NOT regexp_full_match({col}, '-?\\d{{1,18}}')",
                       "not a whole number"))
    elif f.kind == "number":
        text = f"replace({col}, ',', '.')" if decimal_comma else col
        value = f"TRY_CAST({text} AS DOUBLE)"
        checks.append((f"{col} IS NOT NULL AND {value} IS NULL", "not a number"))
    elif f.kind == "enum":
        cases = " ".join(f"WHEN {_quote(a.lower())} THEN {_quote(a)}" for a in f.allowed)
        value = f"CASE lower({col}) {cases} END"
        checks.append((f"{col} IS NOT NULL AND ({value}) IS NULL",
                       "not one of " + ", ".join(f.allowed)))
    elif f.kind == "category":
        value = f"normalize_category({col})"
        checks.append((f"{col} IS NOT NULL AND {value} NOT IN {_sql_set(sources.CATEGORY_VALUES)}",
                       "unknown category (" + ", ".join(sources.CATEGORY_VALUES[:3]) + ", …)"))
    elif f.kind == "e164":
        value = f"'+' || regexp_replace({col}, '[^0-9]', '', 'g')"
        checks.append((f"{col} IS NOT NULL AND NOT regexp_full_match("
                       f"regexp_replace({col}, '[\\s().-]', '', 'g'), '{E164}')",
                       "not an E.164 phone number (+ and 8 to 15 digits)"))
    elif f.kind == "json":
        value = col
        checks.append((f"{col} IS NOT NULL AND (TRY(json({col})) IS NULL "
                       f"OR json_type(TRY(json({col}))) <> 'OBJECT')",
                       "not a JSON object"))
        checks.append((f"length({col}) > {f.max_length}",
                       f"longer than {f.max_length} characters"))
    else:
        value = col
        checks.append((f"length({col}) > {f.max_length}",
                       f"longer than {f.max_length} characters"))
    return checks, value


def _ownership_checks(src: sources.CsvSource, own: Ownership) -> dict[str, list]:
    checks: dict[str, list] = {}
    for column, what in src.tenant_checks:
        col = f'"{column}"'
        if what == "phone":
            found = [(f"{col} IN {_sql_set(own.other_phones)}",
                      "phone number belongs to another tenant")]
            if own.own_phones:
                found.append((f"{col} NOT IN {_sql_set(own.own_phones)}",
                              "phone number not declared for this tenant"))
        else:
            found = [(f"{col} IN {_sql_set(own.other_bots)}", "bot belongs to another tenant")]
        checks[column] = found
    return checks


def _read_csv(text: str, path: Path, src: sources.CsvSource):
    """Split a CSV into (fields, rows with line numbers, structural rejects, unknown headers)."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    try:
        header = next(reader)
    except StopIteration:
        raise ReportError("empty file: no header row") from None
    except csv.Error as exc:
        raise ReportError(f"line 1: header is not valid CSV ({exc})") from None
    positions: dict[str, int] = {}
    unknown = []
    for i, name in enumerate(header):
        f = src.field_named(name)
        if f is None:
            unknown.append(name.strip())
        elif f.target in positions:
            raise ReportError(f"line 1: column {name.strip()} appears twice")
        else:
            positions[f.target] = i
    missing = [f.name for f in src.fields if f.required and f.target not in positions]
    if missing:
        raise ReportError(f"line 1: missing required column {', '.join(missing)}")
    rows, rejects, line = [], [], 1
    while True:
        start = line + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            line = reader.line_num
            rejects.append((start, "*", "", f"not valid CSV ({exc})"))
            continue
        line = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            rejects.append((start, "*", delimiter.join(record)[:200],
                            f"expected {len(header)} fields, found {len(record)}"))
            continue
        rows.append((start, [record[positions[f.target]] if f.target in positions else None
                             for f in src.fields]))
    return delimiter, rows, rejects, unknown


def _stage(con: duckdb.DuckDBPyConnection, name: str, columns: list[str], rows: list) -> None:
    """Register a list of row tuples as an Arrow-backed view named `name`."""
    data = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    con.register(name, pa.table(data) if rows else pa.table(
        {c: pa.array([], pa.string()) for c in columns}))


def load_csv(con, tenant: TenantParams, own: Ownership, src: sources.CsvSource, path: Path,
             data: bytes, sha: str) -> FileResult:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReportError(f"not UTF-8 (byte {exc.start})") from None
    delimiter, rows, rejects, unknown = _read_csv(text, path, src)
    names = [f.target for f in src.fields]
    staged = [
        (line, *[(v.strip() or None) if isinstance(v, str) else None for v in values])
        for line, values in rows
    ]
    for i, (_line, *values) in enumerate(staged):
        if any(v is not None and len(v) > 10_000 for v in values):
            staged[i] = (_line, *[None if v is None else v[:10_000] for v in values])
    _stage(con, "staged", ["_line", *names], [(float(r[0]), *r[1:]) for r in staged] if staged
           else [])
    owner_checks = _ownership_checks(src, own)
    reject_cases, typed = [], []
    for f in src.fields:
        col = f'"{f.target}"'
        checks, value = _field_checks(f, col, decimal_comma=(delimiter == ";"))
        checks += owner_checks.get(f.target, [])
        for condition, reason in checks:
            reject_cases.append(
                f"WHEN {condition} THEN {{'field': {_quote(f.name)}, "
                f"'value': {col}, 'reason': {_quote(reason)}}}"
            )
        typed.append(f"{value} AS {col}")
    con.execute(f"SET TimeZone = {_quote(tenant.timezone)}")
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE checked AS
            SELECT _line::BIGINT AS _line, CASE {' '.join(reject_cases)} END AS _reject,
                   {', '.join(typed)}
            FROM staged""")
    finally:
        con.execute("SET TimeZone = 'UTC'")
    con.unregister("staged")
    key = ", ".join(src.key)
    cols = ", ".join(f'"{n}"' for n in names)
    if src.kind == "event_tracks":
        # No identifier: every column is the key. Insert only events not already stored.
        matches = " AND ".join(f"e.{k} IS NOT DISTINCT FROM c.{k}" for k in src.key)
        con.execute(f"""
            INSERT INTO {src.table} (tenant_id, {cols}, source_file, source_line)
            SELECT {_quote(tenant.tenant_id)}, {cols}, {_quote(str(path))}, _line
            FROM checked c WHERE _reject IS NULL AND NOT EXISTS (
                SELECT 1 FROM {src.table} e
                WHERE e.tenant_id = {_quote(tenant.tenant_id)} AND {matches})
            QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _line DESC) = 1""")
    else:
        con.execute(f"""
            INSERT OR REPLACE INTO {src.table} (tenant_id, {cols}, source_file, source_line)
            SELECT {_quote(tenant.tenant_id)}, {cols}, {_quote(str(path))}, _line FROM checked
            WHERE _reject IS NULL
            QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _line DESC) = 1""")
    rejected = con.execute(
        "SELECT _line, _reject.field, _reject.value, _reject.reason FROM checked "
        "WHERE _reject IS NOT NULL ORDER BY _line").fetchall()
    loaded = con.execute("SELECT count(*) FROM checked WHERE _reject IS NULL").fetchall()[0][0]
    all_rejects = sorted(rejects + [tuple(r) for r in rejected])
    message = f"unknown columns ignored: {', '.join(unknown)}" if unknown else ""
    return _finish(con, tenant.tenant_id, src.kind, path, sha, len(rows) + len(rejects),
                   loaded, all_rejects, message)


# ---------------------------------------------------------------------------------------------
# Meta JSON sources


def _ts(value) -> datetime | None:
    """Unix seconds (int or numeric string) to an aware UTC datetime, or None when invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, int) and 1_420_070_400 <= value <= 4_102_444_800:  # 2015..2099
        return datetime.fromtimestamp(value, UTC)
    return None


STATUS_COLUMNS = [
    "message_id", "status", "ts", "recipient_id", "phone_number_id", "waba_id", "error_code",
    "error_title", "pricing_billable", "pricing_model", "pricing_type", "pricing_category",
    "conversation_id", "conversation_origin", "source_line",
]
INBOUND_COLUMNS = [
    "message_id", "from_id", "ts", "type", "context_id", "button_text", "button_payload",
    "phone_number_id", "source_line",
]


def _webhook_records(text: str, own: Ownership):
    """Yield ('status'|'inbound'|'reject', line, record) for every record of a JSONL file."""
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            body = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield "reject", line, ("*", raw[:200], f"not valid JSON ({exc.msg})")
            continue
        entries = body.get("entry") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            yield "reject", line, ("entry", raw[:200], "webhook body has no entry[] list")
            continue
        found = False
        for entry in entries:
            waba = str(entry.get("id", "")) if isinstance(entry, dict) else ""
            for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
                value = change.get("value") if isinstance(change, dict) else None
                if not isinstance(value, dict):
                    continue
                metadata = value.get("metadata") or {}
                phone_id = str(metadata.get("phone_number_id", "") or "")
                for status in value.get("statuses") or []:
                    found = True
                    yield _status_record(status, line, phone_id, waba, own)
                for message in value.get("messages") or []:
                    found = True
                    yield _inbound_record(message, line, phone_id, own)
        if not found:
            yield "reject", line, ("entry", raw[:200], "no statuses[] or messages[] in body")


def _phone_problem(phone_id: str, own: Ownership) -> str | None:
    if not phone_id:
        return "metadata.phone_number_id is missing"
    if phone_id in own.other_phones:
        return "phone number belongs to another tenant"
    if own.own_phones and phone_id not in own.own_phones:
        return "phone number not declared for this tenant"
    return None


def _status_record(status, line: int, phone_id: str, waba: str, own: Ownership):
    if not isinstance(status, dict):
        return "reject", line, ("statuses[]", str(status)[:200], "status is not an object")
    name = str(status.get("status", "")).lower()
    ts = _ts(status.get("timestamp"))
    if not status.get("id"):
        return "reject", line, ("id", "", "required field is empty")
    if name not in sources.WEBHOOK_STATUSES:
        return "reject", line, ("status", name, "unknown status")
    if ts is None:
        return "reject", line, ("timestamp", str(status.get("timestamp")),
                                "not a Unix timestamp (2015..2099)")
    if problem := _phone_problem(phone_id, own):
        return "reject", line, ("metadata.phone_number_id", phone_id, problem)
    errors = status.get("errors") or [{}]
    error = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code = error.get("code")
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        return "reject", line, ("errors[0].code", str(code), "not a whole number")
    pricing = status.get("pricing") if isinstance(status.get("pricing"), dict) else {}
    conversation = status.get("conversation") if isinstance(status.get("conversation"),
                                                            dict) else {}
    billable = pricing.get("billable")
    return "status", line, {
        "message_id": str(status["id"]), "status": sources.WEBHOOK_STATUSES[name], "ts": ts,
        "recipient_id": str(status.get("recipient_id") or "") or None,
        "phone_number_id": phone_id, "waba_id": waba or None, "error_code": code,
        "error_title": error.get("title"),
        "pricing_billable": billable if isinstance(billable, bool) else None,
        "pricing_model": pricing.get("pricing_model"),
        "pricing_type": pricing.get("type"),
        "pricing_category": _category(pricing.get("category")),
        "conversation_id": conversation.get("id"),
        "conversation_origin": (conversation.get("origin") or {}).get("type")
        if isinstance(conversation.get("origin"), dict) else None,
        "source_line": line,
    }


def _inbound_record(message, line: int, phone_id: str, own: Ownership):
    if not isinstance(message, dict) or not message.get("id"):
        return "reject", line, ("messages[].id", "", "required field is empty")
    ts = _ts(message.get("timestamp"))
    if ts is None:
        return "reject", line, ("messages[].timestamp", str(message.get("timestamp")),
                                "not a Unix timestamp (2015..2099)")
    if problem := _phone_problem(phone_id, own):
        return "reject", line, ("metadata.phone_number_id", phone_id, problem)
    kind = str(message.get("type", ""))
    button = message.get("button") if isinstance(message.get("button"), dict) else {}
    interactive = message.get("interactive") if isinstance(message.get("interactive"),
                                                           dict) else {}
    reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
    context = message.get("context") if isinstance(message.get("context"), dict) else {}
    return "inbound", line, {
        "message_id": str(message["id"]), "from_id": str(message.get("from", "")) or None,
        "ts": ts, "type": kind, "context_id": context.get("id"),
        "button_text": button.get("text") or reply.get("title"),
        "button_payload": button.get("payload") or reply.get("id"),
        "phone_number_id": phone_id, "source_line": line,
    }


def _category(value) -> str | None:
    if not value:
        return None
    return str(value).strip().lower().replace("-", "_").replace(" ", "_")


def _upsert(con, table: str, tenant: str, path: Path, columns: list[str], records: list[dict],
            key: list[str]) -> None:
    if not records:
        return
    con.register("incoming", pa.Table.from_pylist(records))
    cols = ", ".join(columns)
    con.execute(f"""
        INSERT OR REPLACE INTO {table} (tenant_id, {cols}, source_file)
        SELECT {_quote(tenant)}, {cols}, {_quote(str(path))} FROM incoming
        QUALIFY row_number() OVER (PARTITION BY {', '.join(key)} ORDER BY source_line DESC) = 1
    """)
    con.unregister("incoming")


def load_webhooks(con, tenant: TenantParams, own: Ownership, path: Path, data: bytes,
                  sha: str) -> FileResult:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReportError(f"not UTF-8 (byte {exc.start})") from None
    statuses, inbound, rejects = [], [], []
    for kind, line, record in _webhook_records(text, own):
        if kind == "status":
            statuses.append(record)
        elif kind == "inbound":
            inbound.append(record)
        else:
            rejects.append((line, *record))
    _upsert(con, "message_status_events", tenant.tenant_id, path, STATUS_COLUMNS, statuses,
            ["message_id", "status", "ts"])
    _upsert(con, "inbound_messages", tenant.tenant_id, path, INBOUND_COLUMNS, inbound,
            ["message_id"])
    loaded = len(statuses) + len(inbound)
    return _finish(con, tenant.tenant_id, "whatsapp_webhooks", path, sha,
                   loaded + len(rejects), loaded, rejects, "")


ANALYTICS = {
    "conversation_analytics": {
        "table": "conversations",
        "count": ("conversation", "conversations"),
        "enums": {"conversation_type": sources.CONVERSATION_TYPES,
                  "conversation_direction": sources.CONVERSATION_DIRECTIONS},
        "category": "conversation_category",
        "key": ["start_ts", "phone_number", "country", "conversation_type", "category",
                "conversation_direction"],
    },
    "pricing_analytics": {
        "table": "pricing_daily",
        "count": ("volume", "volume"),
        "enums": {"pricing_type": sources.PRICING_TYPES},
        "category": "pricing_category",
        "key": ["start_ts", "phone_number", "country", "pricing_type", "category"],
    },
}


def _data_points(body, field: str):
    """The data points of an analytics response, with or without the outer wrapper."""
    waba = None
    if isinstance(body, dict) and isinstance(body.get(field), dict):
        waba = body.get("id")
        body = body[field]
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ReportError(f"no {field}.data[] list in the response body")
    points = []
    for i, block in enumerate(body["data"]):
        for j, point in enumerate((block or {}).get("data_points") or []):
            points.append((f"data[{i}].data_points[{j}]", point))
    return (str(waba) if waba else None), points


def load_analytics(con, tenant: TenantParams, own: Ownership, kind: str, path: Path,
                   data: bytes, sha: str) -> FileResult:
    spec = ANALYTICS[kind]
    try:
        body = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"not valid JSON ({exc})") from None
    waba, points = _data_points(body, kind)
    display_waba = {_digits(p.display_phone_number): p.waba_id for p in tenant.phone_numbers}
    records, rejects = [], []
    for n, (where, point) in enumerate(points, start=1):
        problem = _check_point(point, spec, own)
        if problem:
            rejects.append((n, f"{where}.{problem[0]}", str(problem[1])[:200], problem[2]))
            continue
        phone = _digits(point["phone_number"])
        cost = point.get("cost")
        record = {
            "waba_id": waba or display_waba.get(phone) or None,
            "start_ts": _ts(point["start"]), "end_ts": _ts(point["end"]),
            "phone_number": phone, "country": str(point.get("country") or "").upper() or None,
            "category": _category(point.get(spec["category"])),
            spec["count"][1]: int(point[spec["count"][0]]),
            "cost_usd": float(cost) if cost is not None else None,
            "source_line": n,
        }
        for name in spec["enums"]:
            record[name] = str(point[name]).upper()
        if kind == "pricing_analytics":
            record["tier"] = point.get("tier")
        records.append(record)
    columns = [c for c in (records[0] if records else {}) if c != "source_line"]
    if records:
        con.register("incoming", pa.Table.from_pylist(records))
        cols = ", ".join(columns)
        con.execute(f"""
            INSERT OR REPLACE INTO {spec['table']} (tenant_id, {cols}, source_file)
            SELECT {_quote(tenant.tenant_id)}, {cols}, {_quote(str(path))} FROM incoming
            QUALIFY row_number() OVER (PARTITION BY {', '.join(spec['key'])}
                                       ORDER BY source_line DESC) = 1""")
        con.unregister("incoming")
    return _finish(con, tenant.tenant_id, kind, path, sha, len(points), len(records), rejects,
                   "")


def _check_point(point, spec: dict, own: Ownership):
    """(field, value, reason) of the first problem of an analytics data point, or None."""
    if not isinstance(point, dict):
        return ("*", point, "data point is not an object")
    for name in ("start", "end"):
        if _ts(point.get(name)) is None:
            return (name, point.get(name), "not a Unix timestamp (2015..2099)")
    count_field = spec["count"][0]
    count = point.get(count_field)
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        return (count_field, count, "not a whole number ≥ 0")
    cost = point.get("cost")
    if cost is not None and (isinstance(cost, bool) or not isinstance(cost, int | float)
                             or cost < 0):
        return ("cost", cost, "not a number ≥ 0")
    for name, allowed in spec["enums"].items():
        if str(point.get(name, "")).upper() not in allowed:
            return (name, point.get(name), "not one of " + ", ".join(allowed))
    if _category(point.get(spec["category"])) not in sources.CATEGORY_VALUES:
        return (spec["category"], point.get(spec["category"]), "unknown category")
    phone = _digits(point.get("phone_number", ""))
    if not phone:
        return ("phone_number", point.get("phone_number"), "required field is empty")
    if phone in own.other_displays and phone not in own.own_displays:
        return ("phone_number", phone, "phone number belongs to another tenant")
    if own.own_displays and phone not in own.own_displays:
        return ("phone_number", phone, "phone number not declared for this tenant")
    return None


# ---------------------------------------------------------------------------------------------
# Files, folders and the log


def _finish(con, tenant: str, kind: str, path: Path, sha: str, read: int, loaded: int,
            rejects: list, message: str) -> FileResult:
    if rejects:
        con.executemany(
            "INSERT INTO rejected_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(tenant, kind, str(path), line, field, None if value is None else str(value),
              reason, sha) for line, field, value, reason in rejects],
        )
    first = f"line {rejects[0][0]} field {rejects[0][1]}: {rejects[0][3]}" if rejects else ""
    result = FileResult(tenant, kind, str(path), "loaded", read, loaded, len(rejects),
                        first or message)
    _log(con, result, sha)
    return result


def _log(con, result: FileResult, sha: str | None) -> None:
    con.execute(
        "INSERT INTO ingest_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [result.tenant, result.kind, result.file, sha, result.status, result.rows_read,
         result.rows_loaded, result.rows_rejected, result.message, datetime.now(UTC)],
    )


def ingest_file(con, tenant: TenantParams, own: Ownership, kind: str, path: Path) -> FileResult:
    """Load one file in one transaction; an unreadable file is recorded whole with its reason."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        result = FileResult(tenant.tenant_id, kind, str(path), "unreadable",
                            message=f"cannot read file ({exc.strerror})")
        _log(con, result, None)
        return result
    sha = hashlib.sha256(data).hexdigest()
    seen = con.execute(
        "SELECT rows_read, rows_loaded, rows_rejected FROM ingest_log WHERE tenant_id = ? "
        "AND source_kind = ? AND sha256 = ? AND status = 'loaded' LIMIT 1",
        [tenant.tenant_id, kind, sha]).fetchall()
    if seen:
        return FileResult(tenant.tenant_id, kind, str(path), "unchanged", *seen[0])
    con.execute("BEGIN TRANSACTION")
    try:
        if kind in sources.CSV_SOURCES:
            result = load_csv(con, tenant, own, sources.CSV_SOURCES[kind], path, data, sha)
        elif kind == "whatsapp_webhooks":
            result = load_webhooks(con, tenant, own, path, data, sha)
        else:
            result = load_analytics(con, tenant, own, kind, path, data, sha)
        con.execute("COMMIT")
        return result
    except ReportError as exc:
        con.execute("ROLLBACK")
        result = FileResult(tenant.tenant_id, kind, str(path), "unreadable", message=str(exc))
        _log(con, result, sha)
        return result
    except BaseException:
        con.execute("ROLLBACK")
        raise


FILE_PATTERNS = {"whatsapp_webhooks": "*.jsonl", "conversation_analytics": "*.json",
                 "pricing_analytics": "*.json"}


def _register_tenant(con, tenant: TenantParams) -> None:
    con.execute("INSERT OR REPLACE INTO tenants VALUES (?, ?, ?, ?, ?)",
                [tenant.tenant_id, tenant.display_name, tenant.timezone, tenant.locale,
                 tenant.currency])
    for p in tenant.phone_numbers:
        con.execute("INSERT OR REPLACE INTO phone_numbers VALUES (?, ?, ?, ?, ?)",
                    [tenant.tenant_id, p.phone_number_id, p.display_phone_number, p.waba_id,
                     p.label])


def ingest(sources_dir: Path, warehouse_path: Path, params_dir: Path) -> list[FileResult]:
    """Ingest every tenant folder of SOURCES_DIR into the warehouse; returns one result a file."""
    sources_dir, params_dir = Path(sources_dir), Path(params_dir)
    if not sources_dir.is_dir():
        raise ReportError(f"sources: {sources_dir} is not a folder")
    known = {t: params_mod.load_tenant(params_dir, t) for t in params_mod.list_tenants(params_dir)}
    results: list[FileResult] = []
    con = warehouse.create(warehouse_path)
    try:
        for folder in sorted(p for p in sources_dir.iterdir() if p.is_dir()):
            name = folder.name
            if not sources.TENANT_ID.match(name):
                results.append(FileResult(name, "", str(folder), "refused",
                                          message=f"tenant folder {name!r} is not a valid "
                                          "tenant id: nothing of it was read"))
                continue
            if name not in known:
                results.append(FileResult(name, "", str(folder), "refused",
                                          message=f"unknown tenant {name!r}: no "
                                          f"{params_dir}/tenants/{name}.yaml"))
                continue
            tenant = known[name]
            own = ownership(tenant, (t for k, t in known.items() if k != name))
            _register_tenant(con, tenant)
            for sub in sorted(p for p in folder.iterdir()):
                kind = sub.name
                if not sub.is_dir() or kind not in sources.KNOWN_SOURCES:
                    results.append(FileResult(name, kind, str(sub), "skipped",
                                              message="unknown sub-folder, not read"))
                    continue
                if kind in sources.PLANNED_SOURCES:
                    results.append(FileResult(name, kind, str(sub), "skipped",
                                              message="format not ingested yet, not read"))
                    continue
                pattern = FILE_PATTERNS.get(kind, "*.csv")
                for path in sorted(sub.glob(pattern)):
                    if path.is_symlink() or not path.is_file():
                        continue
                    results.append(ingest_file(con, tenant, own, kind, path))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return results
