"""Fans (tenant, period, report) jobs out to a local process pool, with a progress bar.

Each tenant-period's bundle is built by a worker of the pool, into a staging folder
(`outputs/.staging`), while the other workers render; the same worker then renders that
tenant-period's reports in turn in one kernel (the last tenant-periods' reports are shared
among the workers instead). The largest tenants go first. The warehouse is opened read-only
by the workers, and this process holds a read-only connection of its own until the last bundle
is built: no writer (an ingest) can change the warehouse between two tenants' bundles, and a
writer that holds it first is waited for here, once, before any worker starts. Results come
back to this process, which alone publishes outputs, manifests, the bundle (once its
tenant-period's reports are done) and the index. A run killed at any point leaves every
published file as it was. Two runs into one outputs folder take turns (`run_lock`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import logging
import multiprocessing
import os
import queue as queue_mod
import shutil
import signal
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from dataclasses import dataclass
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
from reportlib import registry, warehouse
from reportlib.domain import calendar, pricing
from reportlib.environment import command_settings
from reportlib.errors import ReportError, WarehouseBusy, disk_full, raise_if_stopping
from reportlib.look.i18n import report_title
from reportlib.marts import bundle
from reportlib.render import (
    Job,
    JobResult,
    RenderOutput,
    drop_warm_kernel,
    merged_manifest,
    notebook_path,
    prepare_kernels,
    publish,
    render,
    run_lock,
    update_manifest,
    write_atomic,
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


@dataclass(frozen=True)
class Scope:
    """One tenant-period of a run: the reports wanted and where its bundle is staged."""

    tenant: params_mod.TenantParams
    period: calendar.Period
    reports: tuple[str, ...]
    bundle: str  # outputs/.staging/<tenant>/<period>/bundle.duckdb
    out_dir: str  # outputs/<tenant>/<period>
    source_hashes: tuple[tuple[str, str], ...] = ()  # (report, source_hash) of each report


def plan(tenants: Sequence[str], periods: Sequence[str], reports: Sequence[str] | None,
         params_dir: Path, outputs: Path) -> list[Scope]:
    """Validate everything and list the tenant-periods to build, clearing what a killed run
    left in their staging folders; nothing is built here."""
    parsed = [calendar.parse_period(p) for p in periods]
    for report in reports or ():
        if registry.find(report) is None:
            raise ReportError(f"report {report!r} is not one of {', '.join(registry.names())}")
    tenant_params = [params_mod.load_tenant(params_dir, t) for t in tenants]
    scopes = []
    for tp in tenant_params:
        wanted = tuple(reports_of(tp, reports))
        for period in parsed:
            staged = staging_dir(outputs, tp.tenant_id, period.label)
            shutil.rmtree(staged, ignore_errors=True)  # a killed run's leftovers
            scopes.append(Scope(tp, period, wanted, str((staged / "bundle.duckdb").resolve()),
                                str((Path(outputs) / tp.tenant_id / period.label).resolve())))
    return scopes


def prepare(scope: Scope, as_of: date, warehouse_path: Path,
            rate_card: list[pricing.RateRow], memory_limit: str = bundle.MEMORY_LIMIT,
            warm_kernels: bool = True, force: bool = False,
            threads: int | None = None) -> list[Job]:
    """Build one tenant-period's bundle (in a worker of the pool) and return its reports'
    jobs, each with its input hash, and marked `unchanged` when its published files were
    rendered from the same inputs (never with `force`). Raises ReportError when the bundle
    cannot be built."""
    bundle_path = Path(scope.bundle)
    bundle_path.parent.mkdir(parents=True, exist_ok=True)
    tables = bundle.build(warehouse_path, scope.tenant, scope.period, as_of, bundle_path,
                          scope.reports, rate_card, memory_limit, threads)
    digest, coverage = bundle.tables_hash(tables), bundle.coverage_sums(bundle_path)
    info = {k: v for k, v in bundle.Bundle.open(bundle_path).info.items() if k != "reports"}
    jobs = []
    for report in scope.reports:
        job = Job(
            tenant=scope.tenant.tenant_id, period=scope.period.label, report=report,
            as_of=as_of.isoformat(), locale=scope.tenant.locale, bundle=scope.bundle,
            bundle_hash=digest, notebook=str(notebook_path(report)), out_dir=scope.out_dir,
            display_name=scope.tenant.display_name,
            title=report_title(report, scope.tenant.locale), warm_kernel=warm_kernels,
            source_hash=dict(scope.source_hashes).get(report, ""))
        job.input_hash = input_hash(job, tables, info, bundle_path, coverage)
        job.unchanged = not force and unchanged_result(
            Path(scope.out_dir), job.tenant, job.period, report, "input_hash",
            job.input_hash) is not None
        jobs.append(job)
    return jobs


def bundle_threads(workers: int, scopes: int, in_the_pool: bool = True) -> int | None:
    """DuckDB threads for each bundle build of a run: the cores shared among the builds that
    may run at once (in the pool, as many as it has workers). Two builds of 2 threads each on
    2 cores took 7.7-7.9 CPU seconds each for a median 10 M tenant, against 6.5-6.8 with one
    thread each (bench/README.md). None (one per core) when builds run one at a time."""
    at_once = min(workers, scopes) if in_the_pool else 1
    return max(1, (os.cpu_count() or 1) // at_once) if at_once > 1 else None


SCAN_MEMORY = "256MB"  # what the run's own reads of the warehouse may hold


class ReadLock:
    """A read-only connection to the warehouse held by the run while its bundles are built:
    workers may read it, no writer can change it. Waits for a writer that holds it first."""

    def __init__(self, path: Path):
        self.con = None
        if Path(path).is_file():
            warehouse.ensure_current(path)  # a migration writes: before the lock, not under it
            self.con = warehouse.connect(path, read_only=True)
            # The run's fingerprints read every tenant's rows: DuckDB would keep what it read
            # cached up to 80 % of the machine's memory (2.1 GiB at 10 M notifications); a
            # scan needs far less (343 MiB peak at 10 M, and no slower).
            self.con.execute("SET memory_limit = ?", [SCAN_MEMORY])

    def release(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


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


# Settings in the bundle's info that one report alone shows (the names a tenant gives its bots
# and its events): a change of them renders that report again, not the others. A test checks
# that no other report's code reads them.
INFO_OF_ONE_REPORT = {"bot_names": "chatbots", "event_names": "custom_events"}


def input_hash(job: Job, tables: dict[str, str], info: dict, bundle_path: Path,
               coverage: dict[str, tuple[int, int]] | None = None) -> str:
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
        "coverage": bundle.coverage_hash(bundle_path, kinds, coverage),
        "report": job.report, "tenant": job.tenant, "period": job.period, "as_of": job.as_of,
        "locale": job.locale, "display_name": job.display_name,
        "info": {k: v for k, v in info.items()
                 if INFO_OF_ONE_REPORT.get(k, job.report) == job.report},
        "tables": {t: tables.get(t) for t in wanted},
        "notebook": hashlib.sha256(Path(job.notebook).read_bytes()).hexdigest(),
        "code": code_hash()}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def source_hash(scope: Scope, report: str, as_of: date, fingerprint: str,
                rate_card: list[pricing.RateRow]) -> str:
    """What a report is built from before its bundle exists: its tenant's rows in the warehouse
    (`warehouse.tenant_fingerprints`), the tenant's params, the period and as-of date, the
    rate card, the report's entry and notebook, and the library's code. Equal to the one its
    published files were rendered from: there is nothing to build and nothing to render."""
    text = json.dumps({
        "rows": fingerprint, "tenant": repr(scope.tenant), "period": scope.period.label,
        "as_of": as_of.isoformat(), "report": repr(registry.get(report)),
        "rate_card": [repr(r) for r in rate_card],
        "notebook": hashlib.sha256(notebook_path(report).read_bytes()).hexdigest(),
        "code": code_hash()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _published(out_dir: Path, report: str) -> dict | None:
    """The report's manifest entry when it was last rendered well and its files are all there."""
    try:
        entry = json.loads((out_dir / "manifest.json").read_text("utf-8"))["reports"][report]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if entry.get("status") not in ("ok", "no_data"):
        return None
    files = entry.get("files") or {}
    names = [v for k, v in files.items() if k != "csv"] + list(files.get("csv", []))
    if not names or not all((out_dir / str(n)).is_file() for n in names):
        return None
    return entry


