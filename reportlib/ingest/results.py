"""What happened to each file: its printed line, its `ingest_log` row, its rejected rows."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb

from reportlib.errors import printable


@dataclass
class FileResult:
    """What happened to one source file (or one refused folder or entry)."""

    tenant: str
    kind: str
    file: str
    status: str  # loaded | unchanged | unreadable | refused | skipped
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    message: str = ""
    # An entry of the tenant folder itself (a kind folder, a stray file), not of a kind folder:
    # its line names it once, as tenant/name.
    tenant_entry: bool = False

    @property
    def failed(self) -> bool:
        return self.status in ("unreadable", "refused")

    def line(self) -> str:
        """One line, always: names and messages are escaped."""
        if self.tenant_entry:
            where = f"{self.tenant}/{Path(self.file).name}"
        elif self.kind:
            where = f"{self.tenant}/{self.kind}/{Path(self.file).name}"
        else:
            where = self.file
        if self.status in ("loaded", "unchanged"):
            text = (f"{where}: {self.status}, {self.rows_loaded} loaded, "
                    f"{self.rows_rejected} rejected")
            text += f" ({self.message})" if self.message else ""
        else:
            text = f"{where}: {self.status}: {self.message}"
        return printable(text)


@functools.cache
def rules() -> str:
    """The digest of the rules a file is read by: the code of `reportlib.sources` (the input
    contract) and `reportlib.ingest`. A file last loaded under other rules (another version
    of reportlib) is loaded again, not skipped as unchanged: what a newer version accepts,
    rejects or spells otherwise reaches the warehouse without the operator touching a file."""
    digest = hashlib.sha256()
    root = resources.files("reportlib")
    for package in ("sources", "ingest"):
        for item in sorted((root / package).iterdir(), key=lambda i: i.name):
            if item.name.endswith(".py"):
                digest.update(item.name.encode() + b"\0" + item.read_bytes())
    return digest.hexdigest()[:16]


def log(con: duckdb.DuckDBPyConnection, result: FileResult, sha: str | None) -> None:
    try:
        result.file.encode("utf-8")
        file = result.file
    except UnicodeEncodeError:  # a name that is not UTF-8 is stored escaped
        file = printable(result.file)
    con.execute(
        "INSERT INTO ingest_log (tenant_id, source_kind, file, sha256, status, rows_read, "
        "rows_loaded, rows_rejected, message, loaded_at, rules) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [result.tenant, result.kind, file, sha, result.status, result.rows_read,
         result.rows_loaded, result.rows_rejected, result.message, datetime.now(UTC), rules()],
    )


def finish(con: duckdb.DuckDBPyConnection, tenant: str, kind: str, path: Path, sha: str,
           loaded: int, notes: list[str] | None = None) -> FileResult:
    """Count the file's rejected rows (already in `rejected_rows`), log it, return its result.

    Rows read = loaded + rejected, by construction: every record of the file is one or the other.
    """
    rejected, first = con.execute(
        "SELECT count(*), arg_min('line ' || line || ' field ' || field || ': ' || reason, line) "
        "FROM rejected_rows WHERE sha256 = ? AND file = ? AND tenant_id = ?",
        [sha, str(path), tenant]).fetchall()[0]
    message = "; ".join(([f"first: {first}"] if first else []) + (notes or []))
    result = FileResult(tenant, kind, str(path), "loaded", loaded + rejected, loaded, rejected,
                        message)
    log(con, result, sha)
    return result
