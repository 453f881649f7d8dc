"""Ingest: validation, rejection with reasons, idempotence, unreadable files, hostile names."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import duckdb
import pytest

from reportlib import cli, ingest
from reportlib.errors import ReportError
from tests.conftest import scope_connection, write
from tests.full_disk import needs_tmpfs, on_small_disk

HEADER = ("MessageId,CampaignId,Sender,AgentIdentity,BotId,PhoneNumberId,Recipient,"
          "TemplateName,Category,AcceptedAt,SentAt,DeliveredAt,ReadAt,FailedAt,ErrorCode,"
          "RepliedAt\n")
GOOD = ("m1,c1,campaign,,acme-bot,1001,+5511999990001,promo,MARKETING,"
        "2026-10-03T14:05:09-03:00,,,,,,\n")


def run_ingest(tmp_path, params_dir):
    return ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)


def rows(tmp_path, sql):
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


BAD_ROWS = [
    # (row text, field, reason fragment)
    (",c1,campaign,,acme-bot,1001,+5511999990001,promo,marketing,2026-10-03 10:00:00,,,,,,",
     "MessageId", "required field is empty"),
    ("m2,c1,robot,,acme-bot,1001,+5511999990001,promo,marketing,2026-10-03 10:00:00,,,,,,",
     "Sender", "not one of campaign, agent, api"),
    ("m3,c1,campaign,,acme-bot,1001,+5511999990001,promo,newsletter,2026-10-03 10:00:00,,,,,,",
     "Category", "unknown category"),
    ("m4,c1,campaign,,acme-bot,1001,11-NOT-A-PHONE,promo,marketing,2026-10-03 10:00:00,,,,,,",
     "Recipient", "not an E.164 phone number"),
    ("m5,c1,campaign,,acme-bot,1001,+5511999990001,promo,marketing,31/02/2026 25:61:00,,,,,,",
     "AcceptedAt", "not a timestamp"),
    ("m6,c1,campaign,,acme-bot,1001,+5511999990001,promo,marketing,2026-10-03 10:00:00,,,,,12x,",
     "ErrorCode", "not a whole number"),
    ("m7,c1,campaign,,acme-bot,2001,+5511999990001,promo,marketing,2026-10-03 10:00:00,,,,,,",
     "PhoneNumberId", "belongs to another tenant"),
    ("m8,c1,campaign,,acme-bot,9999,+5511999990001,promo,marketing,2026-10-03 10:00:00,,,,,,",
     "PhoneNumberId", "not declared for this tenant"),
    ("m9,c1,campaign,,beta-bot,1001,+5511999990001,promo,marketing,2026-10-03 10:00:00,,,,,,",
     "BotId", "bot belongs to another tenant"),
    ("m10,c1,campaign,,acme-bot,1001,+5511999990001,promo,marketing,1999-10-03 10:00:00,,,,,,",
     "AcceptedAt", "out of range"),
    ("m11,c1,campaign", "*", "expected 16 fields, found 3"),
]


def test_each_kind_of_bad_row_is_rejected_with_its_reason(tmp_path, params_dir):
    body = GOOD + "".join(row + "\n" for row, _, _ in BAD_ROWS)
    path = write(tmp_path / "sources/acme/notifications/n.csv", HEADER + body)
    [result] = run_ingest(tmp_path, params_dir)
    assert result.status == "loaded"
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (12, 1, 11)
    assert result.rows_read == result.rows_loaded + result.rows_rejected
    rejected = rows(tmp_path, "SELECT line, field, reason, file FROM rejected_rows ORDER BY line")
    assert len(rejected) == len(BAD_ROWS)
    for (_line, field, reason, file), (_, want_field, want_reason) in zip(
            rejected, BAD_ROWS, strict=True):
        assert field == want_field and want_reason in reason and file == str(path)
    assert [r[0] for r in rejected] == list(range(3, 3 + len(BAD_ROWS)))  # header is line 1
    log = rows(tmp_path, "SELECT rows_read, rows_loaded, rows_rejected FROM ingest_log")
    assert log == [(12, 1, 11)]


def test_a_recipient_is_its_digits_and_what_cannot_be_a_number_says_why(tmp_path, params_dir):
    """E.164 is the digits with their country code (ITU-T E.164: a country code never starts
    with 0; at most 15 digits); the `+` is notation. A Recipient written as Meta writes
    `wa_id` and `recipient_id` (`16505551234`, its webhooks reference) or as the platform's
    identity has it before the `@` (`5511987654321@wa.gw.msging.net`) was rejected; it loads
    now, stored `+` and digits like the others. What a spreadsheet made of a number stays
    rejected, saying so: Excel's scientific notation (`5.51199E+12`, and `5,51199E+12` with a
    Brazilian decimal comma: the last digits are gone), a decimal (`5511987654321.0`, as a
    number column is written back), letters, too few or too many digits, a 00 prefix."""
    def row(mid: str, recipient: str) -> str:
        return (f'{mid},,api,,acme-bot,1001,"{recipient}",t,utility,'
                f"2026-10-03T14:05:09-03:00,,,,,,\n")

    good = [("g1", "16505551234", "+16505551234"), ("g2", "5511987654321", "+5511987654321"),
            ("g3", "55 (11) 98765-4321", "+5511987654321"),
            ("g4", "+5511987654321", "+5511987654321")]
    spreadsheet = "as a spreadsheet writes"
    bad = [("b1", "5.51199E+12", f"a phone number in scientific notation, {spreadsheet} a "
                                 "long number: its last digits are lost"),
           ("b2", "5,51199E+12", f"a phone number in scientific notation, {spreadsheet} a "
                                 "long number: its last digits are lost"),
           ("b3", "5511987654321.0", f"a phone number written as a decimal number, "
                                     f"{spreadsheet} a number cell"),
           ("b4", "55119876543ab", "not an E.164 phone number: only digits, a leading +, "
                                   "blanks and ( ) . - may be written"),
           ("b5", "5511987", "not an E.164 phone number: fewer than 8 digits with the country "
                             "code"),
           ("b6", "5511987654321000", "not an E.164 phone number: more than 15 digits with "
                                      "the country code"),
           ("b7", "005511987654321", "not an E.164 phone number: a country code never starts "
                                     "with 0")]
    write(tmp_path / "sources/acme/notifications/n.csv",
          HEADER + "".join(row(m, r) for m, r, _ in good + bad))
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (11, 4, 7)
    assert rows(tmp_path, "SELECT message_id, recipient FROM notifications ORDER BY 1") == [
        (m, stored) for m, _, stored in good]
    assert rows(tmp_path, "SELECT line, field, value, reason FROM rejected_rows ORDER BY line"
                ) == [(6 + i, "Recipient", value, reason)
                      for i, (_, value, reason) in enumerate(bad)]
    assert result.line() == (
        "acme/notifications/n.csv: loaded, 4 loaded, 7 rejected (first: line 6 field "
        f"Recipient: {bad[0][2]})")


def test_a_persons_identity_a_spreadsheet_made_a_number_is_rejected(tmp_path, params_dir):
    """The columns that name a person by their number (tickets' CustomerIdentity,
    bot_messages' UserIdentity, event_tracks' ContactIdentity, and the platform exports'
    From/To and CustomerIdentity/ContactIdentity, as in the ticket events file here) follow
    the Recipient's rule. Digits alone
    are the person: the agent's active message to `5511987654321` opens the ticket of the
    customer written `5511987654321`. What a spreadsheet made of a number (`5.51199E+12`,
    `5511987654321.0`, `5,51199E+12`) names no one and was loaded as if it did (a customer,
    a chatbot user, a contact of its own); it is a rejected row naming the field now."""
    from dataclasses import replace

    from reportlib import marts
    from tests.conftest import ACME

    acme = tmp_path / "sources/acme"
    write(acme / "notifications/n.csv",
          "MessageId,Sender,AgentIdentity,BotId,PhoneNumberId,Recipient,TemplateName,Category,"
          "AcceptedAt\n"
          "wamid.A1,agent,ana@acme.com,acme-bot,1001,5511987654321,retorno,utility,"
          "2026-10-05T12:00:00Z\n")
    write(acme / "tickets/t.csv", "TicketId,BotId,CustomerIdentity,Status,StorageDate\n"
          "t1,acme-bot,5511987654321,Open,2026-10-05T12:10:00Z\n"
          "t2,acme-bot,5.51199E+12,Open,2026-10-05T12:20:00Z\n")
    write(acme / "tickets/u.csv", "TicketId,OwnerIdentity,CustomerIdentity,StorageDate\n"
          "t3,acme-bot@msging.net,5.51199E+12,2026-10-05T12:30:00Z\n")
    write(acme / "bot_messages/b.csv",
          "MessageId,BotId,UserIdentity,Direction,StorageDate\n"
          "b1,acme-bot,5511987654321,received,2026-10-05T12:10:00Z\n"
          "b2,acme-bot,5511987654321.0,received,2026-10-05T12:11:00Z\n")
    write(acme / "event_tracks/e.csv", "BotId,ContactIdentity,Category,Action,StorageDate\n"
          'acme-bot,"5,51199E+12",menu,open,2026-10-05T12:12:00Z\n')
    results = {r.file.split("/")[-1]: r for r in run_ingest(tmp_path, params_dir)}
    assert {k: (r.rows_loaded, r.rows_rejected) for k, r in results.items()} == {
        "n.csv": (1, 0), "t.csv": (1, 1), "u.csv": (0, 1), "b.csv": (1, 1), "e.csv": (0, 1)}
    assert "ticket events" in results["u.csv"].message
    scientific = ("a phone number in scientific notation, as a spreadsheet writes a long "
                  "number: its last digits are lost")
    assert rows(tmp_path, "SELECT source_kind, line, field, value, reason FROM rejected_rows "
                "ORDER BY file") == [
        ("bot_messages", 3, "UserIdentity", "5511987654321.0",
         "a phone number written as a decimal number, as a spreadsheet writes a number cell"),
        ("event_tracks", 2, "ContactIdentity", "5,51199E+12", scientific),
        ("tickets", 3, "CustomerIdentity", "5.51199E+12", scientific),
        ("tickets", 2, "CustomerIdentity", "5.51199E+12", scientific)]
    tenant = replace(ACME, timezone="UTC")
    con = scope_connection(tmp_path / "wh.duckdb", tenant)
    assert con.execute(f"SELECT message_id, recipient, ticket_id, opened_ticket "
                       f"FROM ({marts.sql('attendance_agent_tickets')})").fetchall() == [
        ("wamid.A1", "+5511987654321", "t1", True)]


def test_timestamps_semicolons_bom_and_local_times(tmp_path, params_dir):
    text = HEADER.replace(",", ";") + (
        "m1;;agent;ana@acme;acme-bot;1001;+55 (11) 99999-0001;t;utility;"
        "03/10/2026 14:05:09;2026-10-03 14:05:10;2026-10-03T17:05:11Z;;;;\n")
    write(tmp_path / "sources/acme/notifications/n.csv", b"\xef\xbb\xbf" + text.encode())
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.rows_loaded, result.rows_rejected) == (1, 0), result.message
    got = rows(tmp_path, "SELECT recipient, category, strftime(accepted_at AT TIME ZONE 'UTC', "
               "'%Y-%m-%d %H:%M:%S'), strftime(sent_at AT TIME ZONE 'UTC', '%H:%M:%S'), "
               "strftime(delivered_at AT TIME ZONE 'UTC', '%H:%M:%S') FROM notifications")
    # Local São Paulo times (UTC-3) are stored as UTC instants.
    assert got == [("+5511999990001", "utility", "2026-10-03 17:05:09", "17:05:10",
                    "17:05:11")]


def test_a_date_without_leading_zeros_is_rejected_not_read_day_first(tmp_path, params_dir):
    """`3/10/2026 9:05` is how a US spreadsheet writes 10 March (M/D/YYYY): read day first, as
    for a while, it loaded as 3 October without a word, while `3/25/2026` in the same file was
    rejected. Day and month must have two digits each (DD/MM/YYYY, the platform's own form);
    an hour without its leading zero is read (`03/10/2026 9:05`)."""
    write(tmp_path / "sources/acme/notifications/n.csv", HEADER
          + GOOD.replace("2026-10-03T14:05:09-03:00", "3/10/2026 9:05")
          + GOOD.replace("m1,", "m2,").replace("2026-10-03T14:05:09-03:00", "03/10/2026 9:05:07"))
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1), result.message
    assert rows(tmp_path, "SELECT message_id, strftime(accepted_at AT TIME ZONE 'UTC', "
                          "'%Y-%m-%d %H:%M:%S') FROM notifications ORDER BY 1") == [
        ("m2", "2026-10-03 12:05:07")]
    assert rows(tmp_path, "SELECT line, value, reason FROM rejected_rows") == [
        (2, "3/10/2026 9:05", "not a timestamp (ISO 8601, or DD/MM/YYYY HH:MM:SS day first, "
         "day and month with two digits each: 3/10/2026 may be 10 March)")]


def test_iso_timestamps_with_a_lower_case_t_or_z_are_read(tmp_path, params_dir):
    """RFC 3339, section 5.6 (www.rfc-editor.org/rfc/rfc3339#section-5.6): "the 'T' and 'Z'
    characters in this syntax may alternatively be lower case 't' or 'z'". The checks let a
    lower-case z pass as ISO 8601, but DuckDB's cast does not read it: the row was rejected
    ("not a timestamp"), and a lower-case t was refused outright. Both are read now."""
    text = HEADER + (
        "m1,,api,,acme-bot,1001,+5511999990001,t,utility,"
        "2026-10-03t14:05:09-03:00,2026-10-03T17:05:10z,2026-10-03t17:05:11.5z,,,,\n")
    write(tmp_path / "sources/acme/notifications/n.csv", text)
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.rows_loaded, result.rows_rejected) == (1, 0), result.message
    got = rows(tmp_path, "SELECT strftime(accepted_at AT TIME ZONE 'UTC', '%H:%M:%S'), "
               "strftime(sent_at AT TIME ZONE 'UTC', '%H:%M:%S'), "
               "strftime(delivered_at AT TIME ZONE 'UTC', '%H:%M:%S.%g') FROM notifications")
    assert got == [("17:05:09", "17:05:10", "17:05:11.500")]


def test_sql_server_datetimeoffset_with_a_blank_before_the_offset_is_read(tmp_path, params_dir):
    """SQL Server's datetimeoffset, default string format "YYYY-MM-DD hh:mm:ss[.nnnnnnn]
    [{+|-}hh:mm]" (learn.microsoft.com/sql/t-sql/data-types/datetimeoffset-transact-sql):
    what an export from a SQL Server table writes, a blank before the offset. The row was
    rejected ("not a timestamp"). Read now, at its offset (not the tenant's zone)."""
    text = HEADER + (
        "m1,,api,,acme-bot,1001,+5511999990001,t,utility,"
        "2026-10-03 14:05:09.1230000 -03:00,2026-10-03 17:05:10 +00:00,"
        "2026-10-03 17:05:11 Z,,,,\n")
    write(tmp_path / "sources/acme/notifications/n.csv", text)
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.rows_loaded, result.rows_rejected) == (1, 0), result.message
    got = rows(tmp_path, "SELECT strftime(accepted_at AT TIME ZONE 'UTC', '%H:%M:%S.%g'), "
               "strftime(sent_at AT TIME ZONE 'UTC', '%H:%M:%S'), "
               "strftime(delivered_at AT TIME ZONE 'UTC', '%H:%M:%S') FROM notifications")
    assert got == [("17:05:09.123", "17:05:10", "17:05:11")]


def test_a_header_ending_in_a_delimiter_names_its_column_without_a_name(tmp_path, params_dir):
    """An export whose every line ends in the delimiter (`a;b;c;`) has a header column
    without a name; the file's line said "unknown columns ignored: " and named nothing. It
    names the column by its place now, and the rows load."""
    text = (HEADER.rstrip("\n") + ",\n" + GOOD.rstrip("\n") + ",\n").replace(",", ";")
    write(tmp_path / "sources/acme/notifications/n.csv", text)
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.rows_loaded, result.rows_rejected) == (1, 0), result.message
    assert "unknown columns ignored: (column 17, no name)" in result.message


def test_reingest_and_overlapping_files_change_nothing(tmp_path, params_dir):
    write(tmp_path / "sources/acme/notifications/a.csv", HEADER + GOOD)
    run_ingest(tmp_path, params_dir)

    def snapshot():
        return {t: rows(tmp_path, f"SELECT * EXCLUDE (loaded_at) FROM {t} ORDER BY ALL")
                if t == "ingest_log" else rows(tmp_path, f"SELECT * FROM {t} ORDER BY ALL")
                for t in ("notifications", "rejected_rows", "ingest_log", "campaigns")}

    first = snapshot()
    results = run_ingest(tmp_path, params_dir)
    assert [r.status for r in results] == ["unchanged"]
    run_ingest(tmp_path, params_dir)
    assert snapshot() == first
    # An overlapping file (same message plus a new one) upserts on the natural key.
    second = GOOD.replace("promo", "promo_v2") + GOOD.replace("m1,", "m2,")
    write(tmp_path / "sources/acme/notifications/b.csv", HEADER + second)
    run_ingest(tmp_path, params_dir)
    assert rows(tmp_path, "SELECT message_id, template_name FROM notifications ORDER BY 1") == [
        ("m1", "promo_v2"), ("m2", "promo")]


def test_unreadable_files_are_recorded_whole(tmp_path, params_dir):
    write(tmp_path / "sources/acme/notifications/binary.csv", b"\xff\xfe\x00garbage\x81")
    write(tmp_path / "sources/acme/notifications/nocol.csv", "MessageId,Sender\nm1,api\n")
    write(tmp_path / "sources/acme/notifications/empty.csv", "")
    write(tmp_path / "sources/acme/pricing_analytics/bad.json", "{not json")
    results = {r.file.rsplit("/", 1)[1]: r for r in run_ingest(tmp_path, params_dir)}
    assert results["binary.csv"].status == "unreadable"
    assert "not UTF-8" in results["binary.csv"].message
    assert "missing required column BotId" in results["nocol.csv"].message
    assert "empty file" in results["empty.csv"].message
    assert "not valid JSON" in results["bad.json"].message
    log = rows(tmp_path, "SELECT count(*) FROM ingest_log WHERE status = 'unreadable'")
    assert log == [(4,)]
    assert rows(tmp_path, "SELECT count(*) FROM notifications") == [(0,)]


def test_a_gzip_cut_short_says_so_naming_its_last_line_and_the_others_load(tmp_path,
                                                                             params_dir):
    """A .gz copied or downloaded only in part failed in three ways, each in its reader's
    words: 'unexpected error (EOFError: ...)' for a CSV, 'cannot be read (IO Error: Unexpected
    end of GZIP stream ...)' for webhooks, 'cannot read file (Compressed file ended ...)' for
    analytics. Now one reason, naming the last whole line the file still holds."""
    import gzip

    csv_text = HEADER + GOOD + GOOD.replace("m1,", "m2,")
    hook = json.dumps({"entry": [{"id": "w-acme", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": "1001"},
        "statuses": [{"id": "wamid.A", "status": "sent", "timestamp": "1790856000",
                      "recipient_id": "5511999990001"}]}}]}]})
    analytics = json.dumps({"pricing_analytics": {"data": [{"data_points": [
        {"start": 1790812800, "end": 1790899200, "volume": 3}]}]}, "id": "w-acme"}, indent=1)
    # Without its 8-byte trailer (CRC and size): every line is there, the stream is not ended.
    for name, text in (("notifications/n.csv.gz", csv_text),
                       ("whatsapp_webhooks/w.jsonl.gz", "\n".join([hook] * 5) + "\n"),
                       ("pricing_analytics/p.json.gz", analytics)):
        write(tmp_path / "sources/acme" / name, gzip.compress(text.encode())[:-8])
    write(tmp_path / "sources/acme/notifications/whole.csv.gz", gzip.compress(csv_text.encode()))
    results = {r.file.rsplit("/", 1)[1]: r for r in run_ingest(tmp_path, params_dir)}
    lines = {"n.csv.gz": 3, "w.jsonl.gz": 5, "p.json.gz": analytics.count("\n")}
    for name, count in lines.items():
        assert results[name].status == "unreadable"
        assert results[name].message.startswith(
            f"gzip file cut short: its data ends after line {count}, before gzip's "
            "end-of-stream marker"), results[name].message
    assert results["whole.csv.gz"].status == "loaded"
    assert rows(tmp_path, "SELECT count(*) FROM notifications") == [(2,)]