def unchanged_result(out_dir: Path, tenant: str, period: str, report: str, key: str,
                     value: str) -> JobResult | None:
    """The report as last published, when its `key` ("source_hash", checked before building
    the bundle, or "input_hash", after) is `value` and its files are all there; else None
    (it is rendered)."""
    entry = _published(out_dir, report)
    if entry is None or not value or entry.get(key) != value:
        return None
    return JobResult(tenant, period, report, "unchanged", figures=entry.get("figures") or {},
                     bundle_hash=entry.get("bundle_hash", ""),
                     input_hash=entry.get("input_hash", ""),
                     source_hash=entry.get("source_hash", ""))


def remember_source_hash(out_dir: Path, report: str, value: str) -> None:
    """A report whose sources changed but not its bundle's content (another month's rows): its
    manifest entry takes the new source hash, so the next run skips it before building."""
    path = out_dir / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    entry = manifest["reports"][report]
    if value and entry.get("source_hash") != value:
        entry["source_hash"] = value
        write_atomic(path, json.dumps(manifest, indent=2, ensure_ascii=False, default=str)
                     + "\n")


def skip_unchanged(scopes: Sequence[Scope], fingerprints: dict[str, str], as_of: date,
                   rate_card: list[pricing.RateRow], force: bool,
                   ) -> tuple[list[Scope], list[JobResult]]:
    """The scopes to build, each with its reports' source hashes, and the results of the
    scopes whose every report is as it was last rendered from the same rows (not built)."""
    todo, same = [], []
    for scope in scopes:
        tenant = scope.tenant.tenant_id
        hashes = {r: source_hash(scope, r, as_of, fingerprints[tenant], rate_card)
                  for r in scope.reports} if tenant in fingerprints else {}
        found = [] if force or not hashes else [
            unchanged_result(Path(scope.out_dir), tenant, scope.period.label, r,
                             "source_hash", h) for r, h in hashes.items()]
        if found and all(found):
            same.extend(found)
        else:
            todo.append(dataclasses.replace(scope, source_hashes=tuple(hashes.items())))
    return todo, same


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


