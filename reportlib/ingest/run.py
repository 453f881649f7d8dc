"""Orchestration: every tenant folder, every file, one transaction a file, no file stops others.

Good rows go to canonical tables (upserted on their natural key, so re-loading a file or an
overlapping one changes nothing); bad rows go to `rejected_rows` with file, line, field, value
and reason; each file gets one `ingest_log` row with its SHA-256. Whatever a file holds, an
error in it is that file's one-line result: the run goes on with the next file.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import duckdb

from reportlib import params as params_mod
from reportlib import sources, warehouse
from reportlib.errors import ReportError, disk_full, printable, raise_if_stopping
from reportlib.ingest import files
from reportlib.ingest.analytics import NOT_READ, load_analytics
from reportlib.ingest.ownership import Ownership, ownership, shared
from reportlib.ingest.platform_csv import load_csv
from reportlib.ingest.results import FileResult, log, rules
from reportlib.ingest.webhooks import load_webhooks, register_functions
from reportlib.params import TenantParams

MEMORY_LIMIT = "1GB"  # DuckDB spills to a temp folder beyond this: RSS stays flat with size
CHECKPOINT_THRESHOLD = "256MB"


def _load(con, tenant: TenantParams, own: Ownership, kind: str, entry: files.Entry,
          sha: str) -> FileResult:
    files.check_gzip(entry)
    if kind in sources.CSV_SOURCES:
        return load_csv(con, tenant, own, kind, entry, sha)
    if kind == "whatsapp_webhooks":
        return load_webhooks(con, tenant, own, entry, sha)
    return load_analytics(con, tenant, own, kind, entry, sha)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return printable(text[0] if text else type(exc).__name__)[:300]


def ingest_file(con: duckdb.DuckDBPyConnection, tenant: TenantParams, own: Ownership, kind: str,
                entry: files.Entry) -> FileResult:
    """Load one file in one transaction; an unreadable file is recorded whole with its reason."""
    path = entry.path
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        result = FileResult(tenant.tenant_id, kind, str(path), "unreadable",
                            message="file name is not UTF-8: rename the file")
        log(con, result, None)
        return result
    try:
        sha = files.sha256(path)
    except OSError as exc:
        result = FileResult(tenant.tenant_id, kind, str(path), "unreadable",
                            message=f"cannot read file ({exc.strerror})")
        log(con, result, None)
        return result
    seen = con.execute(
        "SELECT rows_read, rows_loaded, rows_rejected FROM ingest_log WHERE tenant_id = ? "
        "AND source_kind = ? AND sha256 = ? AND status = 'loaded' AND rules = ? LIMIT 1",
        [tenant.tenant_id, kind, sha, rules()]).fetchall()
    if seen:
        return FileResult(tenant.tenant_id, kind, str(path), "unchanged", *seen[0])
    # The same bytes, loaded under another version's rules: by whatever name they had then.
    earlier = [f for (f,) in con.execute(
        "SELECT DISTINCT file FROM ingest_log WHERE tenant_id = ? AND source_kind = ? "
        "AND sha256 = ? AND status = 'loaded'", [tenant.tenant_id, kind, sha]).fetchall()]
    con.execute("BEGIN TRANSACTION")
    try:
        if earlier:
            forget_file(con, tenant.tenant_id, [*earlier, str(path)], sha)
        result = _load(con, tenant, own, kind, entry, sha)
        if earlier:
            note = "read again: its last load was by another version's rules"
            result.message = f"{result.message}; {note}" if result.message else note
        con.execute("COMMIT")
        con.execute("SET TimeZone = 'UTC'")
        return result
    except (KeyboardInterrupt, SystemExit):
        with contextlib.suppress(duckdb.TransactionException):  # it came after the COMMIT
            con.execute("ROLLBACK")
        raise
    except Exception as exc:  # noqa: BLE001 - any error of one file is that file's result
        with contextlib.suppress(duckdb.TransactionException):
            con.execute("ROLLBACK")
        raise_if_stopping(exc)  # Ctrl-C or SIGTERM inside a query: not this file's error
        if disk_full(exc):  # nor is a full disk: it was recorded 'unreadable: cannot be read
            raise  # (… No space left on device)' and the ingest went on with every file
        con.execute("SET TimeZone = 'UTC'")
        # A .gz file cut short fails wherever it is first read to its end (Python's gzip,
        # DuckDB's reader), each in its own words: one reason for all, naming where it ends.
        cut = files.gzip_problem(entry) if entry.compressed else None
        if cut:
            message = cut
        elif isinstance(exc, ReportError):
            message = _one_line(exc)
        elif isinstance(exc, duckdb.Error):
            message = f"cannot be read ({_one_line(exc)})"
        else:
            message = f"unexpected error ({type(exc).__name__}: {_one_line(exc)})"
        result = FileResult(tenant.tenant_id, kind, str(path), "unreadable", message=message)
        log(con, result, sha)
        return result


def forget_file(con: duckdb.DuckDBPyConnection, tenant_id: str, names: list[str],
                sha: str) -> None:
    """Take out what a load of this file left (its rows in the canonical tables, by the
    names it was loaded under, and its rejected rows) before it is read again by other rules:
    a row those rules reject, or spell otherwise (an event track's key is all its columns),
    would stay beside the new one."""
    for (table,) in con.execute(
            "SELECT table_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_catalog, table_schema, table_name) "
            "WHERE t.table_type = 'BASE TABLE' AND c.table_schema = 'main' "
            "AND c.column_name = 'source_file' ORDER BY 1").fetchall():
        con.execute(f'DELETE FROM "{table}" WHERE tenant_id = ? AND source_file IN '
                    "(SELECT unnest(?::VARCHAR[]))", [tenant_id, names])
    con.execute("DELETE FROM rejected_rows WHERE tenant_id = ? AND sha256 = ? AND file IN "
                "(SELECT unnest(?::VARCHAR[]))", [tenant_id, sha, names])


def _register_tenant(con, tenant: TenantParams) -> None:
    con.execute("INSERT OR REPLACE INTO tenants VALUES (?, ?, ?, ?, ?)",
                [tenant.tenant_id, tenant.display_name, tenant.timezone, tenant.locale,
                 tenant.currency])
    con.execute("DELETE FROM template_categories WHERE tenant_id = ?", [tenant.tenant_id])
    for name, category in tenant.templates.items():
        con.execute("INSERT INTO template_categories VALUES (?, ?, ?)",
                    [tenant.tenant_id, name, category])
    for p in tenant.phone_numbers:
        con.execute("INSERT OR REPLACE INTO phone_numbers VALUES (?, ?, ?, ?, ?)",
                    [tenant.tenant_id, p.phone_number_id, p.display_phone_number, p.waba_id,
                     p.label])


def _open(warehouse_path: Path) -> duckdb.DuckDBPyConnection:
    """The warehouse, with a memory limit and a spill folder beside it."""
    warehouse_path = Path(warehouse_path)
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    con = warehouse.create(warehouse_path)
    spill = warehouse_path.with_name(warehouse_path.name + ".tmp")
    register_functions(con)
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    # A commit that finds the log past this threshold writes every table to the file: at the
    # default 16 MB each webhook file's commit did (a fifth of the run). Whole-file transactions
    # still hold: the log is replayed on open.
    con.execute(f"SET checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    con.execute(f"SET temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
    return con


class Session:
    """The ingest's connection, handed over between two files to a command that waits for the
    warehouse (a report run), then taken back: ingest holds the lock only while it writes."""

    def __init__(self, warehouse_path: Path) -> None:
        self.path = Path(warehouse_path)
        self.con = _open(self.path)

    def between_files(self) -> duckdb.DuckDBPyConnection:
        if warehouse.someone_waiting(self.path):
            self.con.close()
            deadline = time.monotonic() + HANDOVER_SECONDS
            while warehouse.someone_waiting(self.path) and time.monotonic() < deadline:
                time.sleep(0.1)  # the waiter takes the lock as soon as it is free
            self.con = _open(self.path)
        return self.con


HANDOVER_SECONDS = 30.0  # how long ingest lets a waiting command in before taking it back


def _folder_unreadable(exc: OSError) -> str:
    return f"cannot read folder ({exc.strerror or type(exc).__name__}): nothing of it was read"


def _tenant_results(session: Session, folder: Path, root: Path, tenant: TenantParams,
                    own: Ownership, results: list[FileResult]) -> None:
    """Each file of a tenant folder, its result appended to `results` once it is done."""
    name = folder.name
    try:
        subs = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError as exc:  # a tenant folder without read permission: its one line
        results.append(FileResult(name, "", str(folder), "unreadable",
                                  message=_folder_unreadable(exc)))
        return
    for sub in subs:
        kind = sub.name
        if sub.is_symlink() and not files.inside(sub, root):
            results.append(FileResult(name, printable(kind), str(sub), "refused",
                                      message="symbolic link leading outside the sources "
                                      "folder: not read", tenant_entry=True))
            continue
        if not sub.is_dir():
            results.append(FileResult(name, printable(kind), str(sub), "skipped",
                                      message="a file outside any source folder, not read",
                                      tenant_entry=True))
            continue
        if kind not in sources.KNOWN_SOURCES:
            what = (f"Meta's {NOT_READ[kind]}: no report reads it, not read"
                    if kind in NOT_READ else "unknown sub-folder, not read")
            results.append(FileResult(name, printable(kind), str(sub), "skipped",
                                      message=what, tenant_entry=True))
            continue
        try:
            entries = files.kind_entries(kind, sub, root)
        except OSError as exc:  # a kind folder without read permission: its one line
            result = FileResult(name, kind, str(sub), "unreadable",
                                message=_folder_unreadable(exc), tenant_entry=True)
            log(session.between_files(), result, None)
            results.append(result)
            continue
        for entry in entries:
            if entry.status == "read":
                con = session.between_files()
                results.append(ingest_file(con, tenant, own, kind, entry))
            else:
                results.append(FileResult(name, kind, str(entry.path), entry.status,
                                          message=entry.message))


def ingest(sources_dir: Path, warehouse_path: Path, params_dir: Path,
           results: list[FileResult] | None = None) -> list[FileResult]:
    """Ingest every tenant folder of SOURCES_DIR into the warehouse; returns one result a file,
    appended to `results` as they come (a caller stopped part way still has those done)."""
    sources_dir, params_dir = Path(sources_dir), Path(params_dir)
    if not sources_dir.is_dir():
        raise ReportError(f"sources: {printable(sources_dir)} is not a folder")
    if not any(not p.name.startswith(".") for p in sources_dir.iterdir()):
        # Most often the wrong folder: say so before a warehouse is made for nothing.
        raise ReportError(f"sources: {printable(sources_dir)} is empty: it holds a folder per "
                          "tenant, each a folder per kind of file (e.g. acme/notifications/"
                          "2026-10.csv)")
    known = {t: params_mod.load_tenant(params_dir, t) for t in params_mod.list_tenants(params_dir)}
    if not known:  # every folder would be refused, into a warehouse made for nothing
        raise ReportError(f"no tenants in {params_dir / 'tenants'}: a tenant's settings are "
                          "its file there (<tenant>.yaml, README.md), or give the right "
                          "--params")
    if problem := shared(known.values()):  # rows of it would load for both tenants
        raise ReportError(problem)
    results = [] if results is None else results
    session = Session(warehouse_path)
    try:
        _ingest_folders(session, sources_dir, params_dir, known, results)
        session.con.execute("CHECKPOINT")
        session.con.close()
    except Exception as exc:
        with contextlib.suppress(duckdb.Error):
            session.con.close()
        if full := disk_full(exc):
            raise DiskFull(results, full) from exc
        raise
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            session.con.close()
        raise
    return results


class DiskFull(Exception):
    """The disk filled while a file was loaded: that file is rolled back, the files before it
    are loaded (each whole, `results`), the ones after it not read. The command says each
    file, then this, and stops (exit 1): a run that went on recorded every later file as
    unreadable, and said none of the files it had loaded."""

    def __init__(self, results: list[FileResult], reason: str) -> None:
        super().__init__(reason)
        self.results, self.reason = results, reason


def _ingest_folders(session: Session, sources_dir: Path, params_dir: Path,
                    known: dict[str, TenantParams], results: list[FileResult]) -> None:
    """Every tenant folder, its results appended to `results` as they come."""
    for folder in sorted(sources_dir.iterdir(), key=lambda p: p.name):
        if not folder.is_dir():
            results.append(FileResult("", "", str(folder), "skipped",
                                      message="not a tenant folder, not read"))
            continue
        problem = files.tenant_folder_problem(folder, sources_dir, set(known), params_dir)
        if problem:
            results.append(FileResult(folder.name, "", str(folder), "refused",
                                      message=problem))
            continue
        tenant = known[folder.name]
        own = ownership(tenant, (t for k, t in known.items() if k != folder.name))
        _register_tenant(session.between_files(), tenant)
        _tenant_results(session, folder, sources_dir, tenant, own, results)
