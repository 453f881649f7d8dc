"""Lines set aside before DuckDB reads a CSV (reportlib/ingest/csv_lines.py): only those it
cannot take, found wherever they fall in the file."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from reportlib.ingest import csv_lines, files

HEADER = b"a,b,c\n"


def entry(tmp_path: Path, data: bytes, name: str = "f.csv") -> files.Entry:
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return files.Entry(path, "read")


@pytest.mark.parametrize("chunk", [7, 1000, 4 << 20])
def test_long_lines_are_numbered_wherever_chunks_end(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(csv_lines, "CHUNK", chunk)
    monkeypatch.setattr(csv_lines, "LONG_LINE_BYTES", 20)
    # lines 1-5: short, 21 bytes (long), short, 40 bytes (long), 21 bytes without an end
    data = HEADER + b"1,2,3\n" + b"x" * 21 + b"\n4,5,6\n" + b"y" * 40 + b"\n" + b"z" * 21
    assert csv_lines.long_lines(entry(tmp_path, data)) == {3, 5, 6}
    assert csv_lines.long_lines(entry(tmp_path, data, "f.csv.gz")) == {3, 5, 6}


def test_only_a_line_of_far_too_many_fields_outside_quotes_is_set_aside(tmp_path):
    wide = b",".join([b"x"] * 5000)
    quoted = b'1,2,"' + b",".join([b'q""'] * 5000) + b'"'  # 3 fields: the commas are in a cell
    wide_quoted = b'"a",' + b",".join([b'"y"'] * 4999)  # 5000 fields, each quoted
    data = HEADER + wide + b"\n" + quoted + b"\n" + wide_quoted + b"\n1,2,3\n"
    found = entry(tmp_path, data)
    copy, lines = csv_lines.set_aside(found, ",", 3, False, {2, 3, 4})
    try:
        assert [(x.line, x.reason) for x in lines] == [(2, "expected 3 fields, found 5000"),
                                                       (4, "expected 3 fields, found 5000")]
        assert copy.read_bytes() == (HEADER + b"x,x,x,x\n" + quoted + b"\nx,x,x,x\n"
                                     b"1,2,3\n")
    finally:
        copy.unlink()
    # Nothing to set aside: no copy is written. A quote left open is DuckDB's to reject.
    assert csv_lines.set_aside(found, ",", 3, False, {3}) == (None, [])
    open_quote = entry(tmp_path, HEADER + b'"' + wide + b"\n", "open.csv")
    assert csv_lines.set_aside(open_quote, ",", 3, False, {2}) == (None, [])


def test_a_file_whose_lines_end_in_cr_is_one_long_line_but_never_set_aside(tmp_path):
    # Old Mac line ends: to a search for LF the whole file is one line, of many commas.
    data = b"a,b,c\r" + b"1,2,3\r" * 30_000
    found = entry(tmp_path, data)
    assert csv_lines.long_lines(found) == {1}
    assert csv_lines.set_aside(found, ",", 3, False, {1}) == (None, [])
