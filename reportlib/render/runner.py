"""Fans (tenant, period, report) jobs out to a local process pool, with a progress bar.

Bundles are built first, in this process (the warehouse has one writer and is read here
once per tenant-period), into a staging folder (`outputs/.staging`); each job then carries its
bundle to a worker, and the results come back to this process, which alone publishes outputs,
manifests, the bundle (once its tenant-period's reports are done) and the index. A run killed
at any point leaves every published file as it was.
"""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from reportlib import params as params_mod
from reportlib import registry
from reportlib.domain import calendar, pricing
from reportlib.errors import ReportError, WarehouseBusy
from reportlib.look.i18n import report_title
from reportlib.marts import bundle
from reportlib.render import (
    Job,
    JobResult,
    RenderOutput,
    notebook_path,
    publish,
    render,
    update_manifest,
    write_index,
)


def reports_of(tenant: params_mod.TenantParams, asked: Sequence[str] | None) -> list[str]:
    """The reports to render for a tenant: those asked for (the site's own only where they
    are for this tenant), else the tenant's reports and the site's own that are for it."""
    if asked:
        return [r for r in asked if (spec := registry.find(r)) and
                (not spec.site or spec.for_tenant(tenant.tenant_id))]
    own = [r for r in tenant.reports if registry.find(r)]
    site = [r.name for r in map(registry.get, registry.names())
            if r.site and r.for_tenant(tenant.tenant_id) and r.name not in own]
    return own + site


def plan(tenants: Sequence[str], periods: Sequence[str], reports: Sequence[str] | None,
         as_of: date, warehouse: Path, params_dir: Path, outputs: Path,
         rate_card: Path | None = None) -> tuple[list[Job], list[JobResult]]:
    """Validate everything and build one bundle per tenant-period; returns jobs to run and
    results of jobs that failed before rendering (a bundle that could not be built)."""
    parsed = [calendar.parse_period(p) for p in periods]
    for report in reports or ():
        if registry.find(report) is None:
            raise ReportError(f"report {report!r} is not one of {', '.join(registry.names())}")
    tenant_params = [params_mod.load_tenant(params_dir, t) for t in tenants]
    card = pricing.load_rate_card(pricing.rate_card_path(params_dir, rate_card))
    jobs, failures = [], []
    for tp in tenant_params:
        wanted = reports_of(tp, reports)
        for period in parsed:
            out_dir = Path(outputs) / tp.tenant_id / period.label
            bundle_path = staging_dir(outputs, tp.tenant_id, period.label) / "bundle.duckdb"
            shutil.rmtree(bundle_path.parent, ignore_errors=True)  # a killed run's leftovers
            bundle_path.parent.mkdir(parents=True, exist_ok=True)
            try:
                digest = bundle.build(warehouse, tp, period, as_of, bundle_path, tuple(wanted),
                                      card)
            except WarehouseBusy:
                raise  # not this tenant's failure: the command stops, nothing recorded
            except ReportError as exc:
                failures += [JobResult(tp.tenant_id, period.label, r, "failed", error=str(exc))
                             for r in wanted]
                continue
            tables = bundle.table_hashes(bundle_path)
            info = {k: v for k, v in bundle.Bundle.open(bundle_path).info.items()
                    if k != "reports"}
            for report in wanted:
                job = Job(
                    tenant=tp.tenant_id, period=period.label, report=report,
                    as_of=as_of.isoformat(), locale=tp.locale,
                    bundle=str(bundle_path.resolve()), bundle_hash=digest,
                    notebook=str(notebook_path(report)), out_dir=str(out_dir.resolve()),
                    display_name=tp.display_name, title=report_title(report, tp.locale))
                job.input_hash = input_hash(job, tables, info, bundle_path)
                jobs.append(job)
    return jobs, failures