def _publish_bundle(staged: Path, out_dir: Path) -> None:
    """Move the staged bundle beside the published reports (atomic within the folder)."""
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


# What a run does with a built scope: (scope, its jobs, the ReportError that stopped its
# bundle or None) -> the jobs to render.
OnBuilt = Callable[[Scope, list[Job], ReportError | None], list[Job]]


def execute(scopes: Sequence[Scope], build: Callable[[Scope], list[Job]], workers: int,
            on_built: OnBuilt, on_output: Callable[[RenderOutput], None],
            console: Console | None = None, dask_address: str | None = None,
            on_all_built: Callable[[], None] = lambda: None) -> None:
    """Build every scope's bundle (`build`) and render the jobs `on_built` returns for it
    (those not marked unchanged). With several workers, in a spawn-context process pool where
    a bundle is built by one worker while the others render (`_in_the_pool`). With one
    worker, or a Dask cluster (which renders the reports), every bundle is built here first.
    Each output comes back to this process and is handed to `on_output`; `on_all_built` is
    called once the last bundle is built. WarehouseBusy from a build stops everything."""
    console = console or Console(stderr=True)
    with _progress(console) as progress:
        task = progress.add_task("render", total=sum(len(s.reports) for s in scopes),
                                 failed=0)
        failed = 0

        def built(scope: Scope, get) -> list[Job]:
            nonlocal failed
            try:
                jobs, error = get(), None
            except WarehouseBusy:
                raise  # not this tenant's failure: the command stops, nothing recorded
            except ReportError as exc:
                jobs, error = [], exc
            except Exception as exc:  # a full disk fails this tenant-period, as in the pool
                raise_if_stopping(exc)
                if not (full := disk_full(exc)):
                    raise
                jobs, error = [], ReportError(full)
            todo = on_built(scope, jobs, error)
            failed += len(scope.reports) if error else 0
            progress.update(task, advance=len(scope.reports) - len(todo), failed=failed)
            return todo

        def done(job: Job, get) -> None:
            nonlocal failed
            try:
                output = get()
            except Exception as exc:  # a worker that died: name the job, go on
                raise_if_stopping(exc)  # Ctrl-C inside a query rendering here: not the job's
                output = RenderOutput(JobResult(
                    job.tenant, job.period, job.report, "failed",
                    error=_worker_failed(exc)))
            failed += output.result.status == "failed"
            on_output(output)
            progress.update(task, advance=1, failed=failed)

        if not builds_in_the_pool(scopes, workers, dask_address):
            jobs = [job for scope in scopes
                    for job in built(scope, functools.partial(build, scope))]
            on_all_built()
            _render_here_or_on_cluster(jobs, done, dask_address)
            return
        _in_the_pool(scopes, build, workers, built, done, on_all_built)


