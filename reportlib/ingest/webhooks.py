"""Meta's webhooks (`whatsapp_webhooks/*.jsonl`): one body per line, unnested in SQL.

DuckDB reads the file as lines (line number = file line, blank lines included), parses each with
its JSON reader and unnests entry[] → changes[] → statuses[] / messages[]. Every shape problem
becomes a rejected row naming the field; bodies of fields other than `messages` are counted and
named in the file's result, never rejected.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from reportlib import sources
from reportlib.ingest import files
from reportlib.ingest.ownership import Ownership
from reportlib.ingest.results import FileResult, finish
from reportlib.ingest.sql import quote, sql_set
from reportlib.params import TenantParams

MAX_LINE_BYTES = 16 << 20
UNIX_MIN, UNIX_MAX = 1_420_070_400, 4_102_444_800  # 2015-01-01 .. 2100-01-01
# A character that valid JSON text never holds raw: each line is read as one text column.
NO_DELIMITER = "\x01"


STATUS_REJECT = """CASE
    WHEN json_type(s) <> 'OBJECT'
        THEN {'field': 'statuses[]', 'value': left(s::VARCHAR, 200),
              'reason': 'status is not an object'}
    WHEN coalesce(s->>'id', '') = ''
        THEN {'field': 'id', 'value': '', 'reason': 'required field is empty'}
    WHEN status IS NULL
        THEN {'field': 'status', 'value': left(s->>'status', 200), 'reason': 'unknown status'}
    WHEN ts IS NULL
        THEN {'field': 'timestamp', 'value': left(s->>'timestamp', 200),
              'reason': 'not a Unix timestamp (2015..2099)'}
    WHEN phone_problem IS NOT NULL
        THEN {'field': 'metadata.phone_number_id', 'value': phone_id, 'reason': phone_problem}
    WHEN code_text IS NOT NULL AND NOT regexp_full_match(code_text, '\\d{1,18}')
        THEN {'field': 'errors[0].code', 'value': left(code_text, 200),
              'reason': 'not a whole number'}
    END"""
INBOUND_REJECT = """CASE
    WHEN json_type(m) <> 'OBJECT' OR coalesce(m->>'id', '') = ''
        THEN {'field': 'messages[].id', 'value': '', 'reason': 'required field is empty'}
    WHEN ts IS NULL
        THEN {'field': 'messages[].timestamp', 'value': left(m->>'timestamp', 200),
              'reason': 'not a Unix timestamp (2015..2099)'}
    WHEN phone_problem IS NOT NULL
        THEN {'field': 'metadata.phone_number_id', 'value': phone_id, 'reason': phone_problem}
    END"""

def _unix(expr: str) -> str:
    """Typed TIMESTAMPTZ of a JSON Unix-seconds value (number or numeric string), else NULL."""
    return (f"CASE WHEN regexp_full_match({expr}, '\\d{{1,12}}') "
            f"AND {expr}::BIGINT BETWEEN {UNIX_MIN} AND {UNIX_MAX} "
            f"THEN to_timestamp({expr}::BIGINT) END")


def _category(expr: str) -> str:
    return f"NULLIF(replace(replace(lower(trim({expr})), '-', '_'), ' ', '_'), '')"


def _json_error(text: str) -> str:
    """Python's account of why a line DuckDB found invalid is not JSON, e.g. " (Expecting
    value)"; called for rejected lines only."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f" ({exc.msg})"
    except (RecursionError, ValueError):
        pass
    return ""


