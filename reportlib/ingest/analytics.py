"""Meta's analytics responses (`conversation_analytics/*.json`, `pricing_analytics/*.json`).

A response is one JSON document of a few hundred data points, so it is parsed whole, but
hardened: numbers that cannot be true (NaN, ±Infinity, magnitudes past a float) are rejected
rows naming the field, nesting deeper than a response has is an unreadable file, and a wrong
JSON type anywhere is a rejected row or a one-line reason, never an exception.
"""

from __future__ import annotations

import gzip
import json
import math
from datetime import UTC, datetime

import duckdb
import pyarrow as pa

from reportlib import sources
from reportlib.errors import ReportError
from reportlib.ingest import files
from reportlib.ingest.ownership import Ownership, digits
from reportlib.ingest.results import FileResult, finish
from reportlib.ingest.sql import MAX_NUMBER, quote
from reportlib.params import TenantParams

MAX_BYTES = 256 << 20


class _NotANumber(float):
    """A float the JSON text spelled as NaN, Infinity or past the float range."""


def _parse_constant(name: str) -> float:
    return _NotANumber("nan")


def _parse_float(text: str) -> float:
    value = float(text)
    return value if math.isfinite(value) else _NotANumber(value)


def _read(entry: files.Entry) -> object:
    opener = gzip.open if entry.compressed else open
    try:
        with opener(entry.path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise ReportError(f"cannot read file ({exc})") from None
    if len(data) > MAX_BYTES:
        raise ReportError(f"larger than {MAX_BYTES >> 20} MiB: not an analytics response")
    try:
        return json.loads(data.decode("utf-8-sig"), parse_constant=_parse_constant,
                          parse_float=_parse_float)
    except UnicodeDecodeError as exc:
        raise ReportError(f"not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise ReportError("not valid JSON (nested too deep)") from None


def _number_ok(value) -> bool:
    return (not isinstance(value, bool | _NotANumber) and isinstance(value, int | float)
            and math.isfinite(value) and abs(value) <= MAX_NUMBER)


def _ts(value) -> datetime | None:
    """Unix seconds (int or numeric string) to an aware UTC datetime, or None when invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, int) and 1_420_070_400 <= value <= 4_102_444_800:  # 2015..2099
        return datetime.fromtimestamp(value, UTC)
    return None



def _category(value) -> str | None:
    if not value:
        return None
    return str(value).strip().lower().replace("-", "_").replace(" ", "_")



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


_NOT_A_LIST = object()


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
        block_points = block.get("data_points") if isinstance(block, dict) else None
        if not isinstance(block_points, list):
            points.append((f"data[{i}].data_points", _NOT_A_LIST))
            continue
        for j, point in enumerate(block_points):
            points.append((f"data[{i}].data_points[{j}]", point))
    return (str(waba) if waba else None), points


def load_analytics(con: duckdb.DuckDBPyConnection, tenant: TenantParams, own: Ownership,
                   kind: str, entry: files.Entry, sha: str) -> FileResult:
    spec = ANALYTICS[kind]
    path = entry.path
    body = _read(entry)
    waba, points = _data_points(body, kind)
    display_waba = {digits(p.display_phone_number): p.waba_id for p in tenant.phone_numbers}
    records, rejects = [], []
    for n, (where, point) in enumerate(points, start=1):
        problem = _check_point(point, spec, own)
        if problem:
            field = f"{where}.{problem[0]}" if problem[0] else where
            rejects.append((n, field, str(problem[1])[:200], problem[2]))
            continue
        phone = digits(point["phone_number"])
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
            SELECT {quote(tenant.tenant_id)}, {cols}, {quote(str(path))} FROM incoming
            QUALIFY row_number() OVER (PARTITION BY {', '.join(spec['key'])}
                                       ORDER BY source_line DESC) = 1""")
        con.unregister("incoming")
    if rejects:
        con.executemany("INSERT INTO rejected_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [(tenant.tenant_id, kind, str(path), line, field, value, reason, sha)
                         for line, field, value, reason in rejects])
    return finish(con, tenant.tenant_id, kind, path, sha, len(records))


def _check_point(point, spec: dict, own: Ownership):
    """(field, value, reason) of the first problem of an analytics data point, or None."""
    if point is _NOT_A_LIST:
        return ("", "", "not a list")
    if not isinstance(point, dict):
        return ("*", point, "data point is not an object")
    for name in ("start", "end"):
        if _ts(point.get(name)) is None:
            return (name, point.get(name), "not a Unix timestamp (2015..2099)")
    count_field = spec["count"][0]
    count = point.get(count_field)
    if (isinstance(count, bool) or not isinstance(count, int) or count < 0
            or count > MAX_NUMBER):
        return (count_field, count, "not a whole number ≥ 0")
    cost = point.get("cost")
    if cost is not None and (not _number_ok(cost) or cost < 0):
        return ("cost", cost, "not a number ≥ 0")
    for name, allowed in spec["enums"].items():
        if str(point.get(name, "")).upper() not in allowed:
            return (name, point.get(name), "not one of " + ", ".join(allowed))
    if _category(point.get(spec["category"])) not in sources.CATEGORY_VALUES:
        return (spec["category"], point.get(spec["category"]), "unknown category")
    phone = digits(point.get("phone_number", ""))
    if not phone:
        return ("phone_number", point.get("phone_number"), "required field is empty")
    if phone in own.other_displays and phone not in own.own_displays:
        return ("phone_number", phone, "phone number belongs to another tenant")
    if own.own_displays and phone not in own.own_displays:
        return ("phone_number", phone, "phone number not declared for this tenant")
    return None