def builds_in_the_pool(scopes: Sequence[Scope], workers: int, dask_address: str | None) -> bool:
    """Whether `execute` builds the bundles in a process pool, several at once; else it builds
    them here, one after another."""
    return not (dask_address or workers <= 1 or sum(len(s.reports) for s in scopes) <= 1)


def _in_the_pool(scopes: Sequence[Scope], build: Callable[[Scope], list[Job]], workers: int,
                 built: Callable, done: Callable, on_all_built: Callable[[], None]) -> None:
    """The pool's side of `execute`: at most `workers` tasks at a time. A task is a whole
    tenant-period while there are enough left for every worker: its worker builds the bundle,
    then renders its reports one after another in one kernel (a kernel per tenant-period, not
    per report; no bundle copied). The last ones are shared: a task builds the bundle, and its
    reports go to the workers in groups, so no worker idles at the end. Workers send what they
    finish through a queue as they finish it (`_send`): "built" per bundle, "output" per
    report."""
    context = _WorkerContext()
    messages = context.Queue()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=_start_worker, initargs=(messages,))
    by_key = {_key(s): s for s in scopes}
    owed: dict[Future, set] = {}  # what each task still has to send: scope keys, job keys
    whole: dict[Future, bool] = {}
    jobs_of: dict[tuple, Job] = {}
    broken: dict[Future, float] = {}  # a task that ended without sending all: when
    unbuilt, left, shares = set(by_key), list(scopes), []

    def fill() -> None:
        while sum(not f.done() for f in owed) < workers and (shares or left):
            if shares:
                group = shares.pop(0)
                try:
                    owed[pool.submit(render_in_turn, group)] = {_key(j) for j in group}
                except BrokenExecutor as exc:  # a worker died: the pool takes nothing more
                    for job in group:
                        done(job, functools.partial(_raise, exc))
                continue
            scope = left.pop(0)
            try:
                task = pool.submit(build_and_render, scope, build, len(left) + 1 >= workers)
            except BrokenExecutor as exc:
                fail_scope(scope, exc)
                continue
            owed[task], whole[task] = {_key(scope)}, len(left) + 1 >= workers

    def fail_scope(scope: Scope, reason: BaseException) -> None:
        unbuilt.discard(_key(scope))
        built(scope, functools.partial(_raise, ReportError(_worker_failed(reason))))
        if not unbuilt:
            on_all_built()

    try:
        fill()
        while owed or shares or left:
            try:
                kind, *message = messages.get(timeout=0.2)
            except queue_mod.Empty:
                kind = None
            if kind == "busy":
                raise message[1]
            if kind == "built":
                key, jobs, error = message
                task = _owing(owed, key)
                if task is None:  # given up on already
                    continue
                owed[task].discard(key)
                unbuilt.discard(key)
                todo = built(by_key[key], functools.partial(_returned, jobs, error))
                jobs_of.update({_key(j): j for j in todo})
                if whole[task]:
                    owed[task] |= {_key(j) for j in todo}
                else:
                    shares.extend(_share(todo, workers))
                if not unbuilt:
                    on_all_built()
            elif kind == "output":
                output = message[0]
                key = _key(output.result)
                task = _owing(owed, key)
                if task is None:  # given up on already
                    continue
                owed[task].discard(key)
                done(jobs_of[key], lambda output=output: output)
            now = time.monotonic()
            for task in [f for f in owed if f.done()]:
                if not owed[task]:
                    del owed[task]
                elif now - broken.setdefault(task, now) > 5:  # its last messages never came
                    reason = task.exception() or RuntimeError("ended before its reports")
                    for key in sorted(owed.pop(task), key=len):
                        if key in by_key:
                            fail_scope(by_key[key], reason)
                        else:
                            done(jobs_of[key], functools.partial(_raise, reason))
            fill()
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        context.end_workers()  # they ignore Ctrl-C: they would finish their reports first
        raise
    pool.shutdown()


