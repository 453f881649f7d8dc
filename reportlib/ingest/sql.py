"""SQL text shared by the loaders: literals, sets, and the validation of one declared field.

Validation is data-driven: each `sources.Field` becomes a list of (bad-condition, reason) pairs
and one typed-value expression, evaluated by DuckDB over the staged table of a whole file.
"""

from __future__ import annotations

from collections.abc import Iterable

from reportlib import sources
from reportlib.ingest.ownership import Ownership

# RFC 3339 (5.6) lets `T` and `Z` be written lower case; DuckDB reads only the upper case.
# SQL Server writes a datetimeoffset with a blank before the offset
# (`2026-10-03 14:05:09.1230000 -03:00`, its default string format): read too.
# An offset is at most 14 hours (Kiribati's +14:00): DuckDB takes any two digits, and
# `+99:00` moved the time four days back without a word.
ISO_DAY_TIME = r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
ISO_TS = ISO_DAY_TIME + r"( ?(Z|z|[+-](0\d|1[0-4])(:?[0-5]\d)?))?"
ISO_ANY_OFFSET = ISO_DAY_TIME + r" ?[+-]\d{2}(:?\d{2})?"
# Day first, day and month with two digits each: a date without its leading zeros
# (`3/10/2026`) is what a US spreadsheet writes month first (M/D/YYYY), so it is not read
# either way: taken day first, a US export loaded its 10 March as 3 October without a word.
DMY_TS = r"\d{2}/\d{2}/\d{4} \d{1,2}:\d{2}(:\d{2})?"
# How people write a phone number between its digits (docs/sources.md, "Phone numbers").
PHONE_SEPARATORS = r"[\s().-]"
# A phone number a spreadsheet read as a number and wrote back as one: in scientific notation
# (`5.51199E+12`, `5,51199E+12` in a Brazilian spreadsheet: its last digits are gone) or as a
# decimal (`5511987654321.0`). No one's number or identity.
SCIENTIFIC = r"[0-9]+([.,][0-9]*)?[eE][+-]?[0-9]+"
DECIMAL = r"[0-9]+[.,][0-9]+"
MAX_CELL = 10_000  # characters kept of a cell; longer ones are rejected by their max_length
# Magnitudes beyond these cannot be true of any count, rating or price in these sources.
MAX_NUMBER = 1e15


def quote(text: object) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def sql_set(values: Iterable[str]) -> str:
    values = sorted(values)
    return "(" + ", ".join(quote(v) for v in values) + ")" if values else "(NULL)"


