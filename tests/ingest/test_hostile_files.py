"""Hostile source files, each a real file through `ingest`: the file's bad row is one
rejected row with its reason, its other rows load, and memory stays bounded."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

from reportlib.ingest import files
from tests.conftest import write
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