def test_a_windows_1252_export_is_read_and_a_damaged_byte_rejects_its_row_only(tmp_path,
                                                                                params_dir):
    """Excel's "CSV" on a Windows in Portuguese is Windows-1252: such a file was unreadable
    ('not UTF-8 (byte 227)'), or, with a plain header, every row with an accent rejected. It
    is read as Windows-1252 when it holds no UTF-8 character, its line saying so. A UTF-8 file
    with one damaged byte in its first 8 KiB was unreadable whole, one further down lost only
    that row: now that row alone, wherever it is."""
    campaigns = ("CampaignId,CampaignName,BotId,TemplateName,TemplateLanguage,Category,Status,"
                 "Observação\n"
                 "c1,Promoção – outubro,acme-bot,promoção,pt_BR,MARKETING,Sent,“VIP”\n")
    write(tmp_path / "sources/acme/campaigns/excel.csv", campaigns.encode("cp1252"))
    plain_header = HEADER + GOOD.replace(",promo,", ",promoção,")
    write(tmp_path / "sources/acme/notifications/excel.csv", plain_header.encode("cp1252"))
    damaged = (HEADER + GOOD.replace("m1,", "m2,").replace(",promo,", ",promoção,")
               + GOOD.replace("m1,", "m3,")).encode()
    at = damaged.index("ç".encode())
    write(tmp_path / "sources/acme/notifications/damaged.csv",
          damaged[:at] + b"\xe7" + damaged[at + 2:])
    results = {r.file.rsplit("/", 1)[1] + r.kind: r for r in run_ingest(tmp_path, params_dir)}
    excel = results["excel.csvcampaigns"]
    assert (excel.status, excel.rows_loaded, excel.rows_rejected) == ("loaded", 1, 0)
    assert "read as Windows-1252 text" in excel.message
    assert "unknown columns ignored: Observação" in excel.message
    assert rows(tmp_path, "SELECT campaign_name, template_name FROM campaigns") == [
        ("Promoção – outubro", "promoção")]
    notifications = results["excel.csvnotifications"]
    assert (notifications.rows_loaded, notifications.rows_rejected) == (1, 0)
    assert results["damaged.csvnotifications"].status == "loaded"
    assert (results["damaged.csvnotifications"].rows_loaded,
            results["damaged.csvnotifications"].rows_rejected) == (1, 1)
    assert rows(tmp_path, "SELECT line, field, reason FROM rejected_rows") == [
        (2, "*", "not UTF-8")]
    assert rows(tmp_path, "SELECT message_id, template_name FROM notifications ORDER BY 1") == [
        ("m1", "promoção"), ("m3", "promo")]


