"""One tenant-period bundle: a small DuckDB file holding only that tenant's marts.

`build` runs the marts against the warehouse (attached read-only) and writes the bundle to a
temporary name, renamed into place when complete. `Bundle` opens one read-only for a notebook.
Tenant isolation holds by construction: every mart filters on the scope's tenant and the file
holds nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from reportlib import environment, marts, registry, warehouse
from reportlib.domain import calendar, pricing
from reportlib.domain.calendar import Period
from reportlib.errors import ReportError
from reportlib.marts import tenant_slice
from reportlib.params import TenantParams, funnels, params_file

# What one bundle build may hold in memory before it spills to a folder beside the bundle
# (DuckDB's `memory_limit`): a run builds as many bundles at once as it has workers, each
# beside a kernel, so a large tenant spills instead of growing. The command's
# $REPORTLIB_BUNDLE_MEMORY sets another (DuckDB's notation: '500MB', '2GB').
MEMORY_LIMIT = "1GB"


def build(warehouse_path: Path, tenant: TenantParams, period: Period, as_of: date,
          out_path: Path, reports: tuple[str, ...] = ("consumption",),
          rate_card: list[pricing.RateRow] | None = None,
          memory_limit: str = MEMORY_LIMIT, threads: int | None = None) -> dict[str, str]:
    """Write the bundle of one scope to `out_path`; returns its tables' hashes
    (`table_hashes`; `tables_hash` of them is its content hash). `threads`: DuckDB's, when
    other builds share the cores (default: one per core)."""
    warehouse_path, out_path = Path(warehouse_path), Path(out_path)
    if not warehouse_path.is_file():
        raise ReportError(f"warehouse: {warehouse_path} does not exist (run reportlib ingest)")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".bundle-", suffix=".duckdb", dir=out_path.parent)
    os.close(fd)
    os.unlink(tmp_name)
    rows = rate_card if rate_card is not None else pricing.load_rate_card()
    warehouse.ensure_current(warehouse_path)
    spill = Path(tempfile.mkdtemp(prefix=".spill-", dir=out_path.parent))
    con = warehouse.connect(":memory:")
    try:
        con.execute("SET memory_limit = ?", [memory_limit])
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.execute("SET temp_directory = ?", [str(spill)])
        attach_scope(con, warehouse_path, tenant, period, as_of, rows)
        tenant_slice.take(con, marts.queries(reports))
        marts.build_staging(con, reports)
        con.execute("ATTACH ? AS out", [str(tmp_name)])  # bound: a path may hold a quote
        for name in marts.mart_names(reports):
            con.execute(f"CREATE TABLE out.{name} AS {marts.mart_query(name, reports)}")
        _copy_site_tables(con, tenant, period, reports)
        con.execute("CREATE TABLE out.rate_card AS SELECT * FROM memory.main.rate_card")
        info = bundle_info(tenant, period, as_of, rows, reports)
        con.execute("CREATE TABLE out.bundle_info (key VARCHAR, value VARCHAR)")
        # One statement: DuckDB's executemany runs one per row, a millisecond each.
        con.execute("INSERT INTO out.bundle_info VALUES " + ", ".join(["(?, ?)"] * len(info)),
                    [x for k, v in info.items() for x in (k, json.dumps(v))])
        hashes = _table_hashes(con, "out")  # here, not by opening the file again
        con.execute("DETACH out")
    except duckdb.OutOfMemoryException as exc:
        Path(tmp_name).unlink(missing_ok=True)
        raise ReportError(f"bundle of {tenant.tenant_id} {period.label}: more than its memory "
                          f"limit of {memory_limit} even when spilling "
                          f"({str(exc).splitlines()[0]}); "
                          "set REPORTLIB_BUNDLE_MEMORY higher") from None
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    os.replace(tmp_name, out_path)
    return hashes


def attach_scope(con: duckdb.DuckDBPyConnection, warehouse_path: Path, tenant: TenantParams,
                 period: Period, as_of: date, rate_card: list[pricing.RateRow]) -> None:
    """Ready `con` for a scope's staging and marts: the warehouse attached read-only (as
    `wh`, waited for while a writer holds it), the rate card's macros, the scope's
    variables. Raises ReportError for a tenant the warehouse does not know."""
    warehouse.waiting_for_lock(
        lambda: con.execute("ATTACH ? AS wh (READ_ONLY)", [str(warehouse_path)]), warehouse_path)
    known = con.execute("SELECT count(*) FROM wh.tenants WHERE tenant_id = ?",
                        [tenant.tenant_id]).fetchall()[0][0]
    if not known:
        raise ReportError(f"unknown tenant {tenant.tenant_id!r}: not in {warehouse_path}")
    pricing.install(con, rate_card, tenant.currency)
    con.execute("SET search_path = 'memory.main,wh.main'")
    marts.set_scope(con, marts.Scope(tenant.tenant_id, tenant.timezone, period, as_of,
                                     tenant.sla_target_minutes, funnels_of(tenant)))


def _copy_site_tables(con: duckdb.DuckDBPyConnection, tenant: TenantParams, period: Period,
                      reports) -> None:
    """The canonical tables the site's own reports read, for this tenant and period only, as
    `reportlib extract` gives them (identities masked)."""
    from reportlib.deliver import extract

    tables = dict.fromkeys(t for r in reports if (spec := registry.find(r)) and spec.site
                           for t in spec.tables)
    if not tables:
        return
    extract.set_scope(con, tenant, period.start, period.end)
    for name in tables:
        con.execute(f"CREATE TABLE out.{name} AS {extract.QUERIES[name]('masked')}")


def funnels_of(tenant: TenantParams) -> tuple:
    """The funnels declared in the tenant's params: ((name, ((category, action), ...)), ...)."""
    return funnels(params_file(tenant), tenant.options.get("funnels"))