class _WorkerProcess(multiprocessing.context.SpawnProcess):
    """A worker of the pool that Ctrl-C does not reach: it starts with SIGINT blocked and then
    ignores it (`_start_worker`). A Ctrl-C reaches every process of the terminal's group, and
    a worker interrupted mid-report printed its tracebacks after the run's one line; the run
    alone stops, and ends its workers."""

    def start(self) -> None:
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            super().start()  # the new interpreter inherits the mask: no Ctrl-C while it imports
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


class _WorkerContext(multiprocessing.context.SpawnContext):
    """The spawn context, starting `_WorkerProcess`es."""

    Process = _WorkerProcess

    @staticmethod
    def end_workers(grace: float = 10.0) -> None:
        """SIGTERM to every worker, which clears what it holds and exits (`WorkerStopped`),
        waited for up to `grace` seconds: this process ending first would kill them outright
        (PR_SET_PDEATHSIG) half-way through. One still there then is killed."""
        workers = [p for p in multiprocessing.active_children()
                   if isinstance(p, _WorkerProcess)]
        for process in workers:
            process.terminate()
        deadline = time.monotonic() + grace
        for process in workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()


def _worker_failed(error: BaseException) -> str:
    """A job's error line when its worker failed: a full disk said as such."""
    return disk_full(error) or f"worker failed: {type(error).__name__}: {error}"


def _owing(owed: dict[Future, set], key: tuple) -> Future | None:
    return next((task for task, keys in owed.items() if key in keys), None)


def _key(item) -> tuple:
    """A tenant-period's key (of a Scope) or a report's (of a Job or JobResult)."""
    if isinstance(item, Scope):
        return (item.tenant.tenant_id, item.period.label)
    return (item.tenant, item.period, item.report)


def _returned(jobs: list[Job], error: ReportError | None) -> list[Job]:
    if error is not None:
        raise error
    return jobs


def _raise(error: BaseException):
    raise error


def _share(jobs: list[Job], workers: int) -> list[list[Job]]:
    """A tenant-period's reports in at most `workers` groups, the heaviest spread first."""
    groups: list[list[Job]] = [[] for _ in range(min(workers, len(jobs)))]
    for i, job in enumerate(jobs):
        groups[i % len(groups)].append(job)
    return groups


# -- in a worker of the pool
_messages = None  # the run's queue (`_start_worker`)
_stopping = False  # SIGTERM came: the run ends this worker (`WorkerStopped`)


class WorkerStopped(SystemExit):
    """SIGTERM in a worker of the pool: the run ends its workers (on Ctrl-C, SIGTERM, a busy
    warehouse). Raised where the worker is, so that what it holds goes on the way out: its
    report's folder (the executed notebook of a tenant's report), its kernel with the kernel's
    connection file and socket folder, its kernel template. Left to SIGTERM's default action
    the worker died at once, and every stopped run left them in /tmp."""


def _stop_worker(signum, frame) -> None:
    global _stopping
    _stopping = True
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the way out is not cut short
    if _messages is not None:  # what it has not sent yet would hold its exit: nobody reads
        _messages.cancel_join_thread()
    # Quiet from here: the run says it stopped. The report it was rendering is cut short, and
    # what notices it on the way out (nbclient's "Kernel died while waiting for execute
    # reply." as its kernel is shut down) would print after the run's one line. Its logging,
    # and its standard error as Python and the process write it (`quiet_stderr`, where it
    # was, puts the descriptor back: the logging is what holds).
    logging.disable(logging.CRITICAL)
    sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - until it exits
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    raise WorkerStopped(128 + signum)


