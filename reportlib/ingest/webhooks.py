"""Meta's webhooks (`whatsapp_webhooks/*.jsonl`): one body per line, unnested in SQL.

DuckDB reads the file as lines (line number = file line, blank lines included) and parses each
line once with `json_transform` into the typed shape below: a value of the wrong JSON type
becomes NULL there, so every shape problem surfaces as a missing field and is rejected naming
it. Bodies of fields other than `messages` are counted and named in the file's result, never
rejected; of those, marketing preferences (`user_preferences`) and volume-based pricing tier
updates (`account_update`) are read.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from pathlib import Path

import duckdb

from reportlib import sources
from reportlib.errors import ReportError, printable
from reportlib.ingest import files
from reportlib.ingest.analytics import ANALYTICS, NOT_READ, response_field
from reportlib.ingest.ownership import Ownership
from reportlib.ingest.results import FileResult, finish
from reportlib.ingest.sql import quote, replace_rows, sql_set
from reportlib.params import TenantParams

MAX_LINE_BYTES = 16 << 20
UNIX_MIN, UNIX_MAX = 1_420_070_400, 4_102_444_800  # 2015-01-01 .. 2100-01-01
# A character that valid JSON text never holds raw: each line is read as one text column.
NO_DELIMITER = "\x01"

_TEXT = "VARCHAR"
STATUS_SHAPE = {
    "id": _TEXT, "status": _TEXT, "timestamp": _TEXT, "recipient_id": _TEXT,
    "recipient_type": _TEXT, "recipient_user_id": _TEXT, "type": _TEXT,
    "errors": [{"code": _TEXT, "title": _TEXT, "error_data": {"details": _TEXT}}],
    "pricing": {"billable": _TEXT, "pricing_model": _TEXT, "type": _TEXT, "category": _TEXT},
    "conversation": {"id": _TEXT, "origin": {"type": _TEXT}},
}
INBOUND_SHAPE = {
    "id": _TEXT, "from": _TEXT, "from_user_id": _TEXT, "timestamp": _TEXT, "type": _TEXT,
    "group_id": _TEXT, "context": {"id": _TEXT},
    "referral": {"source_type": _TEXT, "source_id": _TEXT},
    "button": {"text": _TEXT, "payload": _TEXT},
    "interactive": {"button_reply": {"id": _TEXT, "title": _TEXT},
                    "list_reply": {"id": _TEXT, "title": _TEXT}},
}
# A WhatsApp user's marketing opt-out or opt-in (field `user_preferences`).
PREFERENCE_SHAPE = {"wa_id": _TEXT, "user_id": _TEXT, "detail": _TEXT, "category": _TEXT,
                    "value": _TEXT, "timestamp": _TEXT}
# An `account_update` names its `event`; a volume-based pricing tier update carries
# `volume_tier_info`, kept as JSON text (NULL in every other body) and read only where the
# event says it is one, so that the typed read of the other bodies does not grow.
BODY_SHAPE = {"entry": [{"id": _TEXT, "changes": [{"field": _TEXT, "value": {
    "metadata": {"phone_number_id": _TEXT}, "statuses": [STATUS_SHAPE],
    "messages": [INBOUND_SHAPE], "contacts": [{"wa_id": _TEXT, "user_id": _TEXT}],
    "errors": [{"code": _TEXT}], "user_preferences": [PREFERENCE_SHAPE],
    "user_actions": ["JSON"], "event": _TEXT, "volume_tier_info": "JSON"}}]}]}
TIER_UPDATE = "VOLUME_BASED_PRICING_TIER_UPDATE"
# Meta's tier: messages delivered in the month, `lower:upper`; an open upper bound is `MAX`
# (as in Meta's pricing analytics) or empty.
TIER_RANGE = r"\d{1,15}:(\d{1,15}|MAX)?"
MONTH = r"(20[1-9]\d)-(0[1-9]|1[0-2])"
# A status of `type: payment` (Payments API: an order's payment captured, pending or failed)
# is not a message's status: counted, never read as one.
PAYMENT = "coalesce(lower(s.type), '') = 'payment'"

def _reject_case(record: str, prefix: str, after_id: str = "", last: str = "") -> str:
    """The first problem of a status or inbound message as {field, value, reason}, or NULL:
    both share the id, timestamp and phone-number checks; `after_id` and `last` add theirs."""
    return f"""CASE
    WHEN coalesce({record}.id, '') = ''
        THEN {{'field': '{prefix}id', 'value': '', 'reason': 'required field is empty'}}
    WHEN {record}.id[1] IN ('{{', '[')
        THEN {{'field': '{prefix}id', 'value': left({record}.id, 200), 'reason': 'not a text'}}
    {after_id}
    WHEN ts IS NULL
        THEN {{'field': '{prefix}timestamp', 'value': left({record}.timestamp, 200),
              'reason': 'not a Unix timestamp (2015..2099)'}}
    WHEN phone_problem IS NOT NULL
        THEN {{'field': 'metadata.phone_number_id', 'value': phone_id, 'reason': phone_problem}}
    {last}
    END"""


STATUS_REJECT = _reject_case(
    "s", "",
    after_id="""WHEN status IS NULL
        THEN {'field': 'status', 'value': left(s.status, 200), 'reason': 'unknown status'}""",
    last="""WHEN s.errors[1].code IS NOT NULL
             AND NOT regexp_full_match(s.errors[1].code, '\\d{1,18}')
        THEN {'field': 'errors[0].code', 'value': left(s.errors[1].code, 200),
              'reason': 'not a whole number'}""")
INBOUND_REJECT = _reject_case("m", "messages[].")


def _unix(expr: str) -> str:
    """Typed TIMESTAMPTZ of a JSON Unix-seconds value (number or numeric string), else NULL."""
    return (f"CASE WHEN regexp_full_match({expr}, '\\d{{1,12}}') "
            f"AND {expr}::BIGINT BETWEEN {UNIX_MIN} AND {UNIX_MAX} "
            f"THEN to_timestamp({expr}::BIGINT) END")


def _category(expr: str) -> str:
    return f"NULLIF(replace(replace(lower(trim({expr})), '-', '_'), ' ', '_'), '')"


def _json_error(text: str | None) -> str:
    """Python's account of why a line is not JSON, e.g. " (Expecting value)"; called for
    rejected lines only."""
    if text is None:
        return ""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f" ({exc.msg})"
    except (RecursionError, ValueError):
        pass
    return ""


def _shape_problem(text: str) -> str | None:
    """"field<TAB>reason" of the first wrong JSON type in a body the typed reader could not
    read whole, e.g. "value.statuses\tnot a list"; called for rejected lines only."""
    if text is None:
        return None
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return None
    entries = body.get("entry") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return "entry\tnot a list"
    for entry in entries:
        if not isinstance(entry, dict):
            return "entry[]\tnot an object"
        changes = entry.get("changes")
        if not isinstance(changes, list):
            return "changes\tnot a list"
        for change in changes:
            if not isinstance(change, dict):
                return "changes[]\tnot an object"
            if change.get("field", "messages") != "messages":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                return "value\tnot an object"
            if not isinstance(value.get("metadata", {}), dict):
                return "value.metadata\tnot an object"
            for name in ("statuses", "messages"):
                if name in value and not isinstance(value[name], list):
                    return f"value.{name}\tnot a list"
                for item in value.get(name) or []:
                    if not isinstance(item, dict):
                        return f"{name}[]\tnot an object"
    return None


def _without_lone_surrogates(text: str | None) -> str | None:
    """A body's JSON text with each unpaired UTF-16 surrogate escape (`\\ud83d` alone: an
    emoji cut in half, as in a truncated profile name) made U+FFFD, or None when it is no JSON.
    JSON's grammar allows such an escape (RFC 8259, section 8.2) and Python's parser reads it,
    but DuckDB's refuses the whole line, which would lose the body's statuses and messages for
    one broken character of a text ingest never stores. Called for such lines only."""
    if text is None:
        return None
    try:
        out = json.dumps(json.loads(text), ensure_ascii=False)
    except (ValueError, RecursionError):
        return None
    return out.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Python helpers the ingest SQL calls (once per connection).

    A helper that may return None is registered with null_handling="special": with DuckDB's
    default, a None returned for a non-NULL input fails the whole query (an unreadable file
    with an empty message) instead of giving NULL.
    """
    con.create_function("_json_error", _json_error, ["VARCHAR"], "VARCHAR",
                        side_effects=False, null_handling="special")
    con.create_function("_shape_problem", _shape_problem, ["VARCHAR"], "VARCHAR",
                        side_effects=False, null_handling="special")
    con.create_function("_without_lone_surrogates", _without_lone_surrogates, ["VARCHAR"],
                        "VARCHAR", side_effects=False, null_handling="special")
    con.create_function("utf16_base64_json", utf16_base64_json, ["VARCHAR"], "VARCHAR",
                        side_effects=False, null_handling="special")