def bundle_info(tenant: TenantParams, period: Period, as_of: date,
                rows: list[pricing.RateRow], reports) -> dict:
    return {
        "tenant": tenant.tenant_id, "display_name": tenant.display_name,
        "timezone": tenant.timezone, "locale": tenant.locale, "currency": tenant.currency,
        "period": period.label, "period_start": period.start.isoformat(),
        "period_end": period.end.isoformat(), "as_of": as_of.isoformat(),
        "partial": calendar.is_partial(period, as_of),
        "open": calendar.is_open(period, as_of),
        "consolidation_date": calendar.consolidation_date(period).isoformat(),
        # The card's rows of the tenant's currency only: no date when it has none.
        "rate_card_date": (day.isoformat() if (
            day := pricing.rate_card_date(rows, tenant.currency)) else None),
        "rate_card_sources": sorted({r.source.split(":")[0] for r in
                                     pricing.in_currency(rows, tenant.currency) if r.enabled}),
        "phone_labels": {"".join(c for c in p.display_phone_number if c.isdigit()): p.label
                         for p in tenant.phone_numbers},
        # The names the tenant gives its bots (ids compared lower-case, as ingest's ownership
        # does) and its events' categories, actions and labels: the reports show these.
        "bot_names": {b.lower(): n for b, n in tenant.bot_names.items()},
        "event_names": tenant.event_names,
        "reports": list(reports),
        # A site's own reports as its notebook needs them (a kernel reads no params).
        "site_reports": {r: {"title": dict(spec.titles), "tables": list(spec.tables),
                             "marts": list(spec.marts)}
                         for r in reports if (spec := registry.find(r)) and spec.site},
        "options": tenant.options,
        "sla_target_minutes": tenant.sla_target_minutes,
    }