def test_a_spreadsheets_unicode_text_and_text_exports_are_read(tmp_path, params_dir):
    """A spreadsheet saved as "Unicode text" (UTF-16 with its byte order mark, a tab between
    columns, CRLF) or "text" (Windows-1252, tabs) was unreadable: 'not UTF-8 (UTF-16 byte
    order mark)', or 'missing required column ...' for the tabs."""
    def tabbed(text: str) -> str:
        return text.replace(",", "\t").replace("\n", "\r\n")

    unicode_text = tabbed(HEADER + GOOD.replace(",promo,", ",promoção,"))
    write(tmp_path / "sources/acme/notifications/unicode.csv", unicode_text.encode("utf-16"))
    text = tabbed(HEADER + GOOD.replace("m1,", "m2,").replace(",promo,", ",oferta–vip,"))
    write(tmp_path / "sources/acme/notifications/text.csv", text.encode("cp1252"))
    results = {r.file.rsplit("/", 1)[1]: r for r in run_ingest(tmp_path, params_dir)}
    assert [(r.status, r.rows_loaded, r.rows_rejected) for r in results.values()] == [
        ("loaded", 1, 0)] * 2
    assert "read as UTF-16 text" in results["unicode.csv"].message
    assert "read as Windows-1252 text" in results["text.csv"].message
    assert rows(tmp_path, "SELECT message_id, template_name, accepted_at::VARCHAR "
                          "FROM notifications ORDER BY 1") == [
        ("m1", "promoção", "2026-10-03 17:05:09+00"),
        ("m2", "oferta–vip", "2026-10-03 17:05:09+00")]


