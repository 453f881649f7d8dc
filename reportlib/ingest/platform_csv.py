"""The platform's CSV exports: parsed by DuckDB's `read_csv`, validated by one SQL query.

The header is read in Python (one line) to map the file's columns onto the declared schema;
every row is then read by DuckDB as text (`store_rejects` keeps structurally broken lines with
their line numbers), and every check that is not structural runs as SQL over the staged rows.
A row's `line` is its line in the file when each record is one line; where a quoted field spans
lines, or blank lines precede it, it is the record number (header = 1) instead.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from reportlib import sources
from reportlib.errors import ReportError
from reportlib.ingest import csv_lines, files
from reportlib.ingest.ownership import Ownership
from reportlib.ingest.results import FileResult, finish
from reportlib.ingest.sql import MAX_CELL, field_checks, ownership_checks, quote, replace_rows
from reportlib.params import TenantParams

# A record longer than this is rejected whole (a line of very many fields, or longer than
# this, is set aside before the read: csv_lines).
MAX_LINE_BYTES = csv_lines.MAX_LINE_BYTES

STRUCTURAL_REASONS = {
    "UNQUOTED VALUE": "not valid CSV (a quote opened and never closed)",
    "INVALID ENCODING": "not UTF-8",
    "INVALID UNICODE": "not UTF-8",
    "LINE SIZE OVER MAXIMUM": f"line longer than {MAX_LINE_BYTES >> 20} MiB",
}


# Trimmed where a cell starts or ends: blanks, and a byte order mark (a line of a file joined
# after another with `cat` starts with one: its first cell, a MessageId, kept it, an id that
# joins nothing).
WHITESPACE = "(' ', chr(9), chr(10), chr(13), chr(65279))"


def _cell_text(cell: str, max_length: int) -> str:
    """A cell's text trimmed of blanks (and a byte order mark, and then of the quotes the
    reader left on a quoted cell after one), NULL when empty, cut one
    character past its field's maximum (or MAX_CELL, if larger): a longer cell is then still
    rejected by that maximum, while a field that may hold more than MAX_CELL (JSON, message
    content) is read whole. Trimming only where a cell starts or ends with a blank is three
    times cheaper than trimming every cell."""
    keep = max(MAX_CELL, max_length) + 1
    bare = f"trim({cell}, ' \t\r\n\ufeff')"
    # A byte order mark before a quoted first cell: the reader took the quotes as text.
    trimmed = (f"CASE WHEN {cell}[1] = chr(65279) AND strlen({bare}) > 1 "
               f"AND {bare}[1] = '\"' AND {bare}[-1] = '\"' "
               f"THEN NULLIF(replace({bare}[2:-2], '\"\"', '\"'), '') "
               f"WHEN {cell}[1] IN {WHITESPACE} OR {cell}[-1] IN {WHITESPACE} "
               f"THEN NULLIF({bare}, '') ELSE NULLIF({cell}, '') END")
    return f"CASE WHEN strlen({cell}) > {keep} THEN left({trimmed}, {keep}) ELSE {trimmed} END"


def _delimiter(header: str) -> str:
    """`,`, `;` or a tab (a spreadsheet's "text" or "Unicode text"): the one the header holds
    most of, `,` on a tie."""
    return max((",", ";", "\t"), key=header.count)


def _positions(header: list[str], src: sources.CsvSource,
               column_map: dict[str, str]) -> tuple[dict, list, list]:
    """(canonical column → positions, unknown names, missing required names) of a header read
    as the shape `src`; `column_map` (the tenant's params) renames a file's columns first.

    A field may come under its name and under an alias (`ClosedDate` and `CloseDate`): both are
    read, the name's first (its cell, else the alias's when empty). The same spelling twice is
    ambiguous and makes the file unreadable."""
    positions: dict[str, list[int]] = {}
    spellings: set[tuple[str, str]] = set()
    unknown = []
    for i, name in enumerate(header):
        declared = column_map.get(name.strip().lower(), name).strip().lower()
        f = src.field_named(declared)
        if f is None:
            # A header ending in a delimiter (`a;b;c;`, as some exports write) has a last
            # column without a name: named by its place, so that the file's line says which.
            unknown.append(name.strip() or f"(column {i + 1}, no name)")
        elif (f.target, declared) in spellings:
            raise ReportError(f"line 1: column {name.strip()} appears twice")
        else:
            spellings.add((f.target, declared))
            at = positions.setdefault(f.target, [])
            # The field's own name before its aliases.
            at.insert(0 if declared == f.name.lower() else len(at), i)
    missing = [f.name for f in src.fields if f.required and f.target not in positions]
    return positions, unknown, missing


def _header(entry: files.Entry, kind: str,
            column_map: dict[str, str]) -> tuple[str, list[str], sources.CsvSource, dict, list]:
    """(delimiter, header names, the file's shape, canonical column → position, unknown
    names). The shape is the first of the kind's (the wide file first) whose required columns
    the header has: the platform's own export tables are told apart by their header."""
    text = files.first_line(entry)
    if not text.strip():
        raise ReportError("empty file: no header row")
    delimiter = _delimiter(text)
    header = files.header_record(entry, delimiter)
    tried = []
    for src in sources.csv_shapes(kind):
        positions, unknown, missing = _positions(header, src, column_map)
        if not missing:
            return delimiter, header, src, positions, unknown
        tried.append((len(missing) / len([f for f in src.fields if f.required]), src, missing))
    _share, src, missing = min(tried, key=lambda t: t[0])
    shape = "" if src.shape == "wide" else f" of the platform's {src.shape} export"
    raise ReportError(f"line 1: missing required column {', '.join(missing)}{shape}")


def _stage(con: duckdb.DuckDBPyConnection, entry: files.Entry, kind: str,
           tenant: TenantParams, own: Ownership) -> tuple[sources.CsvSource, list[str]]:
    """Read and check the whole file into the temp table `checked`; return (shape, unknown).

    `checked` holds every record DuckDB could split: `_ord` (its order), `_skip` (a record of
    empty cells), `_reject` (the first failed check as {field, value, reason}) and the typed
    canonical columns.
    """
    delimiter, header, src, positions, unknown = _header(entry, kind,
                                                         tenant.column_maps.get(kind, {}))
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    text_cols = []
    for f in src.fields:
        if f.target in positions:
            cells = [_cell_text(f"c{i}", f.max_length) for i in positions[f.target]]
            text = cells[0] if len(cells) == 1 else f"COALESCE({', '.join(cells)})"
            text_cols.append(f'{text} AS "{f.target}"')
        else:
            text_cols.append(f'NULL::VARCHAR AS "{f.target}"')
    owner = ownership_checks(src, own)
    reject_cases, typed_values, outputs = [], [], []
    # The header again, inside the file (two exports joined with `cat`): not a row of data.
    again = " AND ".join(
        f"lower(replace(\"{f.target}\", chr(65279), '')) = "
        f"{quote(header[positions[f.target][0]].strip().lower())}"
        for f in src.fields if f.target in positions)
    reject_cases.append(f"WHEN {again} THEN {{'field': '*', 'value': NULL, 'reason': "
                        "'the header again, not a row (files joined one after another?)'}")
    for f in src.fields:
        col, typed = f'"{f.target}"', f'"_typed_{f.target}"'
        # A decimal comma where the comma is no delimiter (a spreadsheet in Portuguese: `;`
        # in its CSV, a tab in its "text").
        checks, value = field_checks(f, col, typed, decimal_comma=delimiter in (";", "\t"))
        for condition, reason in checks + owner.get(f.target, []):
            reject_cases.append(f"WHEN {condition} THEN {{'field': {quote(f.name)}, "
                                f"'value': left({col}, 1000), 'reason': {quote(reason)}}}")
        typed_values.append(f"{value} AS {typed}")
        outputs.append(f"{typed} AS {col}")
    for name, condition, reason in src.row_checks:
        reject_cases.append(f"WHEN {condition} THEN {{'field': {quote(name)}, "
                            f"'value': NULL, 'reason': {quote(reason)}}}")
    all_empty = " AND ".join(f'"{f.target}" IS NULL' for f in src.fields)
    con.execute("DROP TABLE IF EXISTS csv_rejects; DROP TABLE IF EXISTS csv_scans")
    # Times without an offset are the tenant's; ingest_file sets UTC back after the transaction.
    con.execute(f"SET TimeZone = {quote(tenant.timezone)}")
    # Read first into a table of text (DuckDB parses in parallel and keeps the file's order:
    # rowids are consecutive in it, from an offset inside a transaction), then check it in
    # parallel; a row number computed while reading would make the whole query one thread.
    def read(path: Path, compression: str) -> None:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE raw_csv AS SELECT * FROM read_csv(
                {quote(path)}, header = true, columns = {columns},
                delim = {quote(delimiter)}, quote = '"', escape = '"', auto_detect = false,
                strict_mode = true, null_padding = false, encoding = 'utf-8',
                compression = {quote(compression)},
                max_line_size = {MAX_LINE_BYTES}, store_rejects = true,
                rejects_table = 'csv_rejects', rejects_scan = 'csv_scans')""")

    def read_set_aside(copy: Path | None, lines: list[csv_lines.SetAside]) -> None:
        con.execute("CREATE OR REPLACE TEMP TABLE set_aside (line BIGINT, value VARCHAR, "
                    "reason VARCHAR, filler VARCHAR)")
        if copy is None:
            read(entry.path, files.duckdb_compression(entry))
            return
        try:
            filler = csv_lines.filler(delimiter, len(header))
            con.executemany("INSERT INTO set_aside VALUES (?, ?, ?, ?)",
                            [(x.line, x.value, x.reason, filler) for x in lines])
            read(copy, "none")
        finally:
            copy.unlink(missing_ok=True)

    long = csv_lines.long_lines(entry)
    try:
        read_set_aside(*(csv_lines.set_aside(entry, delimiter, len(header), False, long)
                         if long else (None, [])))
    except duckdb.InvalidInputException as exc:
        if "state machine reached an invalid state" not in str(exc):
            raise
        # A carriage return inside an unquoted cell: the error aborted the file's
        # transaction (ingest_file's), which held nothing yet.
        con.execute("ROLLBACK")
        con.execute("BEGIN TRANSACTION")
        con.execute("DROP TABLE IF EXISTS csv_rejects; DROP TABLE IF EXISTS csv_scans")
        read_set_aside(*csv_lines.set_aside(entry, delimiter, len(header), True, long))
    con.execute(f"""
            CREATE OR REPLACE TEMP TABLE checked AS
            SELECT _ord, ({all_empty}) AS _skip,
                   CASE {' '.join(reject_cases)} END AS _reject, {', '.join(outputs)}
            FROM (SELECT *, {', '.join(typed_values)} FROM (
            SELECT rowid - (SELECT min(rowid) FROM raw_csv) + 1 AS _ord,
                   {', '.join(text_cols)} FROM raw_csv))""")
    con.execute("DROP TABLE raw_csv")
    if src.also is not None:
        # The platform's message content: base64 of UTF-16LE text, decoded only where it may
        # be a template's JSON.
        con.execute("ALTER TABLE checked ADD COLUMN _template VARCHAR")
        con.execute("""UPDATE checked SET _template = utf16_base64_json(_content)
                       WHERE _reject IS NULL AND _content IS NOT NULL
                         AND (_type IS NULL OR lower(_type) LIKE 'application/json%')""")
    return src, unknown


def _structural_rejects(con: duckdb.DuckDBPyConnection) -> None:
    """Lines DuckDB could not split, one row per file line, into the temp table `broken`.

    A quote opened and never closed swallows the lines after it into one error: each of those
    lines is counted as a rejected row, so that rows read still equals the file's lines.
    """
    cases = " ".join(f"WHEN error_type = {quote(k)} THEN {quote(v)}"
                     for k, v in STRUCTURAL_REASONS.items())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE broken AS
        WITH errors AS (
            SELECT line, any_value(error_type) AS error_type, any_value(csv_line) AS csv_line,
                   any_value(error_message) AS message
            FROM csv_rejects WHERE trim(csv_line, ' \t\r\n') <> '' GROUP BY line
        ), lines AS (
            SELECT line, error_type, message, csv_line,
                   CASE WHEN error_type = 'UNQUOTED VALUE'
                        THEN string_split(rtrim(csv_line, chr(10) || chr(13)), chr(10))
                        ELSE [csv_line] END AS parts
            FROM errors
        )
        SELECT line + i - 1 AS line, '*' AS field,
               left(rtrim(parts[i], chr(13) || chr(10)), 200) AS value,
               CASE WHEN error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS')
                    THEN 'expected ' || regexp_extract(message, 'Columns: (\\d+)', 1)
                         || ' fields, found ' || regexp_extract(message, 'Found: (\\d+)', 1)
                    {cases}
                    ELSE 'not valid CSV (' || lower(error_type) || ')' END AS reason
        FROM lines, range(1, len(parts) + 1) AS r(i)
        WHERE i = 1 OR trim(parts[i], ' \t\r') <> ''
        """)
    # A line set aside (csv_lines) is rejected in the copy as one field too many: the k-th
    # such reject is the k-th line set aside (matched in order, not by number: after a
    # multi-line cell DuckDB numbers records, not lines); its own text and reason go back.
    con.execute("""
        UPDATE broken SET value = s.value, reason = s.reason
        FROM (SELECT b.line, a.value, a.reason
              FROM (SELECT line, row_number() OVER (ORDER BY line) AS k FROM broken
                    WHERE trim(value, chr(10) || chr(13))
                          = (SELECT left(any_value(filler), 200) FROM set_aside)) b
              JOIN (SELECT *, row_number() OVER (ORDER BY line) AS k FROM set_aside) a
              USING (k)) s
        WHERE broken.line = s.line""")
    con.execute("DROP TABLE set_aside")