def field_checks(f: sources.Field, col: str, typed: str,
                 decimal_comma: bool) -> tuple[list, str]:
    """(list of (bad-condition SQL, reason), typed-value SQL) for one field.

    `col` names the trimmed text column, `typed` the column that will hold the typed value
    (computed once per row from the returned expression): the checks read both.
    """
    checks: list[tuple[str, str]] = []
    if f.required:
        checks.append((f"{col} IS NULL", "required field is empty"))
    # A NUL byte is no character of any value here (text, id, number or timestamp).
    checks.append((f"contains({col}, chr(0))", "contains a NUL byte"))
    if f.kind == "timestamp":
        value = (
            f"CASE WHEN regexp_full_match({col}, '{ISO_TS}') "
            f"THEN TRY_CAST(replace(replace(replace(upper({col}), ' Z', 'Z'), ' +', '+'), "
            f"' -', '-') AS TIMESTAMPTZ) "
            f"WHEN regexp_full_match({col}, '{DMY_TS}') "
            f"THEN TRY_STRPTIME({col}, ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M'])::TIMESTAMPTZ END"
        )
        checks.append((f"regexp_full_match({col}, '{ISO_ANY_OFFSET}') "
                       f"AND NOT regexp_full_match({col}, '{ISO_TS}')",
                       "UTC offset out of range (at most 14 hours, e.g. -03:00)"))
        checks.append((f"{col} IS NOT NULL AND {typed} IS NULL",
                       "not a timestamp (ISO 8601, or DD/MM/YYYY HH:MM:SS day first, day "
                       "and month with two digits each: 3/10/2026 may be 10 March)"))
        checks.append((f"year({typed} AT TIME ZONE 'UTC') NOT BETWEEN 2015 AND 2099",
                       "timestamp out of range (2015..2099)"))
    elif f.kind == "integer":
        value = f"TRY_CAST({col} AS BIGINT)"
        checks.append((f"{col} IS NOT NULL AND NOT regexp_full_match({col}, '-?\\d{{1,18}}')",
                       "not a whole number"))
        if f.minimum is not None:
            checks.append((f"{typed} < {f.minimum}", f"less than {f.minimum:g}"))
    elif f.kind == "number":
        text = f"replace({col}, ',', '.')" if decimal_comma else col
        # Only plain decimal notation: no NaN, Infinity or hex that a cast would accept.
        value = (f"CASE WHEN regexp_full_match({text}, '[+-]?(\\d+\\.?\\d*|\\.\\d+)"
                 f"([eE][+-]?\\d{{1,3}})?') THEN TRY_CAST({text} AS DOUBLE) END")
        checks.append((f"{col} IS NOT NULL AND {typed} IS NULL", "not a number"))
        checks.append((f"NOT isfinite({typed}) OR abs({typed}) > {MAX_NUMBER:.0f}",
                       "number out of range"))
        if f.minimum is not None:
            checks.append((f"{typed} < {f.minimum}", f"less than {f.minimum:g}"))
    elif f.kind == "enum":
        cases = " ".join(f"WHEN {quote(a.lower())} THEN {quote(a)}" for a in f.allowed)
        value = f"CASE lower({col}) {cases} END"
        checks.append((f"{col} IS NOT NULL AND {typed} IS NULL",
                       "not one of " + ", ".join(f.allowed)))
    elif f.kind == "category":
        value = f"normalize_category({col})"
        checks.append((f"{col} IS NOT NULL AND {typed} NOT IN {sql_set(sources.CATEGORY_VALUES)}",
                       "unknown category (" + ", ".join(sources.CATEGORY_VALUES[:3]) + ", …)"))
    elif f.kind == "e164":
        # Stored as + and its digits, however it was written (`5511987654321`,
        # `+55 (11) 98765-4321`): one number, one spelling, for every join on it. NULL when it
        # is none: the reasons below, read only then, say why.
        plain = f"regexp_replace({col}, '{PHONE_SEPARATORS}', '', 'g')"
        north_american = f"starts_with(ltrim({plain}, '+'), '1')"
        value = (f"CASE WHEN regexp_full_match({plain}, '\\+?{sources.E164}') "
                 f"AND NOT {spreadsheet_number(col, DECIMAL)} "
                 f"AND (NOT {north_american} "
                 f"OR regexp_full_match({plain}, '\\+?{sources.NANP}')) "
                 f"THEN '+' || regexp_replace({col}, '[^0-9]', '', 'g') END")
        bad = f"{col} IS NOT NULL AND {typed} IS NULL"
        digits = f"length(ltrim({plain}, '+'))"
        not_e164 = "not an E.164 phone number"
        checks += [(f"{bad} AND {condition}", reason)
                   for condition, reason in spreadsheet_number_checks(col)]
        checks += [
            (f"{bad} AND NOT regexp_full_match({plain}, '\\+?[0-9]+')",
             f"{not_e164}: only digits, a leading +, blanks and ( ) . - may be written"),
            (f"{bad} AND regexp_full_match({plain}, '\\+?0[0-9]*')",
             f"{not_e164}: a country code never starts with 0"),
            (f"{bad} AND {digits} < 8", f"{not_e164}: fewer than 8 digits with the country code"),
            (f"{bad} AND {digits} > 15", f"{not_e164}: more than 15 digits with the country code"),
            (f"{bad} AND {north_american}",
             f"{not_e164}: a +1 (North American) number is 1 and 10 digits, its area code "
             "starting with 2 to 9 (a national number written without its country code?)"),
            (bad, not_e164),
        ]
    elif f.kind in ("identity", "person"):
        value = col if f.kind == "identity" else sources.person(col)
        checks += [(f"{col} IS NOT NULL AND {condition}", reason)
                   for condition, reason in spreadsheet_number_checks(col)]
        checks.append((f"length({col}) > {f.max_length}",
                       f"longer than {f.max_length} characters"))
    elif f.kind == "bot":
        # An id or an identity (`name@msging.net`): the id.
        value = f"NULLIF(split_part({col}, '@', 1), '')"
        checks.append((f"{col} IS NOT NULL AND {typed} IS NULL", "not a bot identity"))
        checks.append((f"length({col}) > {f.max_length}",
                       f"longer than {f.max_length} characters"))
    elif f.kind in ("json", "json_object"):
        value = col
        checks.append((f"length({col}) > {f.max_length}",
                       f"longer than {f.max_length} characters"))
        checks.append((f"{col} IS NOT NULL AND (TRY(json({col})) IS NULL "
                       f"OR json_type(TRY(json({col}))) <> 'OBJECT')",
                       "not a JSON object"))
        if f.kind == "json":
            # "of strings": every value is text (json_structure names each value's type).
            checks.append((f"{col} IS NOT NULL AND regexp_matches(json_structure(TRY(json("
                           f"{col})))::VARCHAR, ':\\s*(\\{{|\\[|\"(?:UBIGINT|BIGINT|DOUBLE|"
                           f"BOOLEAN|NULL|JSON)\")')",
                           "not a JSON object of strings"))
    else:
        value = col
        checks.append((f"length({col}) > {f.max_length}",
                       f"longer than {f.max_length} characters"))
    return checks, value


