"""Lines of a CSV file that DuckDB's strict reader cannot take as they are, set aside.

Two kinds of line defeat `read_csv` with `store_rejects`, though each is only one bad row:
- a carriage return inside a cell that is not quoted, in a file whose lines end in LF or
  CRLF: the reader gives up on the whole file ("state machine reached an invalid state");
- a line of very many fields: the reader rejects it once per extra field, each reject
  holding the whole line, so a 3 MB line of 1.5 million fields takes hours.
Such a line is replaced, in a temporary copy of the file, by a line of one field too many
(DuckDB rejects it at once, and the lines keep their numbers); the load names it with the
reason below.
"""

from __future__ import annotations

import os
import tempfile
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


def _fields(body: bytes, delimiter: bytes) -> int | None:
    """The fields of a line, counting only delimiters outside quotes (a doubled quote inside
    a cell keeps the count even); None when the line cannot be one whole record: a quote left
    open (the record goes on), or a carriage return inside (a file whose lines end in CR)."""
    if b"\r" in body.rstrip(b"\r"):
        return None
    parts = body.split(b'"')
    if len(parts) % 2 == 0:
        return None
    return sum(part.count(delimiter) for part in parts[0::2]) + 1


def _too_wide(body: bytes, delimiter: bytes, fields: int) -> bool:
    found = _fields(body, delimiter)
    return found is not None and found > fields + EXTRA_FIELDS


def set_aside(entry: files.Entry, delimiter: str, fields: int, lone_cr: bool,
              candidates: set[int] = frozenset()) -> tuple[Path | None, list[SetAside]]:
    """A temporary copy of the file (uncompressed) without the lines DuckDB cannot take:
    among `candidates` (long lines) those of far too many fields, and, with `lone_cr`, every
    line with a carriage return before its end. (None, []) when no line is set aside."""
    sep = delimiter.encode()
    if not lone_cr:  # only long lines to look at: read them before writing any copy
        with files.open_bytes(entry) as source:
            wide = {n for n, raw in enumerate(source, start=1) if n in candidates
                    and _too_wide(raw.rstrip(b"\n"), sep, fields)}
        if not wide:
            return None, []
    found: list[SetAside] = []
    fd, name = tempfile.mkstemp(prefix=".set-aside-", suffix=".csv")
    with os.fdopen(fd, "wb") as out, files.open_bytes(entry) as source:
        for number, raw in enumerate(source, start=1):
            body = raw[:-1] if raw.endswith(b"\n") else raw
            reason = None
            if number in candidates and _too_wide(body, sep, fields):
                reason = f"expected {fields} fields, found {_fields(body, sep)}"
            elif lone_cr and b"\r" in body.rstrip(b"\r"):
                reason = LONE_CR
            if reason:
                text = body.rstrip(b"\r")[:200].decode("utf-8", "replace")
                found.append(SetAside(number, text, reason))
                end = raw[len(body.rstrip(b"\r")):]  # the file's own line ending
                raw = filler(delimiter, fields).encode() + end
            out.write(raw)
    return Path(name), found