def load_csv(con: duckdb.DuckDBPyConnection, tenant: TenantParams, own: Ownership,
             kind: str, entry: files.Entry, sha: str) -> FileResult:
    """Load one platform CSV into its canonical table; rejected rows into `rejected_rows`.

    A file that is not UTF-8 but Windows-1252 text (a spreadsheet's "CSV" on a Windows in
    Portuguese) is read from a UTF-8 copy; a UTF-8 file with a damaged byte keeps its other
    rows (that row is rejected, `not UTF-8`)."""
    # A first line `sep=;` (a hint some exports give Excel) is not the header: the file is
    # read from a copy without it, and every line number is the file's (one more).
    skip = files.separator_line(entry)
    source, copies, legacy = entry, [], None
    try:
        if skip:
            source = files.Entry(files.without_first_line(entry), "read")
            copies.append(source.path)
        try:
            src, unknown = _stage(con, source, kind, tenant, own)
            legacy = bool(con.execute(
                "SELECT 1 FROM csv_rejects WHERE error_type IN ('INVALID ENCODING', "
                "'INVALID UNICODE') LIMIT 1").fetchall()) and files.other_encoding(source)
        except ReportError as exc:  # the header itself is not UTF-8, or not a header
            legacy = str(exc).startswith("not UTF-8") and files.other_encoding(source)
            if not legacy:
                if skip and str(exc).startswith("line 1:"):
                    raise ReportError("line 2:" + str(exc)[len("line 1:"):]) from None
                raise
        if legacy:
            copies.append(files.utf8_copy(source, legacy))
            try:
                src, unknown = _stage(con, files.Entry(copies[-1], "read"), kind, tenant,
                                      own)
            except ReportError as exc:  # the header's line is the file's
                if skip and str(exc).startswith("line 1:"):
                    raise ReportError("line 2:" + str(exc)[len("line 1:"):]) from None
                raise
    finally:
        for copy in copies:
            copy.unlink(missing_ok=True)
    first = 2 if skip else 1  # the line of the first record before the header's
    _structural_rejects(con)
    path = str(entry.path)
    # Record numbers: a staged record follows every broken line whose number is below its own.
    # With the broken lines r_1 < r_2 < …, record k (1-based) is preceded by broken line j when
    # r_j - 1 - j < k (r_j - 1 - j records come before r_j).
    con.execute("""
        CREATE OR REPLACE TEMP TABLE broken_marks AS
        SELECT line - 1 - row_number() OVER (ORDER BY line) AS before FROM broken""")
    if con.execute("SELECT count(*) FROM broken_marks").fetchall()[0][0]:
        line_sql = (f"{first} + c._ord + (SELECT count(*) FROM broken_marks b "
                    "WHERE b.before < c._ord)")
    else:
        line_sql = f"{first} + c._ord"
    con.execute(f"""
        INSERT INTO rejected_rows
        SELECT {quote(tenant.tenant_id)}, {quote(src.kind)}, {quote(path)}, line, field, value,
               reason, {quote(sha)}
        FROM (SELECT line + {first - 1} AS line, field, value, reason FROM broken
              UNION ALL
              SELECT {line_sql}, c._reject.field, c._reject.value, c._reject.reason
              FROM checked c WHERE c._reject IS NOT NULL AND NOT c._skip)
        ORDER BY line""")
    _store(con, tenant.tenant_id, src, path, line_sql)
    good = "FROM checked c WHERE c._reject IS NULL AND NOT c._skip"
    loaded = con.execute(f"SELECT count(*) {good}").fetchall()[0][0]
    notes = [] if src.shape == "wide" else [f"read as the platform's {src.shape} export"]
    notes += [f"read as {legacy} text: not UTF-8"] if legacy else []
    notes += [f"line 1 is Excel's separator hint ({skip}): the header is line 2"] if skip else []
    notes += [f"unknown columns ignored: {', '.join(unknown)}"] if unknown else []
    for what, value in src.warnings:
        count, first = con.execute(
            f"SELECT count(*), arg_min(left(v, 100), _ord) FROM (SELECT {value} AS v, c._ord "
            f"{good}) WHERE v IS NOT NULL").fetchall()[0]
        if count:
            notes.append(f"{what}: {count} row{'s' if count > 1 else ''} (first: {first})")
    con.execute("DROP TABLE checked; DROP TABLE broken; DROP TABLE broken_marks")
    return finish(con, tenant.tenant_id, src.kind, Path(path), sha, loaded, notes)