def utf16_base64_json(content: str | None) -> str | None:
    """The platform's message content as text when it is a JSON object, else None: only a
    template's JSON is read from it. The content is base64 of UTF-16LE text; an export that
    left it plain is read as it is. Checked with Python's parser, because DuckDB's JSON
    functions fail the whole query on malformed text."""
    if content is None:
        return None
    try:
        text = base64.b64decode(content, validate=True).decode("utf-16-le").lstrip("\ufeff")
    except (ValueError, UnicodeDecodeError):
        text = content
    if not text.lstrip().startswith("{"):
        return None
    try:
        return text if isinstance(json.loads(text), dict) else None
    except (ValueError, RecursionError):
        return None


def _owner_problem(column: str, missing: str, what: str, own: frozenset[str],
                   others: frozenset[str]) -> str:
    """SQL: why `column` (a phone number id, an account id) is not the tenant's, else NULL:
    empty, another tenant's, or (when the tenant declares any) not one it declares."""
    cases = [f"WHEN coalesce({column}, '') = '' THEN '{missing}'",
             f"WHEN {column} IN {sql_set(others)} THEN '{what} belongs to another tenant'"]
    if own:
        cases.append(f"WHEN {column} NOT IN {sql_set(own)} "
                     f"THEN '{what} not declared for this tenant'")
    return "CASE " + " ".join(cases) + " END"


