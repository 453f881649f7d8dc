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
from reportlib.ingest.results import FileResult, finish, log
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


def _read(entry: files.Entry) -> tuple[object, int]:
    """The response body and the number of JSON documents the file holds (pages, when more
    than one)."""
    opener = gzip.open if entry.compressed else open
    try:
        with opener(entry.path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise ReportError(f"cannot read file ({exc})") from None
    if len(data) > MAX_BYTES:
        raise ReportError(f"larger than {MAX_BYTES >> 20} MiB: not an analytics response")
    try:
        text = data.decode("utf-8-sig")
        decoder = json.JSONDecoder(parse_constant=_parse_constant, parse_float=_parse_float)
        documents, at = [], 0
        while True:
            while at < len(text) and text[at].isspace():
                at += 1
            if at >= len(text) and documents:
                break
            document, at = decoder.raw_decode(text, at)
            documents.append(document)
    except UnicodeDecodeError as exc:
        raise ReportError(f"not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise ReportError("not valid JSON (nested too deep)") from None
    if any(webhook_body(doc) for doc in documents):
        raise ReportError("Meta webhook bodies, not an analytics response: they belong in "
                          "whatsapp_webhooks/")
    return (documents[0] if len(documents) == 1 else _pages(documents)), len(documents)


def webhook_body(doc) -> bool:
    """True for a webhook body (`{"object": "whatsapp_business_account", "entry": [...]}`)."""
    return isinstance(doc, dict) and (doc.get("object") == "whatsapp_business_account"
                                      or isinstance(doc.get("entry"), list))


def _pages(documents: list) -> dict:
    """One response of the pages of a request saved one after another in one file (a loop
    that follows `paging.next` appending each answer, `>> file.json`): their `data[]` lists
    together, under the first page's wrapper. Pages of different fields or accounts are not
    one response."""
    def shape(doc):
        if not isinstance(doc, dict):
            return None
        fields = [f for f in (*ANALYTICS, *NOT_READ) if isinstance(doc.get(f), dict)]
        inner = doc[fields[0]] if len(fields) == 1 else doc if not fields else None
        if not isinstance(inner, dict) or not isinstance(inner.get("data"), list):
            return None
        return (fields[0] if fields else None, doc.get("id"), doc.get("currency")), inner

    shapes = [shape(doc) for doc in documents]
    if any(s is None for s in shapes) or len({s[0] for s in shapes}) > 1:
        raise ReportError(f"{len(documents)} JSON documents one after another that are not "
                          "pages of one response (the same field and account): save each "
                          "response in a file of its own")
    (field, waba, currency), _ = shapes[0]
    data = [block for _, inner in shapes for block in inner["data"]]
    if field is None:
        return {"data": data}
    return {field: {"data": data}, **({"id": waba} if waba is not None else {}),
            **({"currency": currency} if currency is not None else {})}


def _number_ok(value) -> bool:
    return (not isinstance(value, bool | _NotANumber) and isinstance(value, int | float)
            and math.isfinite(value) and abs(value) <= MAX_NUMBER)


def _ts(value) -> datetime | None:
    """Unix seconds (int or numeric string) to an aware UTC datetime, or None when invalid."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 12):
            return None
        value = int(text)
    if isinstance(value, int) and 1_420_070_400 <= value <= 4_102_444_800:  # 2015..2099
        return datetime.fromtimestamp(value, UTC)
    return None



# Earlier names Meta's analytics may still return, read as today's: MARKETING_OPTIMIZED_DELIVERY
# is the conversation category of marketing messages sent with optimized delivery (the Marketing
# Messages Lite API) in Meta's SDKs' `conversation_categories`, MARKETING_LITE since.
CATEGORY_ALIASES = {"marketing_optimized_delivery": "marketing_lite"}


def _category(value) -> str | None:
    """A category as the warehouse keeps it: lower case, `_` for `-` and blanks, today's name."""
    if value is None or value == "":
        return None
    name = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    return CATEGORY_ALIASES.get(name, name)


# Categories Meta's analytics may name besides those of the platform files (docs/sources.md):
# the referral conversion of a click-to-WhatsApp ad, and the Groups API's group_* ones and
# marketing_lite_dynamic (the `pricing_categories` of the WABA's pricing_analytics).
CATEGORIES = (*sources.CATEGORY_VALUES, "referral_conversion", "marketing_lite_dynamic",
              "group_marketing", "group_marketing_lite", "group_utility", "group_service",
              "unknown")
HALF_HOUR, DAY = 1800, 86400

ANALYTICS = {
    "conversation_analytics": {
        "table": "conversations",
        "count": ("conversation", "conversations"),
        "enums": {"conversation_type": (*sources.CONVERSATION_TYPES, "FREE_ENTRY", "UNKNOWN"),
                  "conversation_direction": (*sources.CONVERSATION_DIRECTIONS, "UNKNOWN")},
        "category": "conversation_category",
        "dimensions": ("phone_number", "country", "conversation_type", "conversation_direction",
                       "conversation_category"),
    },
    "pricing_analytics": {
        "table": "pricing_daily",
        "count": ("volume", "volume"),
        "enums": {"pricing_type": (*sources.PRICING_TYPES, "FREE_GROUP_CUSTOMER_SERVICE",
                                   "UNKNOWN")},
        "category": "pricing_category",
        # `tier` too: a response requested with TIER carries it on its paid points only (Meta
        # omits it on free ones), one without TIER on none; the two are different views.
        "dimensions": ("phone_number", "country", "pricing_type", "pricing_category", "tier"),
    },
}
# The columns that, with the tenant, granularity, dimensions and start, identify a data point.
IDENTITY = {
    "conversations": ("waba_id", "phone_number", "country", "conversation_type",
                      "conversation_direction", "category"),
    "pricing_daily": ("waba_id", "phone_number", "country", "pricing_type", "category", "tier"),
}


def granularity(start: int, end: int) -> str:
    """HALF_HOUR, DAILY or MONTHLY from a data point's span (Meta's responses do not repeat the
    granularity that was requested); a day may last 23 or 25 hours, and any span longer than a
    day is coarse: it cannot be put on a day."""
    span = end - start
    if span <= HALF_HOUR:
        return "HALF_HOUR"
    if span <= DAY + 3600:
        return "DAILY"
    return "MONTHLY"


def _present(point: dict, name: str) -> bool:
    return point.get(name) not in (None, "")


def view_dimensions(points: list[dict], names: tuple[str, ...]) -> str:
    """The dimensions of a response: those any of its points carries, in `names` order.

    The dimensions are a property of the request, not of each point: Meta may leave one out
    of some points of a response that asked for it (in its own "all breakdowns" example only
    the first point has `conversation_direction`; free points never have `tier`). A point
    without a dimension of its response's view has NULL there (not known, or none applies)
    and still belongs to the view, so a response is never split into views of a few points.
    """
    return ",".join(d for d in names if any(_present(p, d) for p in points))


_NOT_A_LIST = object()

# The WABA's other analytics fields (Meta's "Analytics" guide): a response of one of them saved
# in an analytics folder is named for what it is, not read as a broken response of the folder's.
NOT_READ = {
    "analytics": "messaging analytics (field analytics: messages sent and delivered)",
    "template_analytics": "template analytics (field template_analytics: each template's "
                          "sent, delivered, read and clicks)",
    "template_group_analytics": "template group analytics (field template_group_analytics)",
    "call_analytics": "call analytics (field call_analytics)",
}
# A data point's count names its field when the response has no wrapper.
_COUNT_FIELDS = {"conversation": "conversation_analytics", "volume": "pricing_analytics"}


def response_field(body, folder: str) -> str:
    """Which of the WABA's analytics fields a saved response answers: the outer wrapper's key,
    else what its points count (`conversation`, `volume`; `template_id` of template analytics;
    messaging analytics' `data_points` straight under the body), else the folder's kind."""
    if not isinstance(body, dict):
        return folder
    wrapped = [name for name in (*ANALYTICS, *NOT_READ) if isinstance(body.get(name), dict)]
    if wrapped:
        return folder if folder in wrapped else wrapped[0]
    if isinstance(body.get("data_points"), list) and not isinstance(body.get("data"), list):
        return "analytics"
    points = [p for block in body.get("data") or [] if isinstance(block, dict)
              and isinstance(block.get("data_points"), list) for p in block["data_points"]
              if isinstance(p, dict)] if isinstance(body.get("data"), list) else []
    found = {_COUNT_FIELDS[k] for p in points for k in _COUNT_FIELDS if k in p}
    if len(found) == 1:
        return found.pop()
    if not found and any("template_id" in p for p in points):
        return "template_analytics"
    return folder


def no_data(body, field: str) -> bool:
    """True for a response without its field at all (`{"id": "<WABA>"}`, maybe with the
    account's `currency`): the Graph API leaves a field out when the period has no data."""
    return (isinstance(body, dict) and "id" in body and field not in body
            and set(body) <= {"id", "currency"})


def _data_points(body, field: str):
    """The data points of an analytics response, with or without the outer wrapper."""
    waba = None
    if isinstance(body, dict) and isinstance(body.get(field), dict):
        waba = body.get("id")
        body = body[field]
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):  # the API's error answer saved in place of the data
            said = str(error.get("message", "")).strip()
            code = f" (code {error['code']})" if "code" in error else ""
            raise ReportError(f"the file holds the Graph API's error answer, not data: "
                              f"{said[:200]!r}{code}; request the {field} again and save it")
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
    """Load one analytics response into `conversations` / `pricing_daily`.

    Each data point keeps its granularity and its response's dimensions (`dimensions`, e.g.
    "country,pricing_category": see `view_dimensions`); a dimension the response lacks is NULL,
    meaning all values together.
    A point replaces a stored one with the same granularity, dimensions, start and values, so
    re-loading a file or an overlapping one changes nothing; a file saved again replaces its
    earlier points of the days it spans in the same view; points of other views of the same
    days are kept apart and never added together (the consumption staging picks one view a day).
    """
    path = entry.path
    body, pages = _read(entry)
    answers, notes = response_field(body, kind), []
    if pages > 1:
        notes.append(f"{pages} pages of one response, one after another: read together")
    if answers in NOT_READ:
        result = FileResult(tenant.tenant_id, kind, str(path), "skipped", message=(
            f"Meta's {NOT_READ[answers]}, not {kind}: no report reads it, not read"))
        log(con, result, sha)
        return result
    # One request may ask for both fields (`?fields=conversation_analytics...,
    # pricing_analytics...`): each is read into its table; their points are numbered on.
    both = [f for f in ANALYTICS if isinstance(body, dict) and isinstance(body.get(f), dict)]
    fields = both if len(both) > 1 else [answers]
    if len(fields) > 1:
        notes.append("holds conversation_analytics and pricing_analytics: both read")
    elif answers != kind:  # saved in the other analytics folder: read as what it is
        notes.append(f"a {answers} response, not {kind}: read as {answers}")
    others = [f for f in NOT_READ if isinstance(body, dict) and isinstance(body.get(f), dict)]
    if others:  # `?fields=analytics...,pricing_analytics...`: one request for several fields
        notes.append("also holds " + ", ".join(NOT_READ[f] for f in others)
                     + ": no report reads it, not read")
    if no_data(body, answers):
        notes.append(f"the response holds no {answers}: Meta leaves it out when the period has "
                     "no data")
        return finish(con, tenant.tenant_id, kind, path, sha, 0, notes)
    loaded = numbered = 0
    for field in fields:
        records, points = _load_points(con, tenant, own, kind, field, body, entry, sha,
                                       numbered, len(fields) > 1)
        loaded, numbered = loaded + records, numbered + points
    return finish(con, tenant.tenant_id, kind, path, sha, loaded, notes)


def _load_points(con: duckdb.DuckDBPyConnection, tenant: TenantParams, own: Ownership,
                 kind: str, answers: str, body, entry: files.Entry, sha: str, before: int,
                 named: bool) -> tuple[int, int]:
    """One field's data points into its table and its rejected rows: (loaded, points).
    Points are numbered after `before`; `named` puts the field before a rejected row's place."""
    path = entry.path
    spec = ANALYTICS[answers]
    table = spec["table"]
    waba, points = _data_points(body, answers)
    display_waba = {digits(p.display_phone_number): p.waba_id for p in tenant.phone_numbers}
    # Without the outer wrapper (which names the WABA) and without the phone dimension, the
    # account is the tenant's only one, if it has one; else it is not known.
    wabas = {p.waba_id for p in tenant.phone_numbers if p.waba_id}
    only_waba = next(iter(wabas)) if len(wabas) == 1 else None
    rejects, valid = [], []
    # The outer wrapper names the account every point is of: another tenant's is not this
    # tenant's consumption, whatever its points say (an account no tenant declares is kept).
    foreign = waba in own.other_wabas
    # A response saved with the account's `currency` (`?fields=currency,<field>...`) says what
    # its costs are in: another currency than the tenant's would be shown as the tenant's.
    billed = body.get("currency") if isinstance(body, dict) and isinstance(
        body.get(answers), dict) else None
    billed = str(billed).strip().upper() if billed not in (None, "") else None
    for n, (where, point) in enumerate(points, start=before + 1):
        where = f"{answers}.{where}" if named else where
        problem = _check_point(point, spec, own)
        if foreign and not problem:
            rejects.append((n, "id", waba, "WhatsApp Business Account belongs to another tenant"))
        elif billed and billed != tenant.currency and not problem:
            rejects.append((n, "currency", billed[:20],
                            f"the account's costs are in {billed[:20]}, the tenant's settings "
                            f"say currency: {tenant.currency}"))
        elif problem:
            field = f"{where}.{problem[0]}" if problem[0] else where
            rejects.append((n, field, str(problem[1])[:200], problem[2]))
        else:
            valid.append((n, point))
    dimensions = view_dimensions([p for _, p in valid], spec["dimensions"])
    records = []
    for n, point in valid:
        phone = digits(str(point["phone_number"])) if _present(point, "phone_number") else None
        cost = point.get("cost")
        start, end = int(point["start"]), int(point["end"])
        record = {
            "waba_id": waba or (display_waba.get(phone) if phone else None) or only_waba,
            "start_ts": _ts(start), "end_ts": _ts(end),
            "granularity": granularity(start, end),
            "dimensions": dimensions,
            "phone_number": phone,
            "country": str(point["country"]).upper() if _present(point, "country") else None,
            "category": _category(point.get(spec["category"])),
            spec["count"][1]: int(point[spec["count"][0]]),
            "cost_usd": float(cost) if cost is not None else None,
            "source_line": n,
        }
        for name in spec["enums"]:
            value = str(point[name]).upper() if _present(point, name) else None
            # FREE_ENTRY is how some responses spell FREE_ENTRY_POINT.
            record[name] = "FREE_ENTRY_POINT" if value == "FREE_ENTRY" else value
        if answers == "pricing_analytics":
            record["tier"] = str(point["tier"]) if _present(point, "tier") else None
        records.append(record)
    if records:
        columns = [c for c in records[0] if c != "source_line"]
        con.register("incoming_points", pa.Table.from_pylist(records))
        identity = ("granularity", "dimensions", "start_ts", *IDENTITY[table])
        cols = ", ".join(columns)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE incoming AS
            SELECT {cols} FROM incoming_points
            QUALIFY row_number() OVER (PARTITION BY {', '.join(identity)}
                                       ORDER BY source_line DESC) = 1""")
        con.unregister("incoming_points")
        # The file saved again (the same request answered later): its earlier points of the
        # days the new answer spans, in the same view, are that answer's old version, and a
        # point Meta no longer gives (a category it moved, a day's phone number) must go.
        # Its points of other days stay: a file overwritten with another range of days is
        # another answer, and deleting those would lose them.
        con.execute(f"""
            DELETE FROM {table} t USING (
                SELECT granularity, dimensions, min(start_ts) AS first, max(end_ts) AS last
                FROM incoming GROUP BY ALL) i
            WHERE t.tenant_id = {quote(tenant.tenant_id)} AND t.source_file = {quote(str(path))}
              AND t.granularity = i.granularity
              AND t.dimensions IS NOT DISTINCT FROM i.dimensions
              AND t.start_ts >= i.first AND t.end_ts <= i.last""")
        same = " AND ".join(f"t.{c} IS NOT DISTINCT FROM i.{c}" for c in identity)
        con.execute(f"DELETE FROM {table} t USING incoming i "
                    f"WHERE t.tenant_id = {quote(tenant.tenant_id)} AND {same}")
        con.execute(f"""
            INSERT INTO {table} (tenant_id, {cols}, source_file)
            SELECT {quote(tenant.tenant_id)}, {cols}, {quote(str(path))} FROM incoming""")
        con.execute("DROP TABLE incoming")
    if rejects:
        con.executemany("INSERT INTO rejected_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        [(tenant.tenant_id, kind, str(path), line, field, value, reason, sha)
                         for line, field, value, reason in rejects])
    return len(records), len(points)


def _check_point(point, spec: dict, own: Ownership):
    """(field, value, reason) of the first problem of an analytics data point, or None.

    Only `start`, `end` and the count are required: every dimension may be absent (docs/sources.md,
    "Meta's analytics as Meta returns them"), but one that is present must be a known value.
    """
    if point is _NOT_A_LIST:
        return ("", "", "not a list")
    if not isinstance(point, dict):
        return ("*", point, "data point is not an object")
    for name in ("start", "end"):
        if _ts(point.get(name)) is None:
            return (name, point.get(name), "not a Unix timestamp (2015..2099)")
    if int(point["end"]) <= int(point["start"]):
        return ("end", point.get("end"), "not after start")
    count_field = spec["count"][0]
    count = point.get(count_field)
    if count_field not in point and "cost" in point:
        metric = count_field.upper()
        return (count_field, "", f"missing: a response requested with metric_types COST alone "
                f"has Meta's cost without the count; request it with {metric} too "
                f"(metric_types([\"COST\",\"{metric}\"]), or no metric_types)")
    if (isinstance(count, bool) or not isinstance(count, int) or count < 0
            or count > MAX_NUMBER):
        return (count_field, count, "not a whole number ≥ 0")
    cost = point.get("cost")
    if cost is not None and (not _number_ok(cost) or cost < 0):
        return ("cost", cost, "not a number ≥ 0")
    for name, allowed in spec["enums"].items():
        if _present(point, name) and str(point[name]).upper() not in allowed:
            return (name, point.get(name), "not one of " + ", ".join(allowed))
    category = point.get(spec["category"])
    if _present(point, spec["category"]) and _category(category) not in CATEGORIES:
        return (spec["category"], category, "unknown category")
    if _present(point, "tier") and (not isinstance(point["tier"], str | int)
                                    or isinstance(point["tier"], bool)):
        return ("tier", point["tier"], "not a text")
    for name in ("country", "phone_number"):
        if _present(point, name) and not isinstance(point[name], str | int):
            return (name, point[name], "not a text")
    if not _present(point, "phone_number"):
        return None
    phone = digits(str(point["phone_number"]))
    if not phone:
        return ("phone_number", point.get("phone_number"), "not a phone number")
    if phone in own.other_displays and phone not in own.own_displays:
        return ("phone_number", phone, "phone number belongs to another tenant")
    if own.own_displays and phone not in own.own_displays:
        return ("phone_number", phone, "phone number not declared for this tenant")
    return None