def _store(con: duckdb.DuckDBPyConnection, tenant_id: str, src: sources.CsvSource, path: str,
           line_sql: str) -> None:
    """Upsert the good rows of `checked` into the shape's table (and its second table)."""
    good = "FROM checked c WHERE c._reject IS NULL AND NOT c._skip"
    derived = dict(src.derived)
    names = src.columns
    key = ", ".join(f'"{k}"' for k in src.key)

    def value(n: str) -> str:
        sql = derived.get(n, f'"{n}"')
        return f"min({sql}) OVER (PARTITION BY {key})" if n in src.earliest else sql

    values = ", ".join(f'{value(n)} AS "{n}"' for n in names)
    cols = ", ".join(f'"{n}"' for n in names)
    keep = f" AND ({src.keep})" if src.keep else ""
    if src.earliest:
        # The earliest values of each incoming key, the rows stored under it included (the row
        # that wins below may replace the one that held them).
        earliest = ", ".join(f'min("{n}") AS "{n}"' for n in src.earliest)
        matches = " AND ".join(f't."{k}" = c."{k}"' for k in src.key)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE earliest_values AS
            SELECT {key}, {earliest} FROM (
                SELECT {key}, {', '.join(f'"{n}"' for n in src.earliest)} {good}
                UNION ALL
                SELECT {key}, {', '.join(f'"{n}"' for n in src.earliest)}
                FROM {src.table} t
                WHERE t.tenant_id = {quote(tenant_id)}
                  AND EXISTS (SELECT 1 {good} AND {matches}))
            GROUP BY ALL""")
    rows = f"""
        SELECT {quote(tenant_id)}, {cols}, {quote(path)}, line FROM (
            SELECT {values}, {line_sql} AS line, c._ord {good}{keep})
        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY {src.latest}) = 1"""
    if src.kind == "event_tracks":
        # No identifier: every column is the key. Insert only events not already stored.
        matches = " AND ".join(f"e.{k} IS NOT DISTINCT FROM r.{k}" for k in src.key)
        con.execute(f"""
            INSERT INTO {src.table} (tenant_id, {cols}, source_file, source_line)
            SELECT * FROM ({rows}) r (tenant_id, {cols}, source_file, source_line)
            WHERE NOT EXISTS (SELECT 1 FROM {src.table} e
                              WHERE e.tenant_id = {quote(tenant_id)} AND {matches})""")
    else:
        replace_rows(con, src.table, tenant_id, src.key, [*names, "source_file", "source_line"],
                     rows, src.replaces)
    if src.earliest:
        matches = " AND ".join(f't."{k}" = e."{k}"' for k in src.key)
        sets = ", ".join(f'"{n}" = least(t."{n}", e."{n}")' for n in src.earliest)
        differ = " OR ".join(f't."{n}" > e."{n}"' for n in src.earliest)
        con.execute(f"""
            UPDATE {src.table} t SET {sets} FROM earliest_values e
            WHERE t.tenant_id = {quote(tenant_id)} AND {matches} AND ({differ})""")
        con.execute("DROP TABLE earliest_values")
    if src.also is not None:
        also = src.also
        values = ", ".join(f'{sql} AS "{n}"' for n, sql in also.columns)
        also_cols = ", ".join(f'"{n}"' for n, _ in also.columns)
        also_key = ", ".join(f'"{k}"' for k in also.key)
        replace_rows(con, also.table, tenant_id, also.key,
                     [n for n, _ in also.columns] + ["source_file", "source_line"], f"""
            SELECT {quote(tenant_id)}, {also_cols}, {quote(path)}, line FROM (
                SELECT {values}, {line_sql} AS line, c._ord {good} AND ({also.when}))
            QUALIFY row_number() OVER (PARTITION BY {also_key} ORDER BY _ord DESC) = 1""")