def register_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Python helpers the webhook SQL calls (once per connection)."""
    con.create_function("_json_error", _json_error, ["VARCHAR"], "VARCHAR",
                        side_effects=False)


def _phone_problem(own: Ownership) -> str:
    cases = ["WHEN coalesce(phone_id, '') = '' THEN 'metadata.phone_number_id is missing'",
             f"WHEN phone_id IN {sql_set(own.other_phones)} "
             "THEN 'phone number belongs to another tenant'"]
    if own.own_phones:
        cases.append(f"WHEN phone_id NOT IN {sql_set(own.own_phones)} "
                     "THEN 'phone number not declared for this tenant'")
    return "CASE " + " ".join(cases) + " END"


def _stage(con: duckdb.DuckDBPyConnection, entry: files.Entry, own: Ownership) -> None:
    """Temp tables: `wh_changes` (one row per change of a readable body), `wh_problems`."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE wh_lines AS
        SELECT row_number() OVER () AS line, raw FROM read_csv(
            {quote(entry.path)}, header = false, columns = {{'raw': 'VARCHAR'}},
            delim = {quote(NO_DELIMITER)}, quote = '', escape = '', auto_detect = false,
            strict_mode = true, encoding = 'utf-8',
            compression = {quote(files.duckdb_compression(entry))},
            max_line_size = {MAX_LINE_BYTES}, store_rejects = true,
            rejects_table = 'wh_rejects', rejects_scan = 'wh_scans')""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE wh_bodies AS
        SELECT line, left(raw, 200) AS head, TRY(json(raw)) AS body,
               CASE WHEN body IS NULL THEN left(raw, 1 << 20) END AS bad_raw
        FROM wh_lines WHERE trim(raw, ' \t\r') <> ''""")
    con.execute("DROP TABLE wh_lines")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE wh_changes AS
        WITH entries AS (
            SELECT line, unnest(json_extract(body, '$.entry[*]')) AS entry FROM wh_bodies
            WHERE json_type(body->'entry') = 'ARRAY'
        ), changes AS (
            SELECT line, entry->>'id' AS waba, json_type(entry) AS entry_type,
                   json_type(entry->'changes') AS changes_type,
                   unnest(CASE WHEN json_type(entry->'changes') = 'ARRAY'
                               THEN json_extract(entry, '$.changes[*]') ELSE [NULL] END)
                       AS change
            FROM entries
        )
        SELECT line, waba, change, field, value, phone_id, CASE
                WHEN entry_type <> 'OBJECT' THEN {'field': 'entry[]', 'reason': 'not an object'}
                WHEN changes_type IS DISTINCT FROM 'ARRAY'
                    THEN {'field': 'changes', 'reason': 'not a list'}
                WHEN json_type(change) <> 'OBJECT'
                    THEN {'field': 'changes[]', 'reason': 'not an object'}
                WHEN field <> 'messages' THEN NULL
                WHEN json_type(value) IS DISTINCT FROM 'OBJECT'
                    THEN {'field': 'value', 'reason': 'not an object'}
                WHEN json_type(value->'metadata') IS DISTINCT FROM 'OBJECT'
                    THEN {'field': 'value.metadata', 'reason': 'not an object'}
                WHEN json_type(value->'statuses') NOT IN ('ARRAY', 'NULL')
                    THEN {'field': 'value.statuses', 'reason': 'not a list'}
                WHEN json_type(value->'messages') NOT IN ('ARRAY', 'NULL')
                    THEN {'field': 'value.messages', 'reason': 'not a list'}
                END AS problem
        FROM (SELECT *, coalesce(change->>'field', 'messages') AS field,
                     change->'value' AS value,
                     change->'value'->'metadata'->>'phone_number_id' AS phone_id
              FROM changes)""")
    con.execute("""
        CREATE OR REPLACE TEMP TABLE wh_problems AS
        SELECT line, '*' AS field, head AS value, 'not valid JSON' || _json_error(bad_raw)
               AS reason
        FROM wh_bodies WHERE body IS NULL
        UNION ALL
        SELECT line, 'entry', head, 'webhook body has no entry[] list'
        FROM wh_bodies WHERE body IS NOT NULL AND json_type(body->'entry') IS DISTINCT FROM 'ARRAY'
        UNION ALL
        SELECT line, problem.field, left(change::VARCHAR, 200), problem.reason
        FROM wh_changes WHERE problem IS NOT NULL""")
    phone_problem = _phone_problem(own)
    statuses = " ".join(f"WHEN {quote(k)} THEN {quote(v)}"
                        for k, v in sources.WEBHOOK_STATUSES.items())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE wh_statuses AS
        SELECT *, {STATUS_REJECT} AS _reject FROM (
        SELECT line, row_number() OVER () AS _ord, s, waba, phone_id,
               CASE lower(s->>'status') {statuses} END AS status,
               {_unix("(s->>'timestamp')")} AS ts,
               s->'errors'->0->>'code' AS code_text, {phone_problem} AS phone_problem
        FROM (SELECT line, waba, phone_id, unnest(json_extract(value, '$.statuses[*]')) AS s
              FROM wh_changes WHERE field = 'messages' AND problem IS NULL))""")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE wh_inbound AS
        SELECT *, {INBOUND_REJECT} AS _reject FROM (
        SELECT line, row_number() OVER () AS _ord, m, phone_id,
               {_unix("(m->>'timestamp')")} AS ts, {phone_problem} AS phone_problem
        FROM (SELECT line, phone_id, unnest(json_extract(value, '$.messages[*]')) AS m
              FROM wh_changes WHERE field = 'messages' AND problem IS NULL))""")