def _exit_if_stopping() -> None:
    """In a stopped worker, once its task's own clean-up has run (its `finally` clauses): what
    is left of its kernels goes, and the worker exits (the pool would take the exception for
    the task's result and wait for the next task). Any other error is the caller's."""
    if not _stopping:
        return
    from reportlib.render import _at_exit

    try:
        _at_exit()
    finally:
        os._exit(128 + signal.SIGTERM)


def _start_worker(messages) -> None:
    global _messages
    _messages = messages
    # Ctrl-C is the run's to handle (`_WorkerProcess`): ignored here, then let through the
    # mask it started with, so that a pending one is dropped.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    # A run killed outright (SIGKILL, the OOM killer) takes its workers with it, and their
    # kernels follow (kernel_fork); orphaned, they rendered on for nobody.
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the run ended before this line
            os._exit(1)
    signal.signal(signal.SIGTERM, _stop_worker)
    if command_settings().warm_kernels:
        try:  # the kernel template imports while this worker builds its first bundle
            prepare_kernels()
        except Exception:  # noqa: BLE001 - the first kernel's start will say what is wrong
            pass
        except BaseException:
            _exit_if_stopping()
            raise


def _send(*message) -> None:
    _messages.put(message)


def build_and_render(scope: Scope, build: Callable[[Scope], list[Job]],
                     render_here: bool) -> None:
    """In a worker: build the tenant-period's bundle and say so; then, with `render_here`,
    render its reports that changed, in turn."""
    try:
        try:
            jobs, error = build(scope), None
        except WarehouseBusy as exc:
            _send("busy", _key(scope), exc)
            return
        except ReportError as exc:
            jobs, error = [], exc
        _send("built", _key(scope), jobs, error)
        if render_here:
            render_in_turn([job for job in jobs if not job.unchanged])
    except BaseException:
        _exit_if_stopping()
        raise


def render_in_turn(jobs: list[Job]) -> None:
    """In a worker: render the jobs one after another (one tenant-period's: one warm kernel),
    sending each output; the kernel is shut down after the last."""
    try:
        try:
            for job in jobs:
                try:
                    output = render(job)
                except Exception as exc:  # a bug, not the report's: name the job, go on
                    _exit_if_stopping()  # DuckDB's 'Query interrupted': the run stops it
                    drop_warm_kernel()
                    output = RenderOutput(JobResult(
                        job.tenant, job.period, job.report, "failed",
                        error=_worker_failed(exc)))
                _send("output", output)
        finally:
            drop_warm_kernel()
    except BaseException:
        _exit_if_stopping()
        raise


def _render_here_or_on_cluster(jobs: list[Job], done, dask_address: str | None) -> None:
    if dask_address:
        from distributed import Client
        from distributed import as_completed as dask_completed

        with Client(dask_address, timeout="20s") as client:
            futures = {client.submit(render, *_payload(job), pure=False): job for job in jobs}
            for future in dask_completed(futures):
                done(futures[future], future.result)
        return
    for job in jobs:
        payload = _payload(job)
        done(job, lambda payload=payload: render(*payload))


def run(tenants: Sequence[str], periods: Sequence[str], reports: Sequence[str] | None,
        as_of: date, warehouse_path: Path, params_dir: Path, outputs: Path,
        workers: int | None = None, console: Console | None = None,
        dask_address: str | None = None, force: bool = False,
        rate_card: Path | None = None, bundle_memory: str = bundle.MEMORY_LIMIT,
        warm_kernels: bool = True, results: list[JobResult] | None = None) -> list[JobResult]:
    """Plan, build bundles, render, and publish outputs, manifests and the index; returns
    every result. A report whose inputs are as when it was last rendered is not rendered
    again (its result is `unchanged` and its files and manifest stay as they are), unless
    `force`. Another run into the same outputs folder is waited for first (`run_lock`).
    `results`, when given, is filled as the results come: a run stopped part way (Ctrl-C,
    SIGTERM) raises, and the caller still knows what it published."""
    outputs = Path(outputs)
    outputs.mkdir(parents=True, exist_ok=True)
    with run_lock.holding(outputs):
        return _run(tenants, periods, reports, as_of, warehouse_path, params_dir, outputs,
                    workers, console, dask_address, force, rate_card, bundle_memory,
                    warm_kernels, [] if results is None else results)


