"""Per-month source files of one tenant, appended chunk by chunk as the days are drawn, so the
generator never holds more than a chunk of rows.

Rows are joined here rather than by `csv.writer` (about five times slower on these rows):
every generated value is free of delimiters, quotes and line breaks, except constants passed
through `csv_field` once.
"""

from __future__ import annotations

import csv
import io
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from reportlib.demo.clock import LocalClock, month_label

CSV_LINE_END = "\r\n"  # as the csv module writes
WRITE_BLOCK = 10_000  # lines joined per write: a day's text is never copied whole


def csv_field(text: str, delimiter: str = ",") -> str:
    """One value quoted as a CSV writer would (for constants that hold commas or quotes)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="").writerow([text])
    return buffer.getvalue()


@dataclass
class Table:
    """Rows of one platform export, column by column. A float64 column holds instants (Unix
    seconds, NaN = empty) written in the tenant's timestamp style; any other column holds the
    final text. The local month of column `when` picks the file."""

    kind: str
    when: str
    columns: dict[str, np.ndarray | list]

    def __len__(self) -> int:
        return len(self.columns[self.when])


class MonthFiles:
    """Writes `<folder>/<kind>/<kind>_<YYYY-MM>.csv` (and JSONL files) by appending. A file is
    truncated and given its header the first time this run touches it, so a re-run into the
    same folder replaces files instead of growing them. The most recently used files stay
    open (`OPEN_FILES`); `close()` when done."""

    OPEN_FILES = 32

    def __init__(self, folder: Path, clock: LocalClock, style: str,
                 shape: str = "wide") -> None:
        self.folder, self.clock, self.style, self.shape = folder, clock, style, shape
        self.delimiter = ";" if style == "dmy-semicolon" else ","
        self._touched: set[Path] = set()
        self._open: OrderedDict[Path, TextIO] = OrderedDict()

    def _handle(self, path: Path, header: str | None) -> TextIO:
        if path in self._open:
            self._open.move_to_end(path)
            return self._open[path]
        if len(self._open) >= self.OPEN_FILES:
            self._open.popitem(last=False)[1].close()
        if path in self._touched:
            handle = open(path, "a", encoding="utf-8", newline="")
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._touched.add(path)
            handle = open(path, "w", encoding="utf-8", newline="")
            if header is not None:
                handle.write(header)
        self._open[path] = handle
        return handle

    def close(self) -> None:
        while self._open:
            self._open.popitem()[1].close()

    def _texts(self, column: np.ndarray | list) -> list[str]:
        if isinstance(column, np.ndarray) and column.dtype == np.float64:
            return self.clock.text(column, self.style)
        return column.tolist() if isinstance(column, np.ndarray) else column

    def rows(self, table: Table) -> list[str]:
        """The table's rows as CSV lines, without line ends."""
        texts = [self._texts(column) for column in table.columns.values()]
        return list(map(self.delimiter.join, zip(*texts, strict=True)))

    def write(self, table: Table) -> None:
        """Append a table's rows to the file of each row's local month (in the platform's
        own export shape when the demo is asked for it: `reportlib.demo.platform`)."""
        if self.shape == "platform":
            from reportlib.demo.platform import platform_tables

            for part in platform_tables(table):
                self._write(part)
        else:
            self._write(table)

    def _write(self, table: Table) -> None:
        if not len(table):
            return
        when = np.asarray(table.columns[table.when])
        present = ~np.isnan(when)
        months = np.full(len(when), -1, dtype=np.int64)
        months[present] = self.clock.month(when[present])
        lines = self.rows(table)
        header = self.delimiter.join(table.columns) + CSV_LINE_END
        for month in np.unique(months[present]).tolist():
            chosen = np.flatnonzero(months == month).tolist()
            part = lines if len(chosen) == len(lines) else [lines[i] for i in chosen]
            self.append_csv(table.kind, month, header, part)

    def append_csv(self, kind: str, month: int, header: str, lines: list[str]) -> None:
        handle = self._handle(self.folder / kind / f"{kind}_{month_label(month)}.csv", header)
        _write_lines(handle, lines, CSV_LINE_END)

    def append_lines(self, kind: str, name: str, lines: list[str]) -> None:
        """Append JSON lines to `<kind>/<name>`."""
        _write_lines(self._handle(self.folder / kind / name, None), lines, "\n")


def _write_lines(handle: TextIO, lines: list[str], end: str) -> None:
    for begin in range(0, len(lines), WRITE_BLOCK):
        handle.write(end.join(lines[begin:begin + WRITE_BLOCK]))
        handle.write(end)