def test_files_a_mac_windows_or_a_spreadsheet_keeps_beside_an_export_are_not_read(
        tmp_path, params_dir):
    """A folder copied from a Mac holds `._export.csv` (AppleDouble metadata, binary) beside
    `export.csv`: it was read as a CSV, 'unreadable: not UTF-8 text (line 1 is mostly NUL
    bytes ...)', and the ingest exited 1. It, .DS_Store, Thumbs.db and a spreadsheet's lock
    file are each one line saying what they are, not read, not a failure."""
    folder = tmp_path / "sources/acme/notifications"
    write(folder / "export.csv", HEADER + GOOD)
    write(folder / "._export.csv", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "
          + b"\x00" * 40)
    write(folder / ".DS_Store", b"\x00\x00\x00\x01Bud1" + b"\x00" * 40)
    write(folder / "Thumbs.db", b"\xd0\xcf\x11\xe0")
    write(folder / "~$export.csv", b"\x0bana\x00\x00")
    results = run_ingest(tmp_path, params_dir)
    assert not any(r.failed for r in results)
    assert sorted(r.line() for r in results) == [
        "acme/notifications/.DS_Store: skipped: a file the operating system keeps, not read",
        "acme/notifications/._export.csv: skipped: macOS's metadata of export.csv (a copy "
        "from a Mac), not an export, not read",
        "acme/notifications/Thumbs.db: skipped: a file the operating system keeps, not read",
        "acme/notifications/export.csv: loaded, 1 loaded, 0 rejected",
        "acme/notifications/~$export.csv: skipped: a spreadsheet's lock file (the export is "
        "open in it), not read"]
    assert cli.main(["ingest", str(tmp_path / "sources"), "--warehouse",
                     str(tmp_path / "wh.duckdb"), "--params", str(params_dir)]) == 0


def test_a_first_line_sep_for_excel_is_not_the_header(tmp_path, params_dir):
    """Some exports write `sep=;` first so that Excel splits the columns: the file was
    unreadable ('line 1: missing required column ...'). Line 1 is skipped, the lines of the
    rejected and loaded rows are still the file's."""
    semicolons = (HEADER + GOOD + "m2,c1\n" + GOOD.replace("m1,", "m3,")).replace(",", ";")
    write(tmp_path / "sources/acme/notifications/excel.csv", "sep=;\r\n" + semicolons)
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 1)
    assert "line 1 is Excel's separator hint (sep=;): the header is line 2" in result.message
    assert rows(tmp_path, "SELECT line, reason FROM rejected_rows") == [
        (4, "expected 16 fields, found 2")]
    assert rows(tmp_path, "SELECT message_id, source_line FROM notifications ORDER BY 1") == [
        ("m1", 3), ("m3", 5)]


