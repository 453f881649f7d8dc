"""Hostile source files, each a real file through `ingest`: the file's bad row is one
rejected row with its reason, its other rows load, and memory stays bounded."""

from __future__ import annotations

import dataclasses
import gzip
import tracemalloc
import zlib

import pytest

from reportlib import cli
from reportlib import params as params_mod
from reportlib.ingest import files
from reportlib.params import PhoneNumber
from tests.conftest import ACME, BETA, webhook, write
from tests.ingest.test_run import GOOD, HEADER, rows, run_ingest


def test_a_line_of_a_hundred_megabytes_in_a_small_gzip_is_a_rejected_row(tmp_path, params_dir):
    """A .csv.gz of 100 KB holding one line of 100 MB between two good rows: DuckDB dropped
    the line without a reject (0 rejected, the row gone without a word), and Python read it
    whole to count its fields (a line of 1 GB took 2.6 GB)."""
    data = HEADER + GOOD + "0" * (100 << 20) + "\n" + GOOD.replace("m1,", "m2,")
    write(tmp_path / "sources/acme/notifications/bomb.csv.gz", gzip.compress(data.encode(), 1))
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 1)
    assert rows(tmp_path, "SELECT line, field, left(value, 5), reason FROM rejected_rows") == [
        (3, "*", "00000", "line longer than 1 MiB")]


def test_lines_ending_some_in_crlf_some_in_lf_load(tmp_path, params_dir):
    """A Windows export joined to a Linux one (`cat`), and a carriage return alone inside an
    unquoted cell: the whole file was 'unreadable: cannot be read (Invalid Input Error: The
    CSV Parser state machine reached an invalid state.)'. Each good row loads; the row with a
    lone CR is the rejected one."""
    crlf = (HEADER + GOOD).replace("\n", "\r\n")
    lf = GOOD.replace("m1,", "m2,") + GOOD.replace("m1,", "m3,").replace("promo", "pro\rmo")
    write(tmp_path / "sources/acme/notifications/joined.csv", crlf + lf + "\r\n")
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 1)
    assert rows(tmp_path, "SELECT message_id FROM notifications ORDER BY 1") == [
        ("m1",), ("m2",)]
    assert rows(tmp_path, "SELECT line, reason LIKE 'a carriage return inside a cell%' "
                "FROM rejected_rows") == [(4, True)]


def test_a_gzip_bomb_found_damaged_is_checked_in_bounded_memory(tmp_path):
    """Why a .gz could not be read is found by decompressing it again: a megabyte read at
    once came out as one piece of up to a gigabyte (a bomb refused as an analytics response
    took 2.5 GB to say so)."""
    payload = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    data = payload.compress(b"\0" * (256 << 20)) + payload.flush()
    path = write(tmp_path / "p.json.gz", data[:-8])  # cut short: no trailer
    tracemalloc.start()
    try:
        problem = files.gzip_problem(files.Entry(path, "read"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert problem is not None and problem.startswith("gzip file cut short")
    assert peak < 32 << 20, f"{peak >> 20} MiB"


def test_a_utc_offset_beyond_14_hours_is_a_rejected_row(tmp_path, params_dir):
    """DuckDB reads any two digits as the offset's hours: `+99:00` loaded 10:00 on 5 October
    as 07:00 UTC on 1 October, four days back without a word. Offsets up to 14 hours load."""
    text = HEADER + "".join(
        GOOD.replace("m1,", f"m{i},").replace("2026-10-03T14:05:09-03:00", at)
        for i, at in enumerate(["2026-10-05T10:00:00+99:00", "2026-10-05T10:00:00-0375",
                                "2026-10-05T10:00:00+14:00", "2026-10-05T10:00:00-12:00"]))
    write(tmp_path / "sources/acme/notifications/offsets.csv", text)
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.rows_loaded, result.rows_rejected) == (2, 2)
    assert rows(tmp_path, "SELECT line, field, value, reason FROM rejected_rows ORDER BY 1") == [
        (2, "AcceptedAt", "2026-10-05T10:00:00+99:00",
         "UTC offset out of range (at most 14 hours, e.g. -03:00)"),
        (3, "AcceptedAt", "2026-10-05T10:00:00-0375",
         "UTC offset out of range (at most 14 hours, e.g. -03:00)")]
    assert rows(tmp_path, "SELECT message_id, strftime(accepted_at AT TIME ZONE 'UTC', "
                "'%d %H:%M') FROM notifications ORDER BY 1") == [
        ("m2", "04 20:00"), ("m3", "05 22:00")]


def test_a_byte_order_mark_starting_a_line_inside_the_file_is_not_kept_in_its_cell(
        tmp_path, params_dir):
    """A file joined after another holds the second one's byte order mark at the start of a
    line: its first cell kept it ('\\ufeffm2'), a message id that matches no webhook."""
    write(tmp_path / "sources/acme/notifications/joined.csv",
          HEADER + GOOD + "\ufeff" + GOOD.replace("m1,", "m2,"))
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    assert rows(tmp_path, "SELECT message_id FROM notifications ORDER BY 1") == [
        ("m1",), ("m2",)]


def test_a_byte_order_mark_before_a_quoted_first_cell_leaves_no_quotes(tmp_path, params_dir):
    """An export that quotes its cells, joined after another: the reader took the second
    one's first cell, `\ufeff"m2"`, as text, and the id loaded as '"m2"' (quotes and all),
    an id no webhook meets (a review of the fix above)."""
    quoted = '"m2",' + GOOD.split(",", 1)[1]
    write(tmp_path / "sources/acme/notifications/joined.csv", HEADER + GOOD + "\ufeff" + quoted)
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    assert rows(tmp_path, "SELECT message_id FROM notifications ORDER BY 1") == [
        ("m1",), ("m2",)]


def test_a_long_line_with_a_stray_quote_is_a_rejected_row(tmp_path, params_dir):
    """The line of 100 MB above with a stray quote in it (its record never closes): it was
    still dropped without a reject (2 read, 2 loaded, 0 rejected), found by a review."""
    data = (HEADER + GOOD + '0"' + "0" * (100 << 20) + "\n" + GOOD.replace("m1,", "m2,"))
    write(tmp_path / "sources/acme/notifications/bomb.csv.gz", gzip.compress(data.encode(), 1))
    [result] = run_ingest(tmp_path, params_dir)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 1)
    assert rows(tmp_path, "SELECT line, reason FROM rejected_rows") == [
        (3, "line longer than 1 MiB")]