def _run(tenants: Sequence[str], periods: Sequence[str], reports: Sequence[str] | None,
         as_of: date, warehouse_path: Path, params_dir: Path, outputs: Path,
         workers: int | None, console: Console | None, dask_address: str | None,
         force: bool, rate_card: Path | None, bundle_memory: str,
         warm_kernels: bool, results: list[JobResult]) -> list[JobResult]:
    """`run`, with the outputs folder held."""
    try:
        scopes = plan(tenants, periods, reports, params_dir, outputs)
        card = pricing.load_rate_card(pricing.rate_card_path(params_dir, rate_card))
    except BaseException:
        shutil.rmtree(outputs / ".staging", ignore_errors=True)
        raise
    pending: dict[tuple[str, str], list[Job]] = {}
    staged: dict[tuple[str, str], Path] = {}
    rendered: dict[tuple[str, str], bool] = {}

    def unwritable(result: JobResult, out_dir: Path, error: OSError) -> JobResult:
        """The result of a report whose tenant-period folder cannot be written (another
        user's, a file in its place, a full disk): failed, alone, its last good files as
        they were; the other reports go on. A full disk stopped the whole run: the reports
        rendered and published before it were left out of the index and the history."""
        why = (f"nothing of it was published: {full}" if (full := disk_full(error)) else
               f"cannot write in {out_dir} ({error.strerror or error}): nothing of it was "
               "published")
        return dataclasses.replace(result, status="failed", files={}, figures={}, error=why)

    def on_built(scope: Scope, jobs: list[Job], error: ReportError | None) -> list[Job]:
        key = (scope.tenant.tenant_id, scope.period.label)
        out_dir = Path(scope.out_dir)
        if error is not None:
            for report in scope.reports:
                result = JobResult(*key, report, "failed", error=str(error))
                try:
                    out_dir.mkdir(parents=True, exist_ok=True)
                    update_manifest(out_dir, result, as_of.isoformat())
                except OSError as exc:
                    unwritable(result, out_dir, exc)  # said by its error already
                results.append(result)
        todo = []
        for job in jobs:
            same = unchanged_result(out_dir, *key, job.report, "input_hash",
                                    job.input_hash) if job.unchanged else None
            if job.unchanged and same is None:  # its files went while it was being built
                same = JobResult(*key, job.report, "failed", error=(
                    "its published files changed during the run; run it again"))
                results.append(same)
                update_manifest(out_dir, same, as_of.isoformat())
            elif same is None:
                todo.append(job)
            else:
                try:
                    remember_source_hash(out_dir, job.report, job.source_hash)
                    same.source_hash = job.source_hash
                except OSError as exc:
                    same = unwritable(same, out_dir, exc)
                results.append(same)
        if not todo:  # nothing to publish
            shutil.rmtree(staging_dir(outputs, *key), ignore_errors=True)
        pending[key], staged[key] = list(todo), Path(scope.bundle)
        return todo

    def publish_output(output: RenderOutput) -> None:
        result = output.result
        out_dir = outputs / result.tenant / result.period
        try:
            if result.params:
                result.params["bundle"] = str((out_dir / "bundle.duckdb").resolve())
            publish(out_dir, output, merged_manifest(out_dir, result, as_of.isoformat()))
        except OSError as exc:
            result = unwritable(result, out_dir, exc)
            # Marked failed beside its last good files where the manifest can still be
            # written (a full disk has the room its report's files took back).
            with contextlib.suppress(OSError):
                update_manifest(out_dir, result, as_of.isoformat())
        results.append(result)
        key = (result.tenant, result.period)
        rendered[key] = rendered.get(key, False) or result.status != "failed"
        left = [j for j in pending[key] if j.report != result.report]
        pending[key] = left
        if not left:  # the tenant-period is done: its bundle is published with its reports
            if rendered[key]:
                _publish_bundle(staged[key], out_dir)
            else:
                shutil.rmtree(staging_dir(outputs, *key), ignore_errors=True)

    lock = None
    try:
        lock = ReadLock(warehouse_path)
        fingerprints = {} if lock.con is None else warehouse.tenant_fingerprints(
            lock.con, sorted({s.tenant.tenant_id for s in scopes}))
        scopes, same = skip_unchanged(scopes, fingerprints, as_of, card, force)
        if lock.con is not None:  # the largest tenants first (a stable sort: periods in order)
            rows = warehouse.tenant_rows(lock.con, sorted({s.tenant.tenant_id for s in scopes}))
            scopes.sort(key=lambda s: -rows.get(s.tenant.tenant_id, 0))
        results.extend(same)
        workers = workers or os.cpu_count() or 1
        threads = bundle_threads(workers, len(scopes),
                                 builds_in_the_pool(scopes, workers, dask_address))
        build = functools.partial(prepare, as_of=as_of, warehouse_path=Path(warehouse_path),
                                  rate_card=card, memory_limit=bundle_memory,
                                  warm_kernels=warm_kernels, force=force, threads=threads)
        execute(scopes, build, workers, on_built, publish_output, console, dask_address,
                lock.release)
    except BaseException:
        shutil.rmtree(outputs / ".staging", ignore_errors=True)
        if lock is not None:
            lock.release()
        _record_stopped(warehouse_path, outputs, params_dir, results)
        raise
    finally:
        if lock is not None:
            lock.release()
    if not any((outputs / ".staging").glob("*/*/*")):
        shutil.rmtree(outputs / ".staging", ignore_errors=True)
    from reportlib.warehouse import history

    try:
        history.record_runs(warehouse_path, results)
        sent = history.last_sent(warehouse_path)
        sent_figures = history.sent_figures(warehouse_path)
    except Exception as exc:  # the reports are published; only their history is late
        if not isinstance(exc, WarehouseBusy) and not disk_full(exc):
            raise
        print(f"reportlib: warning: run history not recorded: {disk_full(exc) or exc}",
              file=sys.stderr)
        sent, sent_figures = {}, {}
    if any(r.status != "unchanged" for r in results) or not (outputs / "index.html").exists():
        try:
            write_index(outputs, sent, display_names(params_dir), sent_figures)
        except OSError as exc:
            if not disk_full(exc):
                raise
            raise NotIndexed(results, disk_full(exc)) from exc
    return results