def spreadsheet_number(col: str, pattern: str) -> str:
    """SQL: the text is a number as a spreadsheet writes one (`SCIENTIFIC`, `DECIMAL`). A value
    with a `+` in front or an `@` in it never is: only the others are matched."""
    return (f"(NOT starts_with({col}, '+') AND NOT contains({col}, '@') "
            f"AND regexp_full_match({col}, '{pattern}'))")


def spreadsheet_number_checks(col: str) -> list[tuple[str, str]]:
    """(bad-condition, reason) of a phone number or a person's identity that a spreadsheet
    rewrote as a number: whose digits no one can trust."""
    return [
        (spreadsheet_number(col, SCIENTIFIC),
         "a phone number in scientific notation, as a spreadsheet writes a long number: "
         "its last digits are lost"),
        (spreadsheet_number(col, DECIMAL),
         "a phone number written as a decimal number, as a spreadsheet writes a number cell"),
    ]


def identity_bot(col: str) -> str:
    """SQL: the bot id (lower-case) of an identity that is a bot's (`name@msging.net`, the
    domain in any case, maybe with an `/instance`, or a bare id), else NULL: a user's identity
    (`…@wa.gw.msging.net`) never names a bot."""
    return (f"CASE WHEN split_part(split_part(lower({col}), '@', 2), '/', 1) "
            f"IN ('msging.net', '') "
            f"THEN lower(split_part({col}, '@', 1)) END")


def ownership_checks(src: sources.CsvSource, own: Ownership) -> dict[str, list]:
    """Per canonical column, the conditions under which a row names another tenant's number
    or bot (bots compared case-insensitively). `identity` columns (From, To, a customer) may
    name anyone: only a bot's identity is compared."""
    checks: dict[str, list] = {}
    for column, what in src.tenant_checks:
        col = f'"{column}"'
        if what == "phone":
            found = [(f"{col} IN {sql_set(own.other_phones)}",
                      "phone number belongs to another tenant")]
            if own.own_phones:
                found.append((f"{col} NOT IN {sql_set(own.own_phones)}",
                              "phone number not declared for this tenant"))
        elif what == "identity":
            found = [(f"{identity_bot(col)} IN {sql_set(own.other_bots)}",
                      "bot belongs to another tenant")]
        else:
            # A bot may be written as its id or its identity (`id@msging.net`).
            found = [(f"lower(split_part({col}, '@', 1)) IN {sql_set(own.other_bots)}",
                      "bot belongs to another tenant")]
        checks[column] = found
    return checks


def replace_rows(con, table: str, tenant_id: str, key: tuple[str, ...] | list[str],
                 columns: list[str], select: str, replaces: str = "") -> None:
    """Upsert the rows of `select` (one per key, `tenant_id` and `columns` in that order) into
    `table`: stored rows of this tenant with the same key are replaced.

    `replaces`, SQL over an incoming row `i` and a stored row `t` of the same key, limits that
    to where it holds; where it does not, the stored row stays and the incoming one is dropped
    (the latest ticket event wins whatever order its files are loaded in).

    DELETE + INSERT rather than INSERT OR REPLACE: the big canonical tables carry no primary-key
    index, which DuckDB must hold in memory and which doubled the cost of a load. The delete is
    skipped when the tenant has no rows yet, and otherwise filtered on the tenant by a constant,
    which lets DuckDB skip other tenants' row groups. `select` reads staged temp tables, so
    running it twice (keys, then rows) costs less than materialising it once more.
    """
    names = ", ".join(["tenant_id", *columns])
    tenant = quote(tenant_id)
    if not con.execute(f"SELECT 1 FROM {table} WHERE tenant_id = {tenant} LIMIT 1").fetchall():
        con.execute(f"INSERT INTO {table} ({names}) {select}")
        return
    matches = " AND ".join(f"t.{k} = i.{k}" for k in key)
    if not replaces:
        keys = ", ".join(key)
        con.execute(f"DELETE FROM {table} t USING (SELECT {keys} FROM ({select}) AS s({names})) i "
                    f"WHERE t.tenant_id = {tenant} AND {matches}")
        con.execute(f"INSERT INTO {table} ({names}) {select}")
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE incoming_rows AS "
                f"SELECT * FROM ({select}) AS s({names})")
    con.execute(f"DELETE FROM {table} t USING incoming_rows i "
                f"WHERE t.tenant_id = {tenant} AND {matches} AND ({replaces})")
    # What is still stored under an incoming key beat the incoming row.
    con.execute(f"INSERT INTO {table} ({names}) SELECT * FROM incoming_rows i "
                f"WHERE NOT EXISTS (SELECT 1 FROM {table} t "
                f"WHERE t.tenant_id = {tenant} AND {matches})")
    con.execute("DROP TABLE incoming_rows")