@functools.cache
def code_hash() -> str:
    """The library as it is installed (modules, SQL, templates, notebooks, data): a report
    rendered by other code is rendered again."""
    root = Path(__file__).resolve().parent.parent  # the package, not this folder
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in
                       p.parts and p.suffix in (".py", ".sql", ".ipynb", ".css", ".j2",
                                                ".csv", ".html")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def input_hash(job: Job, tables: dict[str, str], info: dict, bundle_path: Path) -> str:
    """Everything a report's outputs depend on: its marts' content (and the rate card; of the
    coverage, its own sources' rows), the tenant-period's settings, its parameters, its
    notebook and the library's code. Equal hash, equal outputs: no need to render it again."""
    from reportlib import marts

    kinds = marts.report_sources(job.report)
    kinds += tuple(a for k in kinds for a in marts.ALTERNATIVE_SOURCES.get(k, ()))
    spec = registry.get(job.report)
    wanted = [m for m in marts.mart_names([job.report]) if m != "source_coverage"]
    wanted += spec.tables
    wanted.append("rate_card")
    text = json.dumps({
        "coverage": bundle.coverage_hash(bundle_path, kinds),
        "report": job.report, "tenant": job.tenant, "period": job.period, "as_of": job.as_of,
        "locale": job.locale, "display_name": job.display_name, "info": info,
        "tables": {t: tables.get(t) for t in wanted},
        "notebook": hashlib.sha256(Path(job.notebook).read_bytes()).hexdigest(),
        "code": code_hash()}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def unchanged_result(job: Job, out_dir: Path) -> JobResult | None:
    """The report as last published, when its inputs are what they were then and its files
    are all there; else None (it is rendered)."""
    path = out_dir / "manifest.json"
    try:
        entry = json.loads(path.read_text("utf-8"))["reports"][job.report]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if entry.get("input_hash") != job.input_hash or entry.get("status") not in ("ok", "no_data"):
        return None
    files = entry.get("files") or {}
    names = [v for k, v in files.items() if k != "csv"] + list(files.get("csv", []))
    if not names or not all((out_dir / str(n)).is_file() for n in names):
        return None
    return JobResult(job.tenant, job.period, job.report, "unchanged",
                     figures=entry.get("figures") or {}, bundle_hash=entry.get("bundle_hash", ""),
                     input_hash=job.input_hash)


def display_names(params_dir: Path) -> dict[str, str]:
    """Every tenant's display name (the index lists every tenant in the outputs folder)."""
    names = {}
    for tenant_id in params_mod.list_tenants(params_dir):
        try:
            names[tenant_id] = params_mod.load_tenant(params_dir, tenant_id).display_name
        except ReportError:
            pass  # a broken params file: the index shows the id
    return names


def staging_dir(outputs: Path, tenant: str, period: str) -> Path:
    """Where a run builds a tenant-period's bundle before publishing it."""
    return Path(outputs) / ".staging" / tenant / period


def _publish_bundle(job: Job, out_dir: Path) -> None:
    """Move the staged bundle beside the published reports (atomic within the folder)."""
    staged = Path(job.bundle)
    if staged.is_file():
        out_dir.mkdir(parents=True, exist_ok=True)
        os.replace(staged, out_dir / "bundle.duckdb")
    shutil.rmtree(staged.parent, ignore_errors=True)


def _payload(job: Job) -> tuple[Job, bytes, str]:
    """What travels to a worker: the job, its bundle's bytes and its notebook's text."""
    return (job, Path(job.bundle).read_bytes(),
            Path(job.notebook).read_text(encoding="utf-8"))


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("[bold]reports"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
                    TextColumn("ETA"), TimeRemainingColumn(), console=console)


def execute(jobs: Sequence[Job], workers: int, on_output: Callable[[RenderOutput], None],
            console: Console | None = None, dask_address: str | None = None) -> None:
    """Render jobs in a spawn-context process pool, or on a Dask cluster when an address is
    given; each output comes back to this process and is handed to `on_output`."""
    console = console or Console(stderr=True)
    with _progress(console) as progress:
        task = progress.add_task("render", total=len(jobs), failed=0)
        failed = 0

        def done(job: Job, get) -> None:
            nonlocal failed
            try:
                output = get()
            except Exception as exc:  # a worker that died: name the job, go on
                output = RenderOutput(JobResult(
                    job.tenant, job.period, job.report, "failed",
                    error=f"worker failed: {type(exc).__name__}: {exc}"))
            failed += output.result.status == "failed"
            on_output(output)
            progress.update(task, advance=1, failed=failed)

        if dask_address:
            from distributed import Client
            from distributed import as_completed as dask_completed

            with Client(dask_address, timeout="20s") as client:
                futures = {client.submit(render, *_payload(job), pure=False): job
                           for job in jobs}
                for future in dask_completed(futures):
                    done(futures[future], future.result)
            return
        if workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                payload = _payload(job)
                done(job, lambda payload=payload: render(*payload))
            return
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {pool.submit(render, *_payload(job)): job for job in jobs}
            for future in as_completed(futures):
                done(futures[future], future.result)


def run(tenants: Sequence[str], periods: Sequence[str], reports: Sequence[str] | None,
        as_of: date, warehouse: Path, params_dir: Path, outputs: Path,
        workers: int | None = None, console: Console | None = None,
        dask_address: str | None = None, force: bool = False,
        rate_card: Path | None = None) -> list[JobResult]:
    """Plan, render, and publish outputs, manifests and the index; returns every result. A
    report whose inputs are as when it was last rendered is not rendered again (its result is
    `unchanged` and its files and manifest stay as they are), unless `force`."""
    outputs = Path(outputs)
    outputs.mkdir(parents=True, exist_ok=True)
    try:
        jobs, results = plan(tenants, periods, reports, as_of, warehouse, params_dir, outputs,
                              rate_card)
    except BaseException:
        shutil.rmtree(outputs / ".staging", ignore_errors=True)
        raise
    for result in results:
        update_manifest(outputs / result.tenant / result.period, result, as_of.isoformat())
    if not force:
        kept = []
        for job in jobs:
            same = unchanged_result(job, outputs / job.tenant / job.period)
            if same is None:
                kept.append(job)
            else:
                results.append(same)
        for key in {(j.tenant, j.period) for j in jobs} - {(j.tenant, j.period) for j in kept}:
            shutil.rmtree(staging_dir(outputs, *key), ignore_errors=True)  # nothing to publish
        jobs = kept
    pending: dict[tuple[str, str], list[Job]] = {}
    for job in jobs:
        pending.setdefault((job.tenant, job.period), []).append(job)
    rendered: dict[tuple[str, str], bool] = {}

    def publish_output(output: RenderOutput) -> None:
        result = output.result
        out_dir = outputs / result.tenant / result.period
        publish(out_dir, output)
        if result.params:
            result.params["bundle"] = str((out_dir / "bundle.duckdb").resolve())
        results.append(result)
        update_manifest(out_dir, result, as_of.isoformat())
        key = (result.tenant, result.period)
        rendered[key] = rendered.get(key, False) or result.status != "failed"
        left = [j for j in pending[key] if j.report != result.report]
        pending[key] = left
        if not left:  # the tenant-period is done: its bundle is published with its reports
            if rendered[key]:
                _publish_bundle(next(j for j in jobs if (j.tenant, j.period) == key), out_dir)
            else:
                shutil.rmtree(staging_dir(outputs, *key), ignore_errors=True)

    if jobs:
        execute(jobs, workers or os.cpu_count() or 1, publish_output, console, dask_address)
    if not any((outputs / ".staging").glob("*/*/*")):
        shutil.rmtree(outputs / ".staging", ignore_errors=True)
    from reportlib.warehouse import history

    try:
        history.record_runs(warehouse, results)
        sent = history.last_sent(warehouse)
        sent_figures = history.sent_figures(warehouse)
    except WarehouseBusy as exc:  # the reports are published; only their history is late
        print(f"reportlib: warning: run history not recorded: {exc}", file=sys.stderr)
        sent, sent_figures = {}, {}
    if any(r.status != "unchanged" for r in results) or not (outputs / "index.html").exists():
        write_index(outputs, sent, display_names(params_dir), sent_figures)
    return results