def _record_stopped(warehouse_path: Path, outputs: Path, params_dir: Path,
                    results: list[JobResult]) -> None:
    """A run stopped part way (Ctrl-C, SIGTERM, an error) has published the reports finished
    before the stop: their history is recorded and the index rewritten, as a whole run does.
    Left out, the index showed their last run's status and figures beside their new files,
    and the next run, finding them unchanged, never rewrote it; `history` never said them.
    Waits for the warehouse a few seconds at most: a stop does not hang on another command."""
    if not any(r.status != "unchanged" for r in results):
        return
    from reportlib.warehouse import history

    wait, warehouse.LOCK_WAIT_SECONDS = warehouse.LOCK_WAIT_SECONDS, 5
    try:
        history.record_runs(warehouse_path, results)
        sent, sent_figures = history.last_sent(warehouse_path), \
            history.sent_figures(warehouse_path)
    except (WarehouseBusy, OSError):  # the reports are published; only their history is late
        sent, sent_figures = {}, {}
    finally:
        warehouse.LOCK_WAIT_SECONDS = wait
    with contextlib.suppress(OSError):  # a full disk: the next run writes it
        write_index(outputs, sent, display_names(params_dir), sent_figures)


class NotIndexed(Exception):
    """The run's reports are published (or failed, each said), but the index could not be
    written (a full disk): the command says each report, then this, and exits 1."""

    def __init__(self, results: list[JobResult], reason: str) -> None:
        super().__init__(reason)
        self.results, self.reason = results, reason