def test_files_joined_one_after_another_keep_every_row(tmp_path, params_dir):
    """Two exports joined with `cat`, each with its byte order mark: the webhook line that
    began with the second mark was a rejected row 'not valid JSON (Unexpected UTF-8 BOM)',
    its statuses lost; in a CSV, the second header was a rejected row 'Sender: not one of
    campaign, agent, api'. The body is read; the header again says what it is."""
    body = json.dumps({"entry": [{"id": "w-acme", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": "1001"},
        "statuses": [{"id": "wamid.{}", "status": "sent", "timestamp": "1790856000",
                      "recipient_id": "5511999990001"}]}}]}]})
    bom = "\ufeff"
    write(tmp_path / "sources/acme/whatsapp_webhooks/joined.jsonl",
          f"{bom}{body.replace('{}', 'A')}\n{bom}{body.replace('{}', 'B')}\n")
    write(tmp_path / "sources/acme/notifications/joined.csv",
          f"{bom}{HEADER}{GOOD}{bom}{HEADER}{GOOD.replace('m1,', 'm2,')}")
    results = {r.file.rsplit("/", 1)[1]: r for r in run_ingest(tmp_path, params_dir)}
    assert (results["joined.jsonl"].rows_loaded, results["joined.jsonl"].rows_rejected) == (2, 0)
    assert (results["joined.csv"].rows_loaded, results["joined.csv"].rows_rejected) == (2, 1)
    assert rows(tmp_path, "SELECT line, field, reason FROM rejected_rows") == [
        (3, "*", "the header again, not a row (files joined one after another?)")]
    assert rows(tmp_path, "SELECT message_id FROM message_status_events ORDER BY 1") == [
        ("wamid.A",), ("wamid.B",)]


def test_a_file_of_another_form_or_kind_says_what_to_do_with_it(tmp_path, params_dir):
    """A spreadsheet, a ZIP of the export, webhook bodies among the notifications, a CSV among
    the analytics: each was 'not a .csv, .csv.gz file: not read' (or .json), which does not
    say what to do. The line now says it; the files beside them load."""
    import zipfile

    folder = tmp_path / "sources/acme"
    write(folder / "notifications/good.csv", HEADER + GOOD)
    write(folder / "notifications/export.xlsx", b"PK\x03\x04 a spreadsheet")
    with zipfile.ZipFile(write(folder / "notifications/export.zip", b""), "w") as archive:
        archive.writestr("export.csv", HEADER + GOOD)
    write(folder / "notifications/hooks.jsonl", "{}\n")
    write(folder / "pricing_analytics/export.csv", HEADER + GOOD)
    lines = sorted(r.line() for r in run_ingest(tmp_path, params_dir))
    assert lines == [
        "acme/notifications/export.xlsx: skipped: not a .csv, .csv.gz file: not read (a "
        "spreadsheet: save it as CSV, UTF-8 or the spreadsheet's own CSV)",
        "acme/notifications/export.zip: skipped: not a .csv, .csv.gz file: not read (an "
        "archive or another compression: extract its files into this folder; gzip (.gz) is "
        "read as it is)",
        "acme/notifications/good.csv: loaded, 1 loaded, 0 rejected",
        "acme/notifications/hooks.jsonl: skipped: not a .csv, .csv.gz file: not read (Meta's "
        "webhook bodies belong in whatsapp_webhooks/)",
        "acme/pricing_analytics/export.csv: skipped: not a .json, .json.gz file: not read (the "
        "platform's exports belong in the folder of their kind: notifications/, tickets/, "
        "...)"]


def test_hostile_and_unknown_tenant_folders_are_refused(tmp_path, params_dir, capsys):
    write(tmp_path / "sources/Evil Tenant;drop/notifications/n.csv", HEADER + GOOD)
    write(tmp_path / "sources/..hidden/notifications/n.csv", HEADER + GOOD)
    write(tmp_path / "sources/ghost/notifications/n.csv", HEADER + GOOD)
    write(tmp_path / "sources/acme/mystery/x.csv", "a\n1\n")
    code = cli.main(["ingest", str(tmp_path / "sources"), "--warehouse",
                     str(tmp_path / "wh.duckdb"), "--params", str(params_dir)])
    out = capsys.readouterr().out
    assert code == 1
    assert "is not a valid tenant id: nothing of it was read" in out
    assert "unknown tenant 'ghost'" in out
    assert "unknown sub-folder, not read" in out
    assert rows(tmp_path, "SELECT count(*) FROM notifications") == [(0,)]
    assert all("\n" not in line for line in out.splitlines())