def load_webhooks(con: duckdb.DuckDBPyConnection, tenant: TenantParams, own: Ownership,
                  entry: files.Entry, sha: str) -> FileResult:
    _stage(con, entry, own)
    path, tid = str(entry.path), quote(tenant.tenant_id)
    # A readable body with nothing in it that ingest reads, and no other field, is a bad row.
    con.execute("""
        INSERT INTO wh_problems
        SELECT b.line, 'entry', b.head, 'no statuses[] or messages[] in body' FROM wh_bodies b
        WHERE b.body IS NOT NULL AND json_type(b.body->'entry') = 'ARRAY'
          AND b.line NOT IN (SELECT line FROM wh_problems)
          AND b.line NOT IN (SELECT line FROM wh_statuses)
          AND b.line NOT IN (SELECT line FROM wh_inbound)
          AND b.line NOT IN (SELECT line FROM wh_changes WHERE field <> 'messages')""")
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
              WHERE _reject IS NOT NULL)
        ORDER BY line""")
    con.execute(f"""
        INSERT OR REPLACE INTO message_status_events (
            tenant_id, message_id, status, ts, recipient_id, phone_number_id, waba_id,
            error_code, error_title, pricing_billable, pricing_model, pricing_type,
            pricing_category, conversation_id, conversation_origin, source_file, source_line)
        SELECT {tid}, s->>'id', status, ts, NULLIF(s->>'recipient_id', ''), phone_id,
               NULLIF(waba, ''), code_text::BIGINT, s->'errors'->0->>'title',
               CASE WHEN json_type(s->'pricing'->'billable') = 'BOOLEAN'
                    THEN (s->'pricing'->>'billable')::BOOLEAN END,
               s->'pricing'->>'pricing_model', s->'pricing'->>'type',
               {_category("(s->'pricing'->>'category')")},
               s->'conversation'->>'id', s->'conversation'->'origin'->>'type',
               {quote(path)}, line
        FROM wh_statuses WHERE _reject IS NULL
        QUALIFY row_number() OVER (PARTITION BY s->>'id', status, ts ORDER BY _ord DESC) = 1""")
    con.execute(f"""
        INSERT OR REPLACE INTO inbound_messages (
            tenant_id, message_id, from_id, ts, type, context_id, button_text, button_payload,
            phone_number_id, source_file, source_line)
        SELECT {tid}, m->>'id', NULLIF(m->>'from', ''), ts, coalesce(m->>'type', ''),
               m->'context'->>'id',
               coalesce(m->'button'->>'text', m->'interactive'->'button_reply'->>'title',
                        m->'interactive'->'list_reply'->>'title'),
               coalesce(m->'button'->>'payload', m->'interactive'->'button_reply'->>'id',
                        m->'interactive'->'list_reply'->>'id'),
               phone_id, {quote(path)}, line
        FROM wh_inbound WHERE _reject IS NULL
        QUALIFY row_number() OVER (PARTITION BY m->>'id' ORDER BY _ord DESC) = 1""")
    loaded = con.execute(
        "SELECT (SELECT count(*) FROM wh_statuses WHERE _reject IS NULL) "
        "+ (SELECT count(*) FROM wh_inbound WHERE _reject IS NULL)").fetchall()[0][0]
    others = con.execute(
        "SELECT field, count(*) FROM wh_changes WHERE field <> 'messages' "
        "GROUP BY field ORDER BY field").fetchall()
    con.execute("DROP TABLE wh_bodies; DROP TABLE wh_changes; DROP TABLE wh_problems; "
                "DROP TABLE wh_statuses; DROP TABLE wh_inbound; DROP TABLE IF EXISTS wh_rejects; "
                "DROP TABLE IF EXISTS wh_scans")
    notes = []
    if others:
        notes.append("other webhook fields, not read: "
                     + ", ".join(f"{name} ({count})" for name, count in others))
    return finish(con, tenant.tenant_id, "whatsapp_webhooks", Path(path), sha, loaded, notes)