def table_hashes(path: Path) -> dict[str, str]:
    """Per table of the bundle, a hash of its columns and rows (not of the file's bytes, which
    DuckDB varies). The rows are summed in SQL as a multiset of row hashes, so no row is
    fetched into Python (fetching them all was a third of a bundle's build). Floating-point
    values count to 12 significant digits: a parallel sum may differ in the last bits from
    one build to the next, and that is not a change of content."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return _table_hashes(con)
    finally:
        con.close()


def _table_hashes(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> dict[str, str]:
    """`table_hashes` of the tables of `catalog` (a bundle attached to `con`), or of the
    connection's own database."""
    where = "WHERE table_catalog = ?" if catalog else ""
    prefix = f'"{catalog}".main.' if catalog else ""
    found = {}
    columns = con.execute(
        "SELECT table_name, list(column_name ORDER BY ordinal_position), "
        "list(data_type ORDER BY ordinal_position) "
        f"FROM information_schema.columns {where} GROUP BY table_name ORDER BY table_name",
        [catalog] if catalog else []).fetchall()
    for table, names, types in columns:
        values = ", ".join(
            f"printf('%.12g', \"{n}\") AS \"{n}\"" if t in ("DOUBLE", "FLOAT", "REAL")
            else f'"{n}"' for n, t in zip(names, types, strict=True))
        rows, total = con.execute(
            f'SELECT count(*), COALESCE(sum(hash(t)::HUGEINT), 0) '
            f'FROM (SELECT {values} FROM {prefix}"{table}") t').fetchone()
        names = [f"{n} {t}" for n, t in zip(names, types, strict=True)]
        found[table] = hashlib.sha256(
            f"{table}|{'|'.join(names)}|{rows}|{total}".encode()).hexdigest()
    return found


def coverage_hash(path: Path, kinds: tuple[str, ...],
                  sums: dict[str, tuple[int, int]] | None = None) -> str:
    """A hash of the coverage rows of these source kinds only: a report's coverage block shows
    its own sources, so another source's new rows do not change it. `sums`: the bundle's
    `coverage_sums`, read once for all its reports."""
    sums = coverage_sums(path) if sums is None else sums
    wanted = [sums[k] for k in set(kinds) if k in sums]
    rows, total = sum(n for n, _ in wanted), sum(t for _, t in wanted)
    return hashlib.sha256(f"{sorted(kinds)}|{rows}|{total}".encode()).hexdigest()


def coverage_sums(path: Path) -> dict[str, tuple[int, int]]:
    """Per source kind of the bundle's coverage: its rows and the sum of their hashes."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {kind: (int(rows), int(total)) for kind, rows, total in con.execute(
            "SELECT kind, count(*), COALESCE(sum(hash(t)::HUGEINT), 0) FROM source_coverage t "
            "GROUP BY kind").fetchall()}
    finally:
        con.close()


def content_hash(path: Path) -> str:
    """A hash of the whole bundle: of every table's hash (`table_hashes`)."""
    return tables_hash(table_hashes(path))


def tables_hash(tables: dict[str, str]) -> str:
    """The content hash of a bundle whose tables' hashes are `tables`."""
    text = "\n".join(f"{t} {h}" for t, h in sorted(tables.items()))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Bundle:
    """A read-only view of one bundle for a notebook: `info` and `table(name)` frames. One
    read-only connection serves all its reads (opening the file costs 30-40 ms, and a report
    reads up to eight tables); it closes with the object, or with `close()`."""

    path: Path
    info: dict
    _con: duckdb.DuckDBPyConnection | None = field(default=None, repr=False, compare=False)

    @classmethod
    def open(cls, path: Path | str) -> Bundle:
        path = Path(path)
        if not path.is_file():
            raise ReportError(f"bundle: {path} does not exist")
        con = duckdb.connect(str(path), read_only=True)
        info = {k: json.loads(v) for k, v in con.execute(
            "SELECT key, value FROM bundle_info").fetchall()}
        return cls(path, info, con)

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = duckdb.connect(str(self.path), read_only=True)
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def tables(self) -> set[str]:
        return {r[0] for r in self._connection().execute("SHOW TABLES").fetchall()}

    def table(self, name: str) -> pd.DataFrame:
        return self._connection().execute(f'SELECT * FROM "{name}"').df()

    @property
    def period(self) -> Period:
        return calendar.parse_period(self.info["period"])

    @property
    def as_of(self) -> date:
        return date.fromisoformat(self.info["as_of"])


