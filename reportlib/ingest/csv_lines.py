"""Lines of a CSV file that DuckDB's strict reader cannot take as they are, set aside.

Three kinds of line defeat `read_csv` with `store_rejects`, though each is only one bad row:
- a carriage return inside a cell that is not quoted, in a file whose lines end in LF or
  CRLF, or lines ending some in CRLF, some in LF: the reader gives up on the whole file
  ("state machine reached an invalid state");
- a line of very many fields: the reader rejects it once per extra field, each reject
  holding the whole line, so a 3 MB line of 1.5 million fields takes hours;
- a line of tens of megabytes (a gzip file of a few MB may hold one of a gigabyte): the
  reader drops it without a reject, and reading it whole in Python took gigabytes.
Such a line is replaced, in a temporary copy of the file, by a line of one field too many
(DuckDB rejects it at once, and the lines keep their numbers); the load names it with the
reason below.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reportlib.ingest import files

LONE_CR = ("a carriage return inside a cell that is not quoted (a line break in a cell needs "
           "the cell in quotes)")
# A line is looked at for its fields only past this length: one of fewer bytes cannot hold
# enough fields to be slow.
LONG_LINE_BYTES = 64 << 10
# More fields than the header's by this many: DuckDB's cost is then seconds, and no real row
# comes near it.
EXTRA_FIELDS = 1000
# A record longer than this is rejected whole: no real export row comes near it.
MAX_LINE_BYTES = 1 << 20
TOO_LONG = f"line longer than {MAX_LINE_BYTES >> 20} MiB"
CHUNK = 4 << 20


@dataclass(frozen=True)
class SetAside:
    """One line replaced in the copy: its number in the file, its text (cut), why."""

    line: int
    value: str
    reason: str


def long_lines(entry: files.Entry) -> set[int]:
    """The numbers of the lines (ended by LF) longer than LONG_LINE_BYTES: a pass over the
    bytes with numpy, about a gigabyte a second, so every file can afford it."""
    found: set[int] = set()
    line, length = 1, 0  # the line being read and its bytes so far
    with files.open_bytes(entry) as source:
        while chunk := source.read(CHUNK):
            ends = np.flatnonzero(np.frombuffer(chunk, np.uint8) == 10)
            if not len(ends):
                length += len(chunk)
                if length > LONG_LINE_BYTES:
                    found.add(line)
                continue
            if length + int(ends[0]) > LONG_LINE_BYTES:
                found.add(line)
            if len(ends) > 1:
                gaps = np.diff(ends) - 1
                for i in np.flatnonzero(gaps > LONG_LINE_BYTES):
                    found.add(line + int(i) + 1)
            line += len(ends)
            length = len(chunk) - 1 - int(ends[-1])
    if length > LONG_LINE_BYTES:
        found.add(line)
    return found


def filler(delimiter: str, fields: int) -> str:
    """The line that stands in for one set aside: one field too many, none empty (DuckDB
    reads a line of empty fields as a row of NULLs, whatever their number)."""
    return delimiter.join(["x"] * (fields + 1))


class _Line:
    """What a pass over one line learns of it, piece by piece, without holding it whole (a
    line of a gigabyte is read in pieces of CHUNK bytes)."""

    def __init__(self, delimiter: bytes, count: bool) -> None:
        self.delimiter, self.count = delimiter, count
        self.length = 0  # bytes before its LF
        self.head = b""  # its first bytes, for the rejected row's value
        self.fields = 1  # delimiters outside quotes, plus one (when `count`)
        self.quoted = False  # inside a quoted cell at the end of the bytes so far
        self.inner_cr = False  # a carriage return with something after it
        self.trailing_cr = False  # the bytes so far end in a carriage return

    def add(self, piece: bytes) -> None:
        self.length += len(piece)
        if len(self.head) < 200:
            self.head += piece[:200]
        body = piece.rstrip(b"\r")
        if b"\r" in body or (self.trailing_cr and body):
            self.inner_cr = True
        self.trailing_cr = len(body) < len(piece) or (self.trailing_cr and not body)
        if self.count:
            # A doubled quote inside a cell leaves and enters it again: the count holds.
            parts = piece.split(b'"')
            outside = parts[1::2] if self.quoted else parts[0::2]
            self.fields += sum(part.count(self.delimiter) for part in outside)
            self.quoted ^= (len(parts) - 1) % 2 == 1

    def whole_fields(self) -> int | None:
        """Its fields; None when it cannot be one whole record: a quote left open (the record
        goes on), or a carriage return inside (a file whose lines end in CR)."""
        return None if self.quoted or self.inner_cr or not self.count else self.fields


def _lines(source) -> Iterator[tuple[bytes, bool]]:
    """The file's bytes as (piece, whether it ends its line), a line in pieces of CHUNK
    bytes at most: a line never sits in memory whole."""
    for piece in iter(lambda: source.readline(CHUNK), b""):
        yield piece, piece.endswith(b"\n")


def _reasons(entry: files.Entry, sep: bytes, fields: int, lone_cr: bool,
             candidates: set[int]) -> dict[int, tuple[str, str]]:
    """Line number -> (its text, cut; why it is set aside), from one pass over the file."""
    found: dict[int, tuple[str, str]] = {}
    number, line = 1, _Line(sep, 1 in candidates)
    with files.open_bytes(entry) as source:
        for piece, ends in _lines(source):
            line.add(piece[:-1] if ends else piece)
            if not ends:
                continue
            if reason := _reason(line, fields, lone_cr, number in candidates):
                found[number] = (line.head.rstrip(b"\r")[:200].decode("utf-8", "replace"),
                                 reason)
            number += 1
            line = _Line(sep, number in candidates)
    if line.length and (reason := _reason(line, fields, lone_cr, number in candidates)):
        found[number] = (line.head.rstrip(b"\r")[:200].decode("utf-8", "replace"), reason)
    return found


def _reason(line: _Line, fields: int, lone_cr: bool, candidate: bool) -> str | None:
    found = line.whole_fields() if candidate else None
    if found is not None and found > fields + EXTRA_FIELDS:
        return f"expected {fields} fields, found {found}"
    if candidate and line.length - line.trailing_cr > MAX_LINE_BYTES:
        # with a quote left open too (a stray quote in it): the line goes, and its quote
        # with it. DuckDB rejects such a line itself (LINE SIZE OVER MAXIMUM) only while it fits its
        # buffer: one of 100 MB was dropped without a reject, its row lost without a word.
        return TOO_LONG
    if lone_cr and line.inner_cr:
        return LONE_CR
    return None


def set_aside(entry: files.Entry, delimiter: str, fields: int, lone_cr: bool,
              candidates: set[int] = frozenset()) -> tuple[Path | None, list[SetAside]]:
    """A temporary copy of the file (uncompressed) without the lines DuckDB cannot take:
    among `candidates` (long lines) those of far too many fields or longer than
    MAX_LINE_BYTES, and, with `lone_cr`, every line with a carriage return before its end;
    with `lone_cr` every line of the copy also ends in LF alone (DuckDB gives up on a file
    whose lines end some in CRLF, some in LF: two exports joined, one from Windows). (None,
    []) when no line is set aside and `lone_cr` is false. The file is read in pieces, twice
    when a copy is written."""
    sep = delimiter.encode()
    found = _reasons(entry, sep, fields, lone_cr, candidates)
    if not found and not lone_cr:
        return None, []
    stand_in = filler(delimiter, fields).encode()
    fd, name = tempfile.mkstemp(prefix=".set-aside-", suffix=".csv")
    try:
        with os.fdopen(fd, "wb") as out, files.open_bytes(entry) as source:
            # `crs`: the carriage returns the line's bytes so far end in, held back until it
            # is known whether they end the line (dropped with `lone_cr`) or are inside it.
            number, crs = 1, b""
            for piece, ends in _lines(source):
                body = piece[:-1] if ends else piece
                text = body.rstrip(b"\r")
                if text:
                    if number not in found:
                        out.write(crs + text)
                    crs = body[len(text):]
                else:
                    crs += body
                if ends:
                    out.write((stand_in if number in found else b"")
                              + (b"" if lone_cr else crs) + b"\n")
                    number, crs = number + 1, b""
            out.write((stand_in if number in found else b"") + (b"" if lone_cr else crs))
    except BaseException:  # a gzip cut short, a full disk, a stop: no copy left behind
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), [SetAside(n, text, reason) for n, (text, reason) in sorted(found.items())]