def test_tenants_sharing_a_business_account_each_load_their_webhooks(tmp_path):
    """Tenants may share a WhatsApp Business Account (each its own numbers): Acme declares
    w-shared for 1001, Beta declares no account for 2001. Beta's status of 2001 under
    w-shared was rejected 'WhatsApp Business Account belongs to another tenant' (every
    webhook of such a tenant lost) by a rule now taken back; the phone number is Beta's."""
    params = tmp_path / "params"
    params_mod.dump_tenant(params, dataclasses.replace(ACME, phone_numbers=(
        PhoneNumber("1001", "+55 11 4000-0001", "w-shared", "Vendas"),)))
    params_mod.dump_tenant(params, dataclasses.replace(BETA, phone_numbers=(
        PhoneNumber("2001", "+55 21 3000-0002", "", "Main"),)))
    hook = webhook("2001", waba="w-shared", statuses=[
        {"id": "wamid.B1", "status": "sent", "timestamp": "1790856000",
         "recipient_id": "5511999990001"}])
    write(tmp_path / "sources/beta/whatsapp_webhooks/w.jsonl", hook + "\n")
    assert cli.main(["ingest", str(tmp_path / "sources"), "--warehouse",
                     str(tmp_path / "wh.duckdb"), "--params", str(params)]) == 0
    assert rows(tmp_path, "SELECT tenant_id, message_id FROM message_status_events") == [
        ("beta", "wamid.B1")]


@pytest.mark.parametrize(("field", "says"), [
    ("phone", "phone number 1001 is also declared by acme"),
    ("display", "phone number +551140000001 is also declared by acme"),
    ("bot", "bot acme-bot is also declared by acme")])
def test_a_phone_number_or_bot_two_tenants_declare_stops_the_ingest(tmp_path, capsys, field,
                                                                      says):
    """Beta's settings declaring Acme's phone number 1001 (a copied file, a typo): each
    tenant's folder loaded the other's rows of it (a webhook file of Acme's in both folders:
    its statuses of 1001 counted for both tenants). A usage line naming both files, before a
    warehouse is made."""
    params = tmp_path / "params"
    beta = {"phone": dataclasses.replace(BETA, phone_numbers=(
                *BETA.phone_numbers, PhoneNumber("1001", "", "w-beta", "copied"))),
            "display": dataclasses.replace(BETA, phone_numbers=(
                PhoneNumber("2001", "+55 (11) 4000-0001", "w-beta", "Main"),)),
            "bot": dataclasses.replace(BETA, bots=("beta-bot", "ACME-BOT"))}[field]
    params_mod.dump_tenant(params, ACME)
    params_mod.dump_tenant(params, beta)
    hook = webhook("1001", statuses=[{"id": "wamid.A", "status": "sent",
                                      "timestamp": "1790856000", "recipient_id": "5511999990001"}])
    for tenant in ("acme", "beta"):
        write(tmp_path / f"sources/{tenant}/whatsapp_webhooks/w.jsonl", hook + "\n")
    assert cli.main(["ingest", str(tmp_path / "sources"), "--warehouse",
                     str(tmp_path / "wh.duckdb"), "--params", str(params)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == (
        f"reportlib ingest: error: {params}/tenants/beta.yaml: {says} "
        f"({params}/tenants/acme.yaml): a {says.split(' ')[0]}{' number' * (field != 'bot')} "
        "belongs to one tenant; remove it from the one it is not")
    assert not (tmp_path / "wh.duckdb").exists()