@pytest.mark.parametrize(("folder", "says"), [
    ("nope", "no params folder at {params}: give the right --params (or REPORTLIB_PARAMS)"),
    ("empty", "no tenants in {params}/tenants: a tenant's settings are its file there "
              "(<tenant>.yaml, README.md), or give the right --params"),
])
def test_a_params_folder_without_tenants_stops_before_a_warehouse_is_made(
        tmp_path, capsys, folder, says):
    """`ingest --params` mistyped (or a folder with no tenant): every tenant folder was
    refused, 'unknown tenant ...: no params/tenants/<tenant>.yaml' naming a folder other than
    the one given, an empty warehouse was made, and the exit status was 1."""
    params = tmp_path / folder
    if folder == "empty":
        (params / "tenants").mkdir(parents=True)
    write(tmp_path / "sources/acme/notifications/n.csv", HEADER + GOOD)
    assert cli.main(["ingest", str(tmp_path / "sources"), "--warehouse",
                     str(tmp_path / "wh.duckdb"), "--params", str(params)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == "reportlib ingest: error: " + says.format(params=params)
    assert not (tmp_path / "wh.duckdb").exists()


def test_an_unknown_tenant_folder_names_the_params_folder_given(tmp_path, params_dir, capsys):
    write(tmp_path / "sources/ghost/notifications/n.csv", HEADER + GOOD)
    assert cli.main(["ingest", str(tmp_path / "sources"), "--warehouse",
                     str(tmp_path / "wh.duckdb"), "--params", str(params_dir)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{tmp_path}/sources/ghost: refused: unknown tenant 'ghost': no "
        f"{params_dir}/tenants/ghost.yaml"]


@pytest.mark.parametrize(("stop", "code", "says"), [
    (signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_ctrl_c_or_sigterm_during_a_query_stops_the_ingest(tmp_path, params_dir, monkeypatch,
                                                           capsys, stop, code, says):
    """DuckDB turns a signal that comes while it runs a query into RuntimeError('Query
    interrupted'), dropping the KeyboardInterrupt its handler raised: Ctrl-C or `kill PID`
    in the middle of a file recorded that good file 'unreadable: unexpected error
    (RuntimeError: Query interrupted)' and the ingest went on with every other file, exit 1
    (or, between two statements, 'unexpected error ... cannot rollback')."""
    import threading

    from reportlib.ingest import run as ingest_run

    load = ingest_run._load

    def slow_load(con, *args):
        """The signal comes while DuckDB runs a long query, as in a large file."""
        con.execute("SET threads = 1")  # DuckDB looks at the signal at once (with more
        # threads, when a task ends)
        threading.Timer(0.3, os.kill, (os.getpid(), stop)).start()
        con.execute("SELECT count(*) FROM range(20000000000) t(i) WHERE i % 7 = 3").fetchall()
        return load(con, *args)

    monkeypatch.setattr(ingest_run, "_load", slow_load)
    write(tmp_path / "sources/acme/notifications/a.csv", HEADER + GOOD)
    write(tmp_path / "sources/acme/notifications/b.csv", HEADER + GOOD.replace("m1,", "m2,"))
    assert cli.main(["ingest", str(tmp_path / "sources"), "--warehouse",
                     str(tmp_path / "wh.duckdb"), "--params", str(params_dir)]) == code
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == f"reportlib ingest: {says}"
    assert rows(tmp_path, "SELECT count(*) FROM ingest_log") == [(0,)]
    assert rows(tmp_path, "SELECT count(*) FROM notifications") == [(0,)]


@pytest.mark.parametrize(("stop", "code", "says"), [
    (signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")])
def test_an_ingest_stopped_part_way_says_the_files_it_loaded(tmp_path, params_dir, monkeypatch,
                                                             capsys, stop, code, says):
    """Ctrl-C or SIGTERM while the second file loads: the first is in the warehouse, whole,
    and its line is said before the stop. Before, the only line was 'interrupted' (17 files
    committed and nothing said of them)."""
    import threading

    from reportlib.ingest import run as ingest_run

    load = ingest_run._load

    def slow_second(con, *args):
        if args[3].path.name == "b.csv":  # the signal comes while DuckDB reads it
            con.execute("SET threads = 1")
            threading.Timer(0.3, os.kill, (os.getpid(), stop)).start()
            con.execute("SELECT count(*) FROM range(20000000000) t(i) WHERE i % 7 = 3"
                        ).fetchall()
        return load(con, *args)

    monkeypatch.setattr(ingest_run, "_load", slow_second)
    write(tmp_path / "sources/acme/notifications/a.csv", HEADER + GOOD)
    write(tmp_path / "sources/acme/notifications/b.csv", HEADER + GOOD.replace("m1,", "m2,"))
    assert cli.main(["ingest", str(tmp_path / "sources"), "--warehouse",
                     str(tmp_path / "wh.duckdb"), "--params", str(params_dir)]) == code
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "acme/notifications/a.csv: loaded, 1 loaded, 0 rejected"], out
    assert err.strip() == f"reportlib ingest: {says}"
    assert rows(tmp_path, "SELECT message_id FROM notifications") == [("m1",)]


def test_unknown_columns_are_reported_once(tmp_path, params_dir):
    header = HEADER.rstrip("\n") + ",Extra\n"
    write(tmp_path / "sources/acme/notifications/n.csv", header + GOOD.rstrip("\n") + ",x\n")
    [result] = run_ingest(tmp_path, params_dir)
    assert result.rows_loaded == 1 and "unknown columns ignored: Extra" in result.message


def test_analytics_with_and_without_wrapper(tmp_path, params_dir):
    point = {"start": 1790823600, "end": 1790910000, "phone_number": "551140000001",
             "country": "BR", "pricing_type": "REGULAR", "pricing_category": "MARKETING",
             "volume": 5, "cost": 0.3125}
    bad = dict(point, pricing_type="WEIRD")
    other = dict(point, phone_number="552130000002")
    wrapped = {"pricing_analytics": {"data": [{"data_points": [point, bad, other]}]},
               "id": "w-acme"}
    write(tmp_path / "sources/acme/pricing_analytics/a.json", json.dumps(wrapped))
    bare = {"data": [{"data_points": [dict(point, start=1790910000, end=1790996400)]}],
            "paging": {"cursors": {}}}
    write(tmp_path / "sources/acme/pricing_analytics/b.json", json.dumps(bare))
    results = run_ingest(tmp_path, params_dir)
    assert [(r.rows_read, r.rows_loaded, r.rows_rejected) for r in results] == [
        (3, 1, 2), (1, 1, 0)]
    reasons = rows(tmp_path, "SELECT field, reason FROM rejected_rows ORDER BY line")
    assert reasons == [("data[0].data_points[1].pricing_type",
                        "not one of REGULAR, FREE_CUSTOMER_SERVICE, FREE_ENTRY_POINT, "
                        "FREE_GROUP_CUSTOMER_SERVICE, UNKNOWN"),
                       ("data[0].data_points[2].phone_number",
                        "phone number belongs to another tenant")]
    assert rows(tmp_path, "SELECT category, volume, waba_id FROM pricing_daily ORDER BY 1") == [
        ("marketing", 5, "w-acme"), ("marketing", 5, "w-acme")]


@pytest.mark.parametrize("name", ["../etc", "a b", "UPPER", "-x", "x" * 70])
def test_hostile_tenant_names_on_the_command_line(tmp_path, params_dir, name, capsys):
    code = cli.main(["run", f"--tenant={name}", "--period", "2026-10", "--as-of", "2026-11-20",
                     "--params", str(params_dir), "--warehouse", str(tmp_path / "wh.duckdb"),
                     "--outputs", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "not a valid tenant id" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.html"))


def test_column_map_renames_a_column_and_an_unknown_one_is_one_error(tmp_path, params_dir):
    import yaml

    from reportlib import params as params_mod

    path = params_dir / "tenants" / "acme.yaml"
    data = yaml.safe_load(path.read_text())
    data["sources"] = {"notifications": {"columns": {"Message ID": "MessageId",
                                                     "Sent": "AcceptedAt"}}}
    path.write_text(yaml.safe_dump(data))
    renamed = HEADER.replace("MessageId", "Message ID").replace("AcceptedAt", "Sent")
    assert renamed != HEADER
    write(tmp_path / "sources/acme/notifications/n.csv", renamed + GOOD)
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 0)
    assert rows(tmp_path, "SELECT count(*) FROM notifications WHERE accepted_at IS NOT NULL"
                ) == [(1,)]

    # The same map written the other way round ({<column>: <file column>}, as the contract's
    # "map a column to its canonical name" may be read): only one side is a column, so the
    # pair is read as meant.
    data["sources"] = {"notifications": {"columns": {"MessageId": "Message ID",
                                                     "AcceptedAt": "Sent"}}}
    path.write_text(yaml.safe_dump(data))
    assert params_mod.load_tenant(params_dir, "acme").column_maps == {
        "notifications": {"message id": "MessageId", "sent": "AcceptedAt"}}

    data["sources"] = {"notifications": {"columns": {"Message ID": "MesageId"}}}
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ReportError) as info:
        params_mod.load_tenant(params_dir, "acme")
    message = str(info.value)
    assert "\n" not in message
    assert "sources.notifications.columns.Message ID: unknown column 'MesageId'" in message


def test_a_kind_folder_or_a_stray_file_is_named_once_in_its_line(tmp_path, params_dir):
    """A refused kind folder and a file at tenant level print tenant/name, not the name twice."""
    outside = tmp_path / "outside"
    write(outside / "n.csv", HEADER + GOOD)
    (tmp_path / "sources/acme").mkdir(parents=True)
    (tmp_path / "sources/acme/notifications").symlink_to(outside, target_is_directory=True)
    write(tmp_path / "sources/acme/x.csv", HEADER + GOOD)
    lines = sorted(r.line() for r in run_ingest(tmp_path, params_dir))
    assert lines == [
        "acme/notifications: refused: symbolic link leading outside the sources folder: "
        "not read",
        "acme/x.csv: skipped: a file outside any source folder, not read"]


def ingest_unprivileged(base: Path) -> tuple[int, str]:
    """(exit code, output) of `reportlib ingest` of base/sources in a process that file
    permissions apply to: a fork that becomes `nobody` when the tests run as root (root reads
    a chmod 000 folder anyway). The fork runs the code already imported here."""
    # Imported before the fork: `nobody` may not read the interpreter's own files.
    import encodings.utf_8_sig  # noqa: F401

    from reportlib.ingest import run as _loaded  # noqa: F401

    out = base / "out.txt"
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 70
        try:
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            os.chdir(base)
            with open(out, "w") as handle:
                sys.stdout = sys.stderr = handle
                code = cli.main(["ingest", "sources", "--warehouse", "wh.duckdb",
                                 "--params", "params"])
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.read_text()


def test_an_unreadable_folder_is_its_own_line_and_the_others_are_read(params_dir):
    """A kind folder and a tenant folder without read permission (chmod 000): each is one
    line, the files beside them load, exit 1. Before, `iterdir` raised and the whole ingest
    ended as 'unexpected error (PermissionError ...)' with nothing loaded."""
    base = Path(tempfile.mkdtemp(prefix="reportlib-perm-"))
    try:
        shutil.copytree(params_dir, base / "params")
        write(base / "sources/acme/notifications/n.csv", HEADER + GOOD)
        (base / "sources/acme/tickets").mkdir()
        (base / "sources/beta/notifications").mkdir(parents=True)
        for path in [base, *base.rglob("*")]:
            path.chmod(0o777 if path.is_dir() else 0o666)
        (base / "sources/acme/tickets").chmod(0o000)
        (base / "sources/beta").chmod(0o000)
        code, output = ingest_unprivileged(base)
        assert code == 1, output
        assert output.splitlines() == [
            "acme/notifications/n.csv: loaded, 1 loaded, 0 rejected",
            "acme/tickets: unreadable: cannot read folder (Permission denied): nothing of it "
            "was read",
            "sources/beta: unreadable: cannot read folder (Permission denied): "
            "nothing of it was read"]
        con = duckdb.connect(str(base / "wh.duckdb"), read_only=True)
        assert con.execute("SELECT message_id FROM notifications").fetchall() == [("m1",)]
        assert con.execute("SELECT source_kind, file, status, message FROM ingest_log "
                           "WHERE status <> 'loaded'").fetchall() == [
            ("tickets", "sources/acme/tickets", "unreadable",
             "cannot read folder (Permission denied): nothing of it was read")]
        con.close()
    finally:
        for path in [base, *base.rglob("*")] if base.exists() else []:
            path.chmod(0o777)
        shutil.rmtree(base, ignore_errors=True)


def test_nul_bytes_utf16_without_a_mark_and_a_stray_nul_in_a_cell(tmp_path, params_dir):
    """A file saved as UTF-16 without a byte order mark reads as text with a NUL after every
    ASCII character: it is not UTF-8 and is unreadable, one line (the CSV said 'missing
    required column MessageId, …', the webhook file loaded as 0 rows with every line rejected
    and ingest exited 0). A NUL inside one cell rejects that row naming the field (the id was
    stored with the NUL in it)."""
    status = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "w-acme",
        "changes": [{"field": "messages", "value": {
            "metadata": {"phone_number_id": "1001"},
            "statuses": [{"id": "wamid.A", "status": "sent", "timestamp": "1790856000",
                          "recipient_id": "5511999990001"}]}}]}]})
    write(tmp_path / "sources/acme/notifications/utf16.csv",
          (HEADER + GOOD).encode("utf-16-le"))
    write(tmp_path / "sources/acme/whatsapp_webhooks/utf16.jsonl",
          (status + "\n" + status + "\n").encode("utf-16-le"))
    write(tmp_path / "sources/acme/notifications/nul.csv",
          (HEADER + GOOD + GOOD.replace("m1,", "m\x002,")).encode())
    results = {Path(r.file).name: r for r in run_ingest(tmp_path, params_dir)}
    reason = "not UTF-8 text (line 1 is mostly NUL bytes: UTF-16 without a byte order mark?)"
    assert (results["utf16.csv"].status, results["utf16.csv"].message) == ("unreadable", reason)
    assert (results["utf16.jsonl"].status, results["utf16.jsonl"].message) == (
        "unreadable", reason)
    nul = results["nul.csv"]
    assert (nul.status, nul.rows_read, nul.rows_loaded, nul.rows_rejected) == (
        "loaded", 2, 1, 1)
    assert rows(tmp_path, "SELECT line, field, value, reason FROM rejected_rows") == [
        (3, "MessageId", "m\x002", "contains a NUL byte")]
    assert rows(tmp_path, "SELECT message_id FROM notifications") == [("m1",)]


def test_a_brazilian_number_without_its_country_code_is_not_taken_for_north_america(
        tmp_path, params_dir):
    """A number of the North American Numbering Plan is +1 and 10 digits, its area code
    starting with 2 to 9. `11987654321` (São Paulo's area code 11, the country code left out)
    read as +1 198…, a number no one has, and was priced as North America; it is rejected,
    saying why. Meta's examples stay numbers: `16505551234` (its webhooks reference),
    `15550783881` (its test number, whose exchange starts with 0)."""
    def row(mid: str, recipient: str) -> str:
        return (f'{mid},,api,,acme-bot,1001,"{recipient}",t,utility,'
                f"2026-10-03T14:05:09-03:00,,,,,,\n")

    write(tmp_path / "sources/acme/notifications/n.csv", HEADER + "".join(
        row(m, r) for m, r in (("g1", "16505551234"), ("g2", "+1 555 078 3881"),
                               ("b1", "11987654321"), ("b2", "+1 198 765 4321"),
                               ("b3", "1650555123"))))
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.rows_loaded, result.rows_rejected) == (2, 3)
    assert rows(tmp_path, "SELECT message_id, recipient FROM notifications ORDER BY 1") == [
        ("g1", "+16505551234"), ("g2", "+15550783881")]
    reason = ("not an E.164 phone number: a +1 (North American) number is 1 and 10 digits, "
              "its area code starting with 2 to 9 (a national number written without its "
              "country code?)")
    assert rows(tmp_path, "SELECT value, reason FROM rejected_rows ORDER BY line") == [
        ("11987654321", reason), ("+1 198 765 4321", reason), ("1650555123", reason)]


@needs_tmpfs
def test_a_full_disk_stops_the_ingest_saying_what_was_loaded(tmp_path, params_dir):
    """The warehouse's disk fills while a large file loads: the ingest recorded that good
    file, and every later one, 'unreadable: cannot be read (… No space left on device)', went
    on, and ended with one line that said none of the files it had loaded. Now that file is
    rolled back and the ingest stops there: each file done before it is said, then the full
    disk naming the file; exit 1; the next run (with room) loads the rest. The disk is a real
    tmpfs (tests/full_disk.py)."""
    import subprocess

    from tests.conftest import REPO

    write(tmp_path / "sources/acme/notifications/a.csv", HEADER + GOOD)
    argv = [sys.executable, "-m", "reportlib.cli", "ingest", str(tmp_path / "sources"),
            "--warehouse", str(tmp_path / "wh" / "wh.duckdb"), "--params", str(params_dir)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    assert subprocess.run(argv, capture_output=True, env=env).returncode == 0
    write(tmp_path / "sources/acme/notifications/a2.csv", HEADER + GOOD.replace("m1,", "n1,"))
    write(tmp_path / "sources/acme/notifications/b.csv", HEADER + "".join(
        GOOD.replace("m1,", f"b{i},") for i in range(60_000)))  # about 6 MB
    write(tmp_path / "sources/beta/notifications/c.csv", HEADER + GOOD.replace("m1,", "c1,"))
    used = sum(-(-p.stat().st_size // 4096) * 4 for p in (tmp_path / "wh").iterdir())
    done = on_small_disk(tmp_path / "wh", f"{used + 768}k", argv, env=env)
    assert done.returncode == 1, (done.stdout, done.stderr)
    sources = tmp_path / "sources"
    assert done.stdout.splitlines() == [
        "acme/notifications/a.csv: unchanged, 1 loaded, 0 rejected",
        "acme/notifications/a2.csv: loaded, 1 loaded, 0 rejected"]
    assert done.stderr.startswith(
        f"reportlib ingest: error: the disk is full: could not write {tmp_path}/wh/wh.duckdb")
    assert done.stderr.endswith("; free some space on that disk and run again; the files "
                                "above are as they say, each whole (the one being loaded was "
                                "rolled back); the next run reads the rest\n")
    assert len(done.stderr.splitlines()) == 1
    con = duckdb.connect(str(tmp_path / "wh" / "wh.duckdb"), read_only=True)
    logged = con.execute("SELECT file, status FROM ingest_log ORDER BY file").fetchall()
    con.close()
    assert logged == [(f"{sources}/acme/notifications/a.csv", "loaded"),
                      (f"{sources}/acme/notifications/a2.csv", "loaded")]
    again = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr
    assert "b.csv: loaded, 60000 loaded" in again.stdout and "c.csv: loaded" in again.stdout


def test_windows_1252_text_with_a_pair_of_bytes_that_looks_like_utf8_is_read(tmp_path,
                                                                              params_dir):
    """In Windows-1252, 'É”' is the bytes C9 94, which happen to make one UTF-8 character:
    found anywhere in the file, it made the whole file UTF-8, and every row with an accent was
    rejected 'not UTF-8' (a review's probe: 0 loaded, 3 rejected). The file holds more bytes
    that are no UTF-8 than characters of UTF-8: it is Windows-1252, and its rows are read."""
    text = HEADER + "".join(
        GOOD.replace("m1,", f"m{n},").replace(",promo,", f",{name},")
        for n, name in ((1, "promoção"), (2, "“CAFÉ”"), (3, "lançamento")))
    write(tmp_path / "sources/acme/notifications/excel.csv", text.encode("cp1252"))
    assert "É”".encode("cp1252") == b"\xc9\x94" and b"\xc9\x94".decode("utf-8") == "ɔ"
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.rows_loaded, result.rows_rejected) == (3, 0), result.message
    assert "read as Windows-1252 text" in result.message
    assert rows(tmp_path, "SELECT template_name FROM notifications ORDER BY message_id") == [
        ("promoção",), ("“CAFÉ”",), ("lançamento",)]


@pytest.mark.parametrize("form", ["sep line", "Windows-1252"])
def test_a_gzip_cut_short_that_is_copied_first_leaves_no_copy_behind(tmp_path, params_dir,
                                                                     monkeypatch, form):
    """A .csv.gz whose first line is `sep=;`, or in Windows-1252, is read from a temporary
    copy: cut short, the copy stopped with EOFError and was left in the temporary folder (4
    MiB in a review's probe), at each ingest. The file is unreadable as before, and no copy
    stays."""
    import gzip
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    text = HEADER + GOOD + GOOD.replace("m1,", "m2,")
    data = (("sep=,\n" + text).encode() if form == "sep line"
            else text.replace(",promo,", ",promoção,").encode("cp1252"))
    write(tmp_path / "sources/acme/notifications/n.csv.gz", gzip.compress(data)[:-8])
    [result] = run_ingest(tmp_path, params_dir)
    assert result.status == "unreadable", result.line()
    assert list(scratch.iterdir()) == []


def test_a_tab_separated_export_takes_a_decimal_comma(tmp_path, params_dir):
    """A spreadsheet in Portuguese saved as "text" separates its columns with tabs and writes
    a rating as 4,5: the row was rejected 'not a number', a decimal comma being accepted only
    with `;` between columns. Where the comma is no delimiter (`;`, a tab), it is one."""
    header = "TicketId\tBotId\tCustomerIdentity\tStatus\tStorageDate\tRating\n"
    row = "t1\tacme-bot\t+5511999990001\tClosedClient\t2026-10-03T14:05:09-03:00\t4,5\n"
    write(tmp_path / "sources/acme/tickets/t.csv", header + row)
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.rows_loaded, result.rows_rejected) == (1, 0), result.message
    assert rows(tmp_path, "SELECT rating FROM tickets") == [(4.5,)]


def test_a_header_after_a_sep_line_is_named_line_2_in_another_encoding_too(tmp_path,
                                                                           params_dir):
    """A Windows-1252 file whose first line is `sep=,` and whose header misses a column: the
    reason said 'line 1: missing required column MessageId', the header being line 2 (it was
    renumbered for a UTF-8 file only)."""
    header = HEADER.replace("MessageId,", "Mensagem_Nº,")
    write(tmp_path / "sources/acme/notifications/n.csv",
          ("sep=,\n" + header + GOOD).encode("cp1252"))
    [result] = run_ingest(tmp_path, params_dir)
    assert result.status == "unreadable"
    assert result.message.startswith("line 2: missing required column"), result.message