# A cached bundle not used for this long is removed the next time one is built.
CACHE_KEEP_SECONDS = 7 * 24 * 3600


def _builder_hash() -> str:
    """The code that builds a bundle (this module, the marts and their SQL, pricing,
    calendar, the warehouse's views, the registry): other code, another bundle."""
    root = Path(__file__).resolve().parent.parent  # the package
    digest = hashlib.sha256()
    paths = [root / "registry.py", root / "deliver" / "extract.py",
             *sorted((root / "marts").rglob("*.py")), *sorted((root / "marts").rglob("*.sql")),
             *sorted((root / "domain").glob("*.py")), *sorted((root / "warehouse").glob("*.py")),
             *sorted((root / "reports").glob("*/*.sql"))]
    for path in paths:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def cached_build(warehouse_path: Path, tenant: TenantParams, period: Period, as_of: date,
                 reports: tuple[str, ...], rate_card: list[pricing.RateRow],
                 cache: Path) -> Path:
    """A bundle of this scope from the cache, built now only when none is current: one built
    from the same warehouse (its file and log unchanged since), tenant settings, rate card,
    reports and bundle code. A new build replaces the older ones of the same tenant, period,
    as-of date and reports; a bundle unused for a week is removed."""
    warehouse_path = Path(warehouse_path).resolve()
    slot = hashlib.sha256(json.dumps(
        [str(warehouse_path), tenant.tenant_id, period.label, as_of.isoformat(),
         sorted(reports)]).encode()).hexdigest()[:16]
    inputs = hashlib.sha256(json.dumps(
        [warehouse.file_state(warehouse_path), repr(tenant), [repr(r) for r in rate_card],
         _builder_hash()]).encode()).hexdigest()[:16]
    folder = Path(cache)
    path = folder / f"{tenant.tenant_id}-{period.label}-{slot}-{inputs}.duckdb"
    if path.is_file():
        os.utime(path)  # used now: kept another week
        return path
    build(warehouse_path, tenant, period, as_of, path, reports, rate_card)
    now = time.time()
    for other in folder.glob("[!.]*.duckdb"):  # not a build in progress (.bundle-*)
        stale = other.name.startswith(f"{tenant.tenant_id}-{period.label}-{slot}-")
        try:
            if other != path and (stale or now - other.stat().st_mtime > CACHE_KEEP_SECONDS):
                other.unlink()
        except FileNotFoundError:
            pass  # another notebook removed it first
    return path


def for_notebook(tenant: str, period: str, bundle: str, as_of: str,
                 reports: tuple[str, ...]) -> Bundle:
    """The bundle a notebook reads: the given path, or (a notebook opened by hand, `bundle`
    empty) one from the warehouse, built once and reused while it is current
    (`cached_build`): "Run All" again builds nothing and leaves no folder behind."""
    from reportlib import params as params_mod

    if bundle:
        return Bundle.open(bundle)
    defaults = environment.notebook_settings()
    if defaults is None:
        raise ReportError("no warehouse.duckdb found here or above: run the README's demo "
                          "command")
    wh, params_dir = defaults.warehouse, defaults.params
    params_mod.use_site_reports(params_dir)
    tenant_params = params_mod.load_tenant(params_dir, tenant)
    card = pricing.load_rate_card(pricing.rate_card_path(params_dir, defaults.rate_card))
    path = cached_build(wh, tenant_params, calendar.parse_period(period),
                        calendar.parse_date(as_of, "as_of"), reports, card, defaults.cache)
    return Bundle.open(path)