def _phone_problem(own: Ownership) -> str:
    return _owner_problem("phone_id", "metadata.phone_number_id is missing", "phone number",
                          own.own_phones, own.other_phones)


def _waba_problem(own: Ownership) -> str:
    """Of an account-level body (`account_update`): its WhatsApp Business Account."""
    return _owner_problem("waba", "required field is empty", "WhatsApp Business Account",
                          own.own_wabas, own.other_wabas)


def _read_lines(con: duckdb.DuckDBPyConnection, entry: files.Entry, table: str, rejects: str,
                scans: str) -> None:
    """The file's lines as the temp table `table` (raw), in order; undecodable or over-long
    lines into `rejects`."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT raw FROM read_csv(
            {quote(entry.path)}, header = false, columns = {{'raw': 'VARCHAR'}},
            delim = {quote(NO_DELIMITER)}, quote = '', escape = '', auto_detect = false,
            strict_mode = true, encoding = 'utf-8',
            compression = {quote(files.duckdb_compression(entry))},
            max_line_size = {MAX_LINE_BYTES}, store_rejects = true,
            rejects_table = {quote(rejects)}, rejects_scan = {quote(scans)})""")


def _stage(con: duckdb.DuckDBPyConnection, entry: files.Entry, own: Ownership) -> None:
    """Temp tables: wh_bodies (a line each), wh_changes, wh_statuses, wh_inbound,
    wh_preferences, wh_tiers, wh_contacts, wh_problems."""
    _read_lines(con, entry, "wh_lines", "wh_rejects", "wh_scans")
    # Parsed in parallel, in the file's order: rowids are consecutive (from an offset inside a
    # transaction), so `line` is computed without a row number, which would put every step on
    # one thread.
    record = "(wh_lines.rowid - (SELECT min(rowid) FROM wh_lines) + 1)"
    # Lines DuckDB rejected (not UTF-8, too long) are not in wh_lines: record k follows each
    # rejected line r_j (the j-th) with r_j - j < k, so its line is k plus their number.
    con.execute("""
        CREATE OR REPLACE TEMP TABLE wh_marks AS
        SELECT line - row_number() OVER (ORDER BY line) AS before
        FROM (SELECT DISTINCT line FROM wh_rejects)""")
    line = (f"{record} + (SELECT count(*) FROM wh_marks WHERE before < {record})"
            if con.execute("SELECT count(*) FROM wh_marks").fetchall()[0][0] else record)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE wh_bodies AS
        SELECT line, b, CASE WHEN b IS NULL THEN left(raw, 1 << 20) END AS bad_raw
        FROM (SELECT {line} AS line, raw,
                     TRY(json_transform(raw, {quote(json.dumps(BODY_SHAPE))})) AS b
              FROM wh_lines
              -- a blank line is no body; trimming only lines that start with a blank is
              -- twice as fast as trimming every line
              WHERE raw[1] NOT IN (' ', chr(9), chr(13)) OR trim(raw, ' \t\r') <> '')""")
    # A line that starts with a byte order mark (files joined one after another, each with
    # its own) is read again without it.
    if con.execute("SELECT 1 FROM wh_bodies WHERE b IS NULL LIMIT 1").fetchall():
        con.execute(f"""
            UPDATE wh_bodies w SET b = f.b, bad_raw = NULL
            FROM (SELECT line, TRY(json_transform(ltrim(bad_raw, chr(65279)),
                                                  {quote(json.dumps(BODY_SHAPE))})) AS b
                  FROM wh_bodies WHERE b IS NULL AND bad_raw[1] = chr(65279)) f
            WHERE w.line = f.line AND f.b IS NOT NULL""")
    # A line DuckDB's parser refused for an unpaired surrogate escape is read again without it
    # (`_without_lone_surrogates`); a line over 1 MiB (`bad_raw` keeps no more) stays refused.
    if con.execute("SELECT 1 FROM wh_bodies WHERE b IS NULL LIMIT 1").fetchall():
        con.execute(f"""
            UPDATE wh_bodies w SET b = f.b, bad_raw = NULL
            FROM (SELECT line, TRY(json_transform(_without_lone_surrogates(bad_raw),
                                                  {quote(json.dumps(BODY_SHAPE))})) AS b
                  FROM wh_bodies
                  WHERE b IS NULL AND regexp_matches(bad_raw, '\\\\u[dD][89a-fA-F]')) f
            WHERE w.line = f.line AND f.b IS NOT NULL""")
    # The text of the lines is let go at once (it is the largest table); the rare lines whose
    # JSON types need naming are read again below.
    con.execute("DROP TABLE wh_lines")
    # One row per change, without copying its statuses and messages (they are unnested
    # straight from wh_bodies below); e_i and c_i keep the order inside a line.
    changes = """
        SELECT line, e_i, e.id AS waba, e.changes IS NULL AS changes_missing,
               unnest(coalesce(e.changes, [NULL])) AS change,
               unnest(CASE WHEN e.changes IS NULL OR len(e.changes) = 0 THEN [1]
                           ELSE generate_series(1, len(e.changes)) END) AS c_i
        FROM (SELECT line, unnest(b.entry) AS e, unnest(generate_series(1, len(b.entry))) AS e_i
              FROM wh_bodies WHERE b.entry IS NOT NULL)"""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE wh_changes AS
        SELECT line, changes_missing, coalesce(change.field, 'messages') AS field,
               change.value IS NULL AS value_missing,
               CASE WHEN change.value IS NULL THEN left(change::VARCHAR, 200) END AS change_text,
               len(change.value.statuses) AS n_statuses, len(change.value.messages) AS n_messages,
               len(change.value.errors) AS n_errors,
               len(change.value.user_preferences) AS n_preferences,
               len(change.value.user_actions) AS n_user_actions,
               coalesce(change.field = 'account_update'
                        AND upper(change.value.event) = '{TIER_UPDATE}', false) AS tier_update
        FROM ({changes})""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE wh_problems AS
        SELECT line, '*' AS field, left(bad_raw, 200) AS value,
               'not valid JSON' || _json_error(bad_raw) AS reason
        FROM wh_bodies WHERE b IS NULL
        UNION ALL
        SELECT line, 'entry', left(b::VARCHAR, 200), 'webhook body has no entry[] list'
        FROM wh_bodies WHERE b IS NOT NULL AND b.entry IS NULL
        UNION ALL
        SELECT line, 'changes', NULL, 'missing or not a list' FROM wh_changes
        WHERE changes_missing
        UNION ALL
        SELECT line, 'value', change_text, 'missing or not an object'
        FROM wh_changes
        WHERE NOT changes_missing AND field = 'messages' AND value_missing""")
    phone_problem = _phone_problem(own)
    statuses = " ".join(f"WHEN {quote(k)} THEN {quote(v)}"
                        for k, v in sources.WEBHOOK_STATUSES.items())
    # (line, e_i, c_i, i) is an item's place in the file: the last of duplicates wins.
    messages = f"""SELECT line, e_i, c_i, waba,
                          change.value.metadata.phone_number_id AS phone_id, change.value
                   FROM ({changes})
                   WHERE coalesce(change.field, 'messages') = 'messages'
                     AND change.value IS NOT NULL"""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE wh_statuses AS
        SELECT *, CASE WHEN NOT _payment THEN {STATUS_REJECT} END AS _reject FROM (
            SELECT *, {PAYMENT} AS _payment, CASE lower(s.status) {statuses} END AS status,
                   {_unix("s.timestamp")} AS ts, {phone_problem} AS phone_problem
            FROM (SELECT line, e_i, c_i, waba, phone_id, unnest(value.statuses) AS s,
                         unnest(generate_series(1, len(value.statuses))) AS i
                  FROM ({messages})))""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE wh_inbound AS
        SELECT *, {INBOUND_REJECT} AS _reject FROM (
            SELECT *, {_unix("m.timestamp")} AS ts, {phone_problem} AS phone_problem
            FROM (SELECT line, e_i, c_i, phone_id, unnest(value.messages) AS m,
                         unnest(generate_series(1, len(value.messages))) AS i
                  FROM ({messages})))""")
    # Marketing opt-outs and opt-ins: kept per user, time and value.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE wh_preferences AS
        SELECT *, CASE
            WHEN coalesce(NULLIF(u.wa_id, ''), NULLIF(u.user_id, ''), '') = ''
                THEN {{'field': 'user_preferences[].wa_id', 'value': '',
                      'reason': 'required field is empty'}}
            WHEN ts IS NULL
                THEN {{'field': 'user_preferences[].timestamp', 'value': left(u.timestamp, 200),
                      'reason': 'not a Unix timestamp (2015..2099)'}}
            WHEN coalesce(lower(u.value), '') NOT IN ('stop', 'resume')
                THEN {{'field': 'user_preferences[].value', 'value': left(u.value, 200),
                      'reason': 'not one of stop, resume'}}
            WHEN phone_problem IS NOT NULL
                THEN {{'field': 'metadata.phone_number_id', 'value': phone_id,
                      'reason': phone_problem}}
            END AS _reject FROM (
            SELECT *, {_unix("u.timestamp")} AS ts, {phone_problem} AS phone_problem
            FROM (SELECT line, e_i, c_i, change.value.metadata.phone_number_id AS phone_id,
                         unnest(change.value.user_preferences) AS u,
                         unnest(generate_series(1, len(change.value.user_preferences))) AS i
                  FROM ({changes})
                  WHERE change.field = 'user_preferences' AND change.value IS NOT NULL))""")
    # Volume-based pricing tier updates: kept per effective month, region, category and tier.
    # Most files hold none: their changes are not unnested once more for it (a constant false
    # filter, which DuckDB answers without a scan; 4-5 % of a webhook file's load).
    any_tiers = bool(con.execute("SELECT 1 FROM wh_changes WHERE tier_update LIMIT 1").fetchall())
    # `info`: the change's volume_tier_info (JSON); each field of it read as text.
    tier_field = "json_extract_string(info, '$.{}')".format
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE wh_tiers AS
        SELECT *, CASE
            WHEN coalesce(json_type(info), '') <> 'OBJECT'
                THEN {{'field': 'volume_tier_info', 'value': left(info::VARCHAR, 200),
                      'reason': 'missing or not an object'}}
            WHEN month IS NULL
                THEN {{'field': 'volume_tier_info.effective_month',
                      'value': left(month_text, 200), 'reason': 'not a month (YYYY-MM)'}}
            WHEN category IS NULL
                THEN {{'field': 'volume_tier_info.pricing_category',
                      'value': left({tier_field("pricing_category")}, 200),
                      'reason': 'required field is empty'}}
            WHEN region IS NULL
                THEN {{'field': 'volume_tier_info.region',
                      'value': left({tier_field("region")}, 200),
                      'reason': 'required field is empty'}}
            WHEN NOT regexp_full_match(coalesce(tier, ''), '{TIER_RANGE}')
                 OR TRY_CAST(split_part(tier, ':', 2) AS BIGINT)
                    < TRY_CAST(split_part(tier, ':', 1) AS BIGINT)
                THEN {{'field': 'volume_tier_info.tier', 'value': left(tier, 200),
                      'reason': 'not a range of messages (lower:upper)'}}
            WHEN ts IS NULL
                THEN {{'field': 'volume_tier_info.tier_update_time',
                      'value': left({tier_field("tier_update_time")}, 200),
                      'reason': 'not a Unix timestamp (2015..2099)'}}
            WHEN waba_problem IS NOT NULL
                THEN {{'field': 'entry[].id', 'value': left(waba, 200), 'reason': waba_problem}}
            END AS _reject FROM (
            SELECT *, CASE WHEN regexp_full_match(month_text, '{MONTH}')
                           THEN try_strptime(month_text, '%Y-%m')::DATE END AS month,
                   {_category(tier_field("pricing_category"))} AS category,
                   NULLIF(upper(regexp_replace(trim({tier_field("region")}), '[\\s-]+', '_', 'g')),
                          '') AS region,
                   -- an open upper bound is stored one way, `MAX`: `2000001:` is the same tier
                   regexp_replace(upper(trim({tier_field("tier")})), ':$', ':MAX') AS tier,
                   {_unix(tier_field("tier_update_time"))} AS ts,
                   {_waba_problem(own)} AS waba_problem
            FROM (SELECT line, e_i, c_i, NULLIF(waba, '') AS waba,
                         change.value.volume_tier_info AS info,
                         trim(json_extract_string(change.value.volume_tier_info,
                                                  '$.effective_month')) AS month_text
                  FROM ({changes})
                  WHERE {str(any_tiers).lower()} AND change.field = 'account_update'
                    AND upper(change.value.event) = '{TIER_UPDATE}'))""")
    # Contacts that name a user's number and business-scoped user id together: the pair lets
    # an event that carries only one of them join the other (`user_id_pairs`).
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE wh_contacts AS
        SELECT line, e_i, c_i, phone_id, k.wa_id, k.user_id
        FROM (SELECT line, e_i, c_i, change.value.metadata.phone_number_id AS phone_id,
                     unnest(change.value.contacts) AS k
              FROM ({changes})
              WHERE coalesce(change.field, 'messages') IN ('messages', 'user_preferences')
                AND change.value IS NOT NULL)
        WHERE NULLIF(k.wa_id, '') IS NOT NULL AND NULLIF(k.user_id, '') IS NOT NULL
          AND {phone_problem} IS NULL""")
    # A readable body with nothing in it that ingest reads, and no other field, is a bad row.
    con.execute("""
        INSERT INTO wh_problems
        SELECT line, 'entry', left(b::VARCHAR, 200), 'no statuses[] or messages[] in body'
        FROM wh_bodies b
        WHERE b.b.entry IS NOT NULL
          AND line NOT IN (SELECT line FROM wh_problems
                           UNION ALL
                           SELECT line FROM wh_changes
                           WHERE (field <> 'messages' AND field <> 'user_preferences')
                              OR n_statuses > 0 OR n_messages > 0 OR n_errors > 0
                              OR n_preferences > 0 OR n_user_actions > 0)""")
    # Where the typed reader saw a field as missing, name the wrong JSON type precisely: only
    # those lines are handed to Python (DuckDB would otherwise call it for every line).
    if con.execute("SELECT 1 FROM wh_problems WHERE field <> '*' LIMIT 1").fetchall():
        _read_lines(con, entry, "wh_lines", "wh_rejects_again", "wh_scans_again")
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE wh_shapes AS
            SELECT l.line, l.raw FROM (SELECT {line} AS line, raw FROM wh_lines) l
            SEMI JOIN (SELECT line FROM wh_problems WHERE field <> '*') p ON p.line = l.line""")
        con.execute("""
            UPDATE wh_problems p SET field = split_part(x.shape, chr(9), 1),
                                     reason = split_part(x.shape, chr(9), 2)
            FROM (SELECT line, _shape_problem(raw) AS shape FROM wh_shapes) x
            WHERE p.line = x.line AND p.field <> '*' AND x.shape IS NOT NULL""")
        con.execute("DROP TABLE wh_shapes; DROP TABLE wh_lines; DROP TABLE wh_rejects_again; "
                    "DROP TABLE wh_scans_again")


# Bodies written as JSON documents are parsed whole in Python, about five times their size
# in memory: a file of them larger than this is refused (one body a line has no bound).
MAX_DOCUMENT_BYTES = 64 << 20


def _first_text_line(entry: files.Entry) -> bytes:
    with files.open_bytes(entry) as handle:
        for raw in iter(lambda: handle.readline(1 << 20), b""):
            if raw.strip():
                return raw.strip().removeprefix(b"\xef\xbb\xbf")
    return b""


def _not_analytics(body) -> None:
    """An analytics response saved among the webhooks is the file's one reason, saying where
    it belongs, not a rejected row 'entry: not a list'."""
    if not isinstance(body, dict) or "entry" in body:
        return
    answers = response_field(body, "")
    if answers in ANALYTICS:
        raise ReportError(f"a {answers} response of Meta's analytics, not webhook bodies: it "
                          f"belongs in {answers}/")
    if answers in NOT_READ:
        raise ReportError(f"Meta's {NOT_READ[answers]}, not webhook bodies: no report reads it")


def as_lines(entry: files.Entry) -> tuple[Path, int, list[int], bool] | None:
    """(a temporary copy of one body a line, the number of bodies, the lines where a part
    that is no JSON starts, whether the last of them runs to the file's end) for a file that
    holds its bodies as JSON documents over several lines: Meta's examples as its pages print
    them (indented: a first line `{` alone), several of them one after another, a JSON array
    of bodies (`[`), a `.json` file of one body; None for a file of one body a line, whatever
    its lines hold (a first line cut short or holding two bodies is that line's problem, read
    line by line: taken for documents, every good line after it was lost)."""
    first = _first_text_line(entry)
    if first.startswith(b"{"):
        try:
            one = json.loads(first)
        except (ValueError, RecursionError):
            one = None
        if isinstance(one, dict):  # the first line is a whole body: one body a line
            _not_analytics(one)
            return None
        if first != b"{":
            return None
    elif not first.startswith(b"["):
        return None
    with files.open_bytes(entry) as handle:
        data = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise ReportError(
            f"webhook bodies written as JSON documents over several lines (indented, or in an "
            f"array), more than {MAX_DOCUMENT_BYTES >> 20} MiB of them: nothing of it was "
            "read; write one body a line (JSONL), as Meta sends them, and it is read whatever "
            "its size")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    decoder, lines, bodies, broken, at, end = json.JSONDecoder(), [], 0, [], 0, 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            break
        try:
            document, at = decoder.raw_decode(text, at)
        except (ValueError, RecursionError):
            if not bodies and not broken:  # not JSON documents: its lines are read as such
                return None
            # A body broken part way (a bad edit, a file cut short): it is one rejected row,
            # from the line where it starts to the next body's first line (`{` at a line's
            # start), and the bodies after it are read.
            after = text.find("\n{", at + 1)
            end = len(text) if after < 0 else after + 1
            broken.append(text.count("\n", 0, at) + 1)
            lines.append((f"(from line {broken[-1]}) " + " ".join(text[at:end].split())
                          )[:MAX_LINE_BYTES // 4])
            at = end
            continue
        for body in document if isinstance(document, list) else [document]:
            _not_analytics(body)
            lines.append(json.dumps(body))
            bodies += 1
    fd, name = tempfile.mkstemp(prefix=".webhooks-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.writelines(line + "\n" for line in lines)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), bodies, broken, bool(broken) and end == len(text)


def load_webhooks(con: duckdb.DuckDBPyConnection, tenant: TenantParams, own: Ownership,
                  entry: files.Entry, sha: str) -> FileResult:
    """Load one JSONL file of webhook bodies into `message_status_events`, `inbound_messages`,
    `user_preferences`, `volume_tier_updates` and `contact_user_ids`."""
    if not files.first_line(entry).strip() and files.is_empty(entry):
        raise ReportError("empty file: no webhook body")
    documents = as_lines(entry)
    if documents is None:
        _stage(con, entry, own)
    else:
        try:
            _stage(con, files.Entry(documents[0], "read"), own)
        finally:
            documents[0].unlink(missing_ok=True)
    path, tid = str(entry.path), quote(tenant.tenant_id)
    con.execute(f"""
        INSERT INTO rejected_rows
        SELECT {tid}, 'whatsapp_webhooks', {quote(path)}, line, field, value, reason,
               {quote(sha)}
        FROM (SELECT line, field, value, reason FROM wh_problems
              UNION ALL
              SELECT line, '*', left(csv_line, 200),
                     CASE error_type WHEN 'LINE SIZE OVER MAXIMUM'
                          THEN 'line longer than {MAX_LINE_BYTES >> 20} MiB'
                          WHEN 'INVALID UNICODE' THEN 'not UTF-8'
                          WHEN 'INVALID ENCODING' THEN 'not UTF-8'
                          ELSE 'not valid JSON' END
              FROM wh_rejects
              UNION ALL
              SELECT line, _reject.field, _reject.value, _reject.reason FROM wh_statuses
              WHERE _reject IS NOT NULL
              UNION ALL
              SELECT line, _reject.field, _reject.value, _reject.reason FROM wh_inbound
              WHERE _reject IS NOT NULL
              UNION ALL
              SELECT line, _reject.field, _reject.value, _reject.reason FROM wh_preferences
              WHERE _reject IS NOT NULL
              UNION ALL
              SELECT line, _reject.field, _reject.value, _reject.reason FROM wh_tiers
              WHERE _reject IS NOT NULL)
        ORDER BY line""")
    replace_rows(con, "message_status_events", tenant.tenant_id,
                 ("message_id", "status", "ts"), [
        "message_id", "status", "ts", "recipient_id", "phone_number_id", "waba_id",
        "error_code", "error_title", "pricing_billable", "pricing_model", "pricing_type",
        "pricing_category", "conversation_id", "conversation_origin", "source_file",
        "source_line", "recipient_type", "recipient_user_id", "error_details"], f"""
        SELECT {tid}, s.id, status, ts, NULLIF(s.recipient_id, ''), phone_id,
               NULLIF(waba, ''), s.errors[1].code::BIGINT, s.errors[1].title,
               CASE lower(s.pricing.billable) WHEN 'true' THEN true WHEN 'false' THEN false END,
               s.pricing.pricing_model, s.pricing.type, {_category("s.pricing.category")},
               s.conversation.id, s.conversation.origin.type, {quote(path)}, line,
               NULLIF(lower(s.recipient_type), ''), NULLIF(s.recipient_user_id, ''),
               left(NULLIF(s.errors[1].error_data.details, ''), 1000)
        FROM wh_statuses WHERE _reject IS NULL AND NOT _payment
        QUALIFY row_number() OVER (PARTITION BY s.id, status, ts
                                  ORDER BY line DESC, e_i DESC, c_i DESC, i DESC) = 1""")
    replace_rows(con, "inbound_messages", tenant.tenant_id, ("message_id",), [
        "message_id", "from_id", "ts", "type", "context_id", "button_text", "button_payload",
        "phone_number_id", "source_file", "source_line", "from_user_id",
        "referral_source_type", "referral_source_id", "group_id"], f"""
        SELECT {tid}, m.id, NULLIF(m.from, ''), ts, coalesce(m.type, ''), m.context.id,
               coalesce(m.button.text, m.interactive.button_reply.title,
                        m.interactive.list_reply.title),
               coalesce(m.button.payload, m.interactive.button_reply.id,
                        m.interactive.list_reply.id),
               phone_id, {quote(path)}, line, NULLIF(m.from_user_id, ''),
               NULLIF(m.referral.source_type, ''), NULLIF(m.referral.source_id, ''),
               NULLIF(m.group_id, '')
        FROM wh_inbound WHERE _reject IS NULL
        QUALIFY row_number() OVER (PARTITION BY m.id
                                  ORDER BY line DESC, e_i DESC, c_i DESC, i DESC) = 1""")
    replace_rows(con, "user_preferences", tenant.tenant_id, ("wa_id", "value", "ts"), [
        "wa_id", "user_id", "category", "value", "detail", "ts", "phone_number_id",
        "source_file", "source_line"], f"""
        SELECT {tid}, coalesce(NULLIF(u.wa_id, ''), NULLIF(u.user_id, '')), NULLIF(u.user_id, ''),
               lower(u.category), lower(u.value), left(u.detail, 500), ts, phone_id,
               {quote(path)}, line
        FROM wh_preferences WHERE _reject IS NULL
        QUALIFY row_number() OVER (PARTITION BY coalesce(NULLIF(u.wa_id, ''),
                                                         NULLIF(u.user_id, '')),
                                                lower(u.value), ts
                                  ORDER BY line DESC, e_i DESC, c_i DESC, i DESC) = 1""")
    # A tier reached twice (Meta repeats a webhook; a month's tier sent again) keeps the time
    # it was first reached, whatever order the files are loaded in.
    replace_rows(con, "volume_tier_updates", tenant.tenant_id,
                 ("effective_month", "region", "category", "tier"), [
        "effective_month", "region", "category", "tier", "ts", "waba_id", "source_file",
        "source_line"], f"""
        SELECT {tid}, month, region, category, tier, ts, waba, {quote(path)}, line
        FROM wh_tiers WHERE _reject IS NULL
        QUALIFY row_number() OVER (PARTITION BY month, region, category, tier
                                  ORDER BY ts, line, e_i, c_i) = 1""",
                 replaces="i.ts <= t.ts")
    # A contact is seen when the latest item of its change happened.
    replace_rows(con, "contact_user_ids", tenant.tenant_id, ("wa_id", "user_id"), [
        "wa_id", "user_id", "ts", "phone_number_id", "source_file", "source_line"], f"""
        SELECT {tid}, k.wa_id, k.user_id, t.ts, k.phone_id, {quote(path)}, k.line
        FROM wh_contacts k
        LEFT JOIN (SELECT line, e_i, c_i, max(ts) AS ts
                   FROM (SELECT line, e_i, c_i, ts FROM wh_statuses
                         WHERE _reject IS NULL AND NOT _payment
                         UNION ALL
                         SELECT line, e_i, c_i, ts FROM wh_inbound WHERE _reject IS NULL
                         UNION ALL
                         SELECT line, e_i, c_i, ts FROM wh_preferences WHERE _reject IS NULL)
                   GROUP BY ALL) t USING (line, e_i, c_i)
        QUALIFY row_number() OVER (PARTITION BY k.wa_id, k.user_id
                                  ORDER BY t.ts DESC NULLS LAST, k.line DESC) = 1""")
    loaded = con.execute(
        "SELECT (SELECT count(*) FROM wh_statuses WHERE _reject IS NULL AND NOT _payment) "
        "+ (SELECT count(*) FROM wh_inbound WHERE _reject IS NULL) "
        "+ (SELECT count(*) FROM wh_preferences WHERE _reject IS NULL)").fetchall()[0][0]
    tiers = con.execute("SELECT count(*) FROM wh_tiers WHERE _reject IS NULL").fetchall()[0][0]
    # Other fields, and what a `messages` body may hold besides statuses and messages.
    others = con.execute(
        "SELECT field, count(*) FROM wh_changes WHERE field NOT IN ('messages', "
        "'user_preferences') AND NOT tier_update GROUP BY field "
        "UNION ALL SELECT 'messages: payment statuses', count(*) FROM wh_statuses "
        "WHERE _payment HAVING count(*) > 0 "
        "UNION ALL SELECT 'messages: user_actions', sum(n_user_actions) FROM wh_changes "
        "WHERE field = 'messages' HAVING sum(n_user_actions) > 0 ORDER BY 1").fetchall()
    errors = con.execute("SELECT sum(n_errors) FROM wh_changes").fetchall()[0][0]
    con.execute("DROP TABLE wh_bodies; DROP TABLE wh_changes; DROP TABLE wh_problems; "
                "DROP TABLE wh_statuses; DROP TABLE wh_inbound; DROP TABLE wh_preferences; "
                "DROP TABLE wh_tiers; "
                "DROP TABLE wh_contacts; "
                "DROP TABLE IF EXISTS wh_rejects; DROP TABLE IF EXISTS wh_scans; "
                "DROP TABLE IF EXISTS wh_marks")
    notes = []
    if documents is not None:
        count, broken = documents[1], documents[2]
        rest = (f", then no JSON from line {broken[0]} on (one rejected row)"
                if len(broken) == 1 and documents[3] else
                f", and 1 part that is no JSON, from line {broken[0]} (a rejected row)"
                if len(broken) == 1 else
                f", and {len(broken)} parts that are no JSON, from lines "
                f"{', '.join(map(str, broken))} (a rejected row each)" if broken else "")
        notes.append(f"bodies written as JSON documents (indented, or in an array), not one a "
                     f"line: {count} bod{'y' if count == 1 else 'ies'}{rest}, a row's line is "
                     "its body's place")
    if others:
        notes.append("other webhook fields, counted and not read: "
                     + ", ".join(f"{printable(name)} ({count})" for name, count in others))
    if tiers:
        notes.append(f"volume-based pricing tier updates kept: {tiers}")
    if errors:
        notes.append(f"errors reported by Meta outside any message: {errors}")
    return finish(con, tenant.tenant_id, "whatsapp_webhooks", Path(path), sha, loaded + tiers,
                  notes)
