"""Executes a report notebook with papermill and publishes HTML (no code) and PDF atomically.

One job renders one (tenant, period, report) from its bundle: the notebook is executed into a
staging folder; only when it succeeds are the HTML and PDF made and renamed into place, so a
failed run never replaces a good report. A failed notebook is kept as `<report>.failed.ipynb`
(with its traceback) beside the last good outputs.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import html
import json
import os
import re
import shutil
import sys
import time
import uuid
import warnings
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor

from reportlib import environment, registry
from reportlib.domain import calendar
from reportlib.errors import ReportError, printable
from reportlib.look import pagefit
from reportlib.look.i18n import report_title
from reportlib.notebook import FIGURES_MIME  # the kernel side owns the name
from reportlib.params import LOCALES, check_tenant_id

NOTEBOOK_PARAMETERS = ("tenant", "period", "bundle", "locale", "as_of")
KERNEL_NAME = "reportlib"


@dataclass
class Job:
    """One report to render: everything a worker process needs, nothing more."""

    tenant: str
    period: str
    report: str
    as_of: str
    locale: str
    bundle: str  # path of the tenant-period bundle
    bundle_hash: str
    notebook: str  # path of the report's notebook (notebook_path)
    out_dir: str  # outputs/<tenant>/<period>, where the main process publishes
    display_name: str = ""
    input_hash: str = ""  # everything the report's outputs depend on (runner.input_hash)
    source_hash: str = ""  # what its bundle is built from (runner.source_hash)
    title: str = ""  # in the reader's language (a worker has not read the site's own reports)
    warm_kernel: bool = True  # run in this worker's kernel of its tenant-period (warm_kernel)
    unchanged: bool = False  # rendered before from the same inputs (runner.prepare)


@dataclass
class JobResult:
    tenant: str
    period: str
    report: str
    status: str  # ok | no_data (rendered, no source had a row) | failed | unchanged (skipped)
    files: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    bundle_hash: str = ""
    started_at: str = ""
    ended_at: str = ""
    seconds: dict = field(default_factory=dict)
    error: str | None = None
    input_hash: str = ""
    source_hash: str = ""

    def line(self) -> str:
        where = f"{self.tenant} {self.period} {self.report}"
        if self.status == "no_data":
            return f"{where}: no data (none of its sources has a row in the period)"
        if self.status == "unchanged":
            return (f"{where}: unchanged (its inputs are as when it was last rendered; "
                    "--force renders it again)")
        # the error may quote a cell or a kernel's traceback: escaped, it stays one line
        return f"{where}: ok" if self.status == "ok" else \
            f"{where}: FAILED: {printable(self.error or '')}"


def notebook_path(report: str) -> Path:
    """The report's notebook (its registry entry names the file): shipped inside the package
    (`reportlib/notebooks`, which the repository's `notebooks/` links to for analysts), so that
    an installed package renders from any folder; a site's own report names its own file."""
    base = Path(str(resources.files("reportlib") / "reports" / report))
    spec = registry.find(report)
    if spec is None:
        raise ReportError(f"report {report!r} is not one of {', '.join(registry.names())}")
    path = Path(spec.notebook_path) if spec.notebook_path else base / spec.notebook_file
    if (other := environment.notebooks_folder()) and not spec.notebook_path:
        path = other / spec.notebook_file  # the benchmark's empty notebooks (bench/run.py)
    if not path.is_file():
        raise ReportError(f"report {report!r}: no notebook {path}")
    return path


def validate_parameters(notebook: Path, parameters: dict) -> dict:
    """Check names against the notebook's parameters cell and values against their types;
    papermill itself only warns on an unknown name."""
    import papermill

    declared = papermill.inspect_notebook(str(notebook))
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ReportError(f"{notebook.name}: unknown parameter {', '.join(unknown)} "
                          f"(declared: {', '.join(sorted(declared))})")
    check_tenant_id(parameters.get("tenant", ""))
    calendar.parse_period(parameters.get("period", ""))
    calendar.parse_date(parameters.get("as_of", ""), "as_of")
    if parameters.get("locale") and parameters["locale"] not in LOCALES:
        raise ReportError(f"locale {parameters['locale']!r} is not one of {', '.join(LOCALES)}")
    for name, value in parameters.items():
        default = declared[name].get("default")
        kind = declared[name].get("inferred_type_name")
        if kind == "bool" and not isinstance(value, bool):
            raise ReportError(f"{notebook.name}: parameter {name} must be true or false "
                              f"(default {default})")
        if kind == "str" and not isinstance(value, str):
            raise ReportError(f"{notebook.name}: parameter {name} must be text")
    return parameters


def kernel_name() -> str:
    """The project's registered kernel, else the interpreter's own `python3` kernel."""
    from jupyter_client.kernelspec import KernelSpecManager

    specs = KernelSpecManager().find_kernel_specs()
    return KERNEL_NAME if KERNEL_NAME in specs else "python3"


class DropStreams(Preprocessor):
    """Drop stdout/stderr, warnings and machine-only outputs from what readers see."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = [
                o for o in cell.outputs
                if o.get("output_type") not in ("stream", "error")
                and FIGURES_MIME not in o.get("data", {})
            ]
        return cell, resources


def _stylesheet() -> str:
    return (resources.files("reportlib") / "look" / "templates" / "report.css").read_text("utf-8")


def _css_string(text: str) -> str:
    """A CSS string literal in which nothing can close the string or the <style> element."""
    safe = "".join(ch if ch.isalnum() or ch in " ·-_.,:()" else f"\\{ord(ch):x} "
                   for ch in text)
    return f'"{safe}"'


def page_titles(job: Job) -> tuple[str, str]:
    """(HTML title, page footer) in the reader's language: the report's title, the tenant's
    display name and the period in words, never the report's internal name."""
    from reportlib.look.i18n import Formatter

    locale = job.locale or "pt-BR"
    period = calendar.parse_period(job.period)
    fmt = Formatter(locale)
    when = fmt.month(period.start) if period.is_month else \
        fmt.date_range(period.start, period.end)
    name = job.title or report_title(job.report, locale)
    text = f"{name} · {job.display_name or job.tenant} · {when}"
    return text, text


NO_ALT = "No description has been provided for this image"  # nbconvert's own words
IMG_TAG = re.compile(r"""<img(?=[\s/>])(?:[^>"']|"[^"]*"|'[^']*')*>""", re.I)
# An attribute of a tag (its name, then its value if it has one), as HTML tokenises it.
ATTRIBUTE = re.compile(r"""[\s/]+([^\s"'>/=]+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")


def _with_alt(tag: re.Match) -> str:
    """An <img> tag as it is when it has an alt attribute (even empty), else with
    nbconvert's default alt text first."""
    text = tag.group(0)
    if any(name.lower() == "alt" for name in ATTRIBUTE.findall(text[4:])):
        return text
    return f'<img alt="{NO_ALT}"' + text[4:]


class PageExporter(HTMLExporter):
    """nbconvert's HTML exporter without its last pass, which parses the whole page again with
    BeautifulSoup (pure Python) to give images without alt text a default one and to make the
    cells of a `.jp-Notebook` focusable, which the basic template does not write: more than half
    of the HTML step of a report. The alt text is added here, with the same words."""

    def from_notebook_node(self, nb, resources=None, **kw):
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

        # What HTMLExporter.from_notebook_node does before its BeautifulSoup pass.
        language = nb.metadata.get("language_info", {})
        lexer = language.get("pygments_lexer", language.get("name", None))
        self.register_filter("highlight_code", self.filters.get(
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources)
        self.register_filter("filter_data_type", WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return IMG_TAG.sub(_with_alt, page), resources


@functools.cache
def _html_exporter() -> HTMLExporter:
    """One exporter per process: its templates are compiled once (a third of the HTML step)."""
    exporter = PageExporter(template_name="basic", exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True)
    exporter.register_preprocessor(TagRemovePreprocessor(
        remove_cell_tags={"remove-cell"}, remove_all_outputs_tags={"remove-output"},
        remove_input_tags={"remove-input"}, enabled=True), enabled=True)
    exporter.register_preprocessor(DropStreams(), enabled=True)
    return exporter


def notebook_to_html(nb: nbformat.NotebookNode, title: str, footer: str, lang: str) -> str:
    """A self-contained page: no code, no prompts, no streams, no script, no external URL."""
    for number, cell in enumerate(nb.cells):  # papermill's injected cell has a random id
        cell["id"] = f"c{number}"
    body, _ = _html_exporter().from_notebook_node(nb)
    body = re.sub(r"<script\b.*?</script>", "", body, flags=re.S | re.I)
    page_css = ("@page { @bottom-left { content: " + _css_string(footer) +
                '; font-family: "DejaVu Sans", sans-serif; font-size: 8pt; color: #6c757d; } }')
    return (
        f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_stylesheet()}\n{page_css}</style>"
        f'</head><body>{body}<footer class="report-footer">{html.escape(footer)}</footer>'
        "</body></html>\n"
    )


def html_to_pdf(page: str, out: Path) -> None:
    """A4 PDF from the same page; WeasyPrint may read data: and file: URLs only, so
    rendering never touches the network."""
    import logging

    from weasyprint.urls import URLFetcher

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    fetcher = URLFetcher(allowed_protocols={"data", "file"})
    # No base URL: the page's resources are all data: URLs, and a relative link (a campaign's
    # CSV beside the report) stays relative in the PDF, as in the HTML, instead of pointing
    # into the temporary folder the report is rendered in.
    with collector_paused():
        pagefit.write_pdf(page, out, fetcher)  # no near-empty last page


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector off for the block. WeasyPrint makes hundreds of
    thousands of short-lived objects while laying a page out, and each collection they set off
    walks the whole process (a worker holds the notebook machinery, some 200,000 objects): a
    fifth of a page of tables' PDF time. What the block leaves behind is collected after it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextlib.contextmanager
def quiet_stderr():
    """Keep the kernel's start-up chatter (inherited file descriptor 2) off the terminal."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def read_figures(nb: nbformat.NotebookNode) -> dict:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if FIGURES_MIME in data:
                value = data[FIGURES_MIME]
                return json.loads(value) if isinstance(value, str) else dict(value)
    return {}


def _error_of(nb_path: Path, exc: Exception) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    return " ".join(f"{ename}: {evalue}".split())[:500]


@dataclass
class RenderOutput:
    """What a worker sends back: the job's result and its files (relative path -> bytes)."""

    result: JobResult
    files: dict[str, bytes] = field(default_factory=dict)


def render(job: Job, bundle_bytes: bytes | None = None,
           notebook_text: str | None = None) -> RenderOutput:
    """Execute one report and make its HTML, PDF and extracts in a private temporary folder;
    nothing is published here. With `bundle_bytes` and `notebook_text` the worker needs no
    shared file system (a Dask worker on another machine)."""
    import tempfile

    warnings.filterwarnings("ignore")
    started = datetime.now(UTC)
    work = Path(tempfile.mkdtemp(prefix=f"reportlib-{job.report}-"))
    parameters = {"tenant": job.tenant, "period": job.period, "bundle": job.bundle,
                  "locale": job.locale, "as_of": job.as_of}
    result = JobResult(job.tenant, job.period, job.report, "failed", params=parameters,
                       bundle_hash=job.bundle_hash, started_at=started.isoformat(),
                       input_hash=job.input_hash, source_hash=job.source_hash)
    output = RenderOutput(result)
    try:
        bundle_path, notebook = Path(job.bundle), Path(job.notebook)
        if bundle_bytes is not None:
            bundle_path = work / "bundle.duckdb"
            bundle_path.write_bytes(bundle_bytes)
        if notebook_text is not None:
            notebook = work / "notebook" / f"{job.report}.ipynb"
            notebook.parent.mkdir()
            notebook.write_text(notebook_text, encoding="utf-8")
        _render_into(job, bundle_path, notebook, work / "out", output)
    except ReportError as exc:
        result.error = str(exc)
    finally:
        result.ended_at = datetime.now(UTC).isoformat()
        shutil.rmtree(work, ignore_errors=True)
    return output


# Run in a warm kernel before each report after the first: the user's names go, and so does
# every reportlib module (with whatever it cached), imported afresh by the next report; the
# heavy libraries (pandas, matplotlib, DuckDB) stay loaded, which is what a warm kernel saves.
# What is alive after the reset is frozen (gc.freeze), so that later collections, in the next
# reset and in the reports, skip it: `%reset -f` collected twice, each time walking every
# object of those libraries (0.19 s a reset; 0.04 s now). The collection comes after the
# names are gone (the shell's reset collects before it clears them): frozen garbage would
# never be freed.
RESET_KERNEL = """\
import sys
for name in [n for n in sys.modules if n == "reportlib" or n.startswith("reportlib.")]:
    del sys.modules[name]
if "matplotlib.pyplot" in sys.modules:  # close the last report's figures; import nothing
    sys.modules["matplotlib.pyplot"].close("all")
get_ipython().reset(new_session=False)
__import__("gc").collect()  # the reset removed this cell's names too
__import__("gc").freeze()
"""
# Run in a new warm kernel before its first report: the libraries every report imports, then
# a freeze of what they made (see RESET_KERNEL): the first report's collections skip them too.
PRELOAD_KERNEL = """\
import gc
import duckdb, matplotlib.figure, numpy, pandas
gc.collect()
gc.freeze()
del gc, duckdb, matplotlib, numpy, pandas
"""
_warm: dict = {}  # "key": (tenant, period), "km": its kernel's manager, in this process


def _ready_client_class():
    """A kernel client that is ready once its kernel has answered a kernel_info request on
    both channels (a reply on shell, that request's idle status on IOPub). jupyter_client's
    own `wait_for_ready` then waits for 0.2 s of silence on IOPub, twice per report in a warm
    kernel (its reset, then papermill's client): that idle wait is what it saves.

    A request is sent again every quarter second until both have come (IOPub drops what the kernel
    published before our subscription reached it), and a reply to any of them counts: under
    load a kernel may answer the first only after the second is sent, and waiting for the
    latest one's answer would then never end. Both channels are waited on at once (one
    poller): waiting 50 ms on one, then on the other, left a message on the second waiting for
    the first's time-out, about 0.1 s per wait, 0.18 s of an empty notebook's 0.28 s."""
    import queue

    import zmq
    from jupyter_client.blocking import BlockingKernelClient

    class ReadyClient(BlockingKernelClient):
        def start_channels(self, *args, **kwargs) -> None:
            super().start_channels(*args, **kwargs)
            _running_clients.append(self)

        def stop_channels(self) -> None:
            super().stop_channels()
            with contextlib.suppress(ValueError):
                _running_clients.remove(self)

        def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (timeout or 60)
            sent: set[str] = set()
            answered = idle = False
            next_request = 0.0
            poller = zmq.Poller()
            shell, iopub = self.shell_channel.socket, self.iopub_channel.socket
            poller.register(shell, zmq.POLLIN)
            poller.register(iopub, zmq.POLLIN)
            while time.monotonic() < deadline:
                if time.monotonic() >= next_request:
                    sent.add(self.kernel_info())
                    next_request = time.monotonic() + 0.25
                wait = max(0.0, min(next_request, deadline) - time.monotonic())
                ready = dict(poller.poll(timeout=min(50, int(wait * 1000) + 1)))
                # One message from each channel that has one, read even when that channel's
                # answer has come: a message left unread keeps its socket ready, and the
                # poll would return at once, again and again.
                if shell in ready:
                    try:
                        msg = self.get_shell_msg(timeout=0)
                        if (msg["msg_type"] == "kernel_info_reply" and not answered
                                and msg["parent_header"].get("msg_id") in sent):
                            self._handle_kernel_info_reply(msg)
                            answered = True
                    except queue.Empty:
                        pass
                if iopub in ready:
                    try:
                        msg = self.get_iopub_msg(timeout=0)
                        idle = idle or (msg["parent_header"].get("msg_id") in sent
                                        and msg["msg_type"] == "status"
                                        and msg["content"]["execution_state"] == "idle")
                    except queue.Empty:
                        pass
                if answered and idle:
                    return
                if not self.is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
            raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    return ReadyClient


# The kernel clients whose channels run. nbclient stops its client's channels only when it
# started the kernel itself: with ours (a warm kernel) each report left a client running, its
# ZeroMQ context, sockets and heartbeat thread (about ten file descriptors a report, which
# the process only gave back when it ended).
_running_clients: list = []


def stop_clients() -> None:
    """Stop the channels of every kernel client still running in this process."""
    for client in list(_running_clients):
        client.stop_channels()
    _running_clients.clear()


# A report kernel keeps its cells' history in memory (nbclient's own default, which it gives
# only kernels named like IPython's): in IPython's history file each scheduled run added every
# cell of every report to the operator's ~/.ipython (18 MB here after two days of
# benchmarks), through one SQLite file that the workers' kernels wrote to at once.
KERNEL_HISTORY = "--HistoryManager.hist_file=:memory:"


def warm_kernel(job: Job):
    """This process's kernel for the job's tenant-period: the one that ran its previous
    report, reset (`RESET_KERNEL`), or a new one when the tenant-period changes (the old one
    is shut down). None when the job says no (the command's $REPORTLIB_WARM_KERNELS=0):
    papermill starts one per report."""
    if not job.warm_kernel:
        return None
    key, km = (job.tenant, job.period), _warm.get("km")
    if km is not None and _warm.get("key") == key and km.is_alive():
        client = km.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            reply = client.execute_interactive(RESET_KERNEL, timeout=60, store_history=False)
            if reply["content"]["status"] == "ok":
                return km
        finally:
            client.stop_channels()
    drop_warm_kernel()
    km = new_kernel_manager()
    with quiet_stderr():
        km.start_kernel(cwd=str(resources.files("reportlib") / "reports"),
                        extra_arguments=[KERNEL_HISTORY])
    _warm.update(key=key, km=km)
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        client.execute_interactive(PRELOAD_KERNEL, timeout=60, store_history=False)
    finally:
        client.stop_channels()
    return km


def new_kernel_manager():
    """A kernel manager whose kernel talks over Unix sockets in this process's private folder.
    Over TCP, jupyter_client picks free ports by binding and releasing them, and the kernel
    binds them again a moment later: two workers starting kernels at once can pick the same
    port, and one kernel dies on start ("Kernel died before replying to kernel_info"; papermill
    issue 511). A socket file named after the kernel's own id cannot be taken by another."""
    import atexit
    import tempfile

    from jupyter_client.manager import KernelManager

    if not _warm.get("atexit"):
        atexit.register(_at_exit)
        _warm["atexit"] = True
    if os.name != "posix":  # no Unix sockets: jupyter_client's TCP ports
        km = KernelManager(kernel_name=kernel_name())
    else:
        if "sockets" not in _warm:  # /tmp: a socket path has at most 107 bytes
            sweep_socket_folders()
            _warm["sockets"] = tempfile.mkdtemp(prefix=f"rk-{os.getpid()}-", dir=SOCKETS_ROOT)
        # Its connection file (the kernel's key) beside its sockets, not in the temporary
        # folder: the socket folder goes with this process, or with the next run's sweep.
        name = uuid.uuid4().hex[:12]
        km = KernelManager(kernel_name=kernel_name(), transport="ipc",
                           ip=os.path.join(_warm["sockets"], name),
                           connection_file=os.path.join(_warm["sockets"], f"{name}.json"))
        if forking_kernels():
            from reportlib.render import kernel_fork

            prepare_kernels(km.kernel_spec.argv)
            km.kernel_id = str(uuid.uuid4())
            km.provisioner = kernel_fork.ForkingProvisioner(
                kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    km.client_factory = _ready_client_class()
    return km


SOCKETS_ROOT = "/tmp"  # where the kernels' socket folders go: rk-<pid of their process>-<random>


def sweep_socket_folders() -> list[str]:
    """Remove the socket folders of this user's processes that are gone: a worker killed
    outright (SIGKILL, out of memory) runs no exit hook and leaves its folder behind. A folder
    whose process is alive, or that is not named after a process, is left. Returns the removed."""
    removed = []
    try:
        entries = list(os.scandir(SOCKETS_ROOT))
    except OSError:
        return removed
    for entry in entries:
        match = re.fullmatch(r"rk-(\d+)-\w+", entry.name)
        if not match or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except OSError:
            continue
        if process_alive(int(match.group(1))):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(entry.path)
    return removed


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's: alive
        return True
    return True


FORK_KERNELS = sys.platform.startswith("linux")  # where warm kernels can be forks (`kernel_fork`)


def forking_kernels() -> bool:
    """Warm kernels are forks of a template here, unless $REPORTLIB_FORK_KERNELS=0."""
    return FORK_KERNELS and environment.command_settings().fork_kernels


def prepare_kernels(argv: list[str] | None = None) -> None:
    """Start this process's kernel template now, so that its imports overlap other work (a
    worker's first bundle); `argv` is the kernel spec's command (else looked up)."""
    if not forking_kernels():
        return
    from reportlib.render import kernel_fork

    if argv is None:
        from jupyter_client.kernelspec import KernelSpecManager

        argv = KernelSpecManager().get_kernel_spec(kernel_name()).argv
    prefix = kernel_fork.spec_prefix(argv)
    if prefix is not None:
        kernel_fork.start_template(prefix)


def _at_exit() -> None:
    """The process ends: its kernel first, then its kernel template and the folder of its
    sockets."""
    drop_warm_kernel()
    if "reportlib.render.kernel_fork" in sys.modules:
        sys.modules["reportlib.render.kernel_fork"].stop_template()
    if "sockets" in _warm:
        shutil.rmtree(_warm.pop("sockets"), ignore_errors=True)


def drop_warm_kernel() -> None:
    """Shut down this process's warm kernel, if any."""
    km = _warm.pop("km", None)
    _warm.pop("key", None)
    if km is not None:
        km.shutdown_kernel(now=True)


def _render_into(job: Job, bundle_path: Path, notebook: Path, out: Path,
                 output: RenderOutput) -> None:
    import papermill

    result = output.result
    out.mkdir(parents=True)
    parameters = {**result.params, "bundle": str(bundle_path)}
    validate_parameters(notebook, parameters)
    executed = out / f"{job.report}.ipynb"
    t0 = time.perf_counter()
    cold = None  # without a warm kernel: one for this report alone, shut down after it
    try:
        km = warm_kernel(job) or (cold := new_kernel_manager())
        with quiet_stderr():
            papermill.execute_notebook(
                str(notebook), str(executed), parameters=parameters,
                kernel_name=kernel_name(), cwd=str(notebook.parent), progress_bar=False,
                log_output=False, request_save_on_cell_execute=False, km=km,
                extra_arguments=[KERNEL_HISTORY])  # for a kernel nbclient starts (cold)
    except Exception as exc:  # the executed notebook holds the traceback
        drop_warm_kernel()  # a failed report's kernel is not trusted with the next one
        if executed.exists():
            output.files[f"{job.report}.failed.ipynb"] = executed.read_bytes()
            result.files = {"failed_notebook": f"{job.report}.failed.ipynb"}
        result.error = _error_of(executed, exc)
        return
    finally:
        stop_clients()  # papermill's: nbclient leaves it running on a kernel it did not start
        if cold is not None and cold.has_kernel:
            cold.shutdown_kernel(now=True)
    t1 = time.perf_counter()
    nb = nbformat.read(str(executed), as_version=4)
    result.figures = read_figures(nb)
    page = notebook_to_html(nb, *page_titles(job), job.locale or "pt-BR")
    (out / f"{job.report}.html").write_text(page, encoding="utf-8")
    t2 = time.perf_counter()
    html_to_pdf(page, out / f"{job.report}.pdf")
    t3 = time.perf_counter()
    write_extracts(job, bundle_path, out)
    for path in sorted(out.rglob("*")):
        if path.is_file():
            output.files[path.relative_to(out).as_posix()] = path.read_bytes()
    # A period none of whose sources has a row is reported as such, not as a month of zeros.
    result.status = "no_data" if result.figures.get("no_data") else "ok"
    result.files = {"html": f"{job.report}.html", "pdf": f"{job.report}.pdf",
                    "notebook": f"{job.report}.ipynb"}
    csvs = sorted(name for name in output.files if name.endswith(".csv"))
    if csvs:
        result.files["csv"] = csvs
    result.seconds = {"execute": round(t1 - t0, 3), "html": round(t2 - t1, 3),
                      "pdf": round(t3 - t2, 3), "total": round(t3 - t0, 3)}


def _campaign_csvs(bundle_path: Path, out: Path, locale: str) -> None:
    """The campaigns report's per-campaign CSVs, in `campaigns/`."""
    from reportlib.marts.bundle import Bundle
    from reportlib.reports.campaigns import write_campaign_csvs

    write_campaign_csvs(Bundle.open(bundle_path), out / "campaigns", locale)


# A report's extra outputs (its registry entry's `extras`): name -> writer(bundle, out, locale).
EXTRA_WRITERS = {"campaign_csvs": _campaign_csvs}


def write_extracts(job: Job, bundle_path: Path, out: Path) -> None:
    """Files a report publishes beside its HTML: its registry entry's extras."""
    spec = registry.find(job.report)
    for extra in spec.extras if spec else ():
        EXTRA_WRITERS[extra](bundle_path, out, job.locale or "pt-BR")


def publish(out_dir: Path, output: RenderOutput, manifest: dict | None = None) -> None:
    """Write a worker's files (and `manifest`, its tenant-period's manifest.json with this
    report merged in) into outputs/<tenant>/<period>/: every one written whole under a
    temporary name first, then all renamed into place. A write that fails (a full disk)
    leaves the report's last good files, and its manifest, as they were: its HTML was left
    old beside its new notebook and PDF, the manifest old beside new files, and the half
    written file behind under its temporary name. A failure adds only its `.failed.ipynb`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report = output.result.report
    failed = output.result.status == "failed"
    # The page last: it is what readers open.
    names = list(output.files) if failed else [f"{report}{suffix}"
                                                for suffix in (".ipynb", ".pdf", ".html")]
    folders: dict[str, dict[str, bytes]] = {}
    for name, data in output.files.items():
        if "/" in name and not failed:
            folder, rest = name.split("/", 1)
            folders.setdefault(folder, {})[rest] = data
    staged: list[tuple[Path, Path]] = []  # (written, its place)
    try:
        for folder, files in folders.items():
            staging = out_dir / f".staging-{folder}-{uuid.uuid4().hex[:8]}"
            staged.append((staging, out_dir / folder))
            staging.mkdir()
            for rest, data in files.items():
                _write(staging / rest, data, out_dir / folder / rest)
        for name in names:
            staged.append((_staged_file(out_dir / name, output.files[name]), out_dir / name))
        if manifest is not None:
            path = out_dir / "manifest.json"
            staged.append((_staged_file(path, _manifest_bytes(manifest)), path))
    except BaseException:
        for written, _ in staged:
            if written.is_dir():
                shutil.rmtree(written, ignore_errors=True)
            else:
                written.unlink(missing_ok=True)
        raise
    for written, place in staged:
        if written.is_dir():
            publish_folder(written, place)
        else:
            os.replace(written, place)
    if not failed:
        (out_dir / f"{report}.failed.ipynb").unlink(missing_ok=True)


def _staged_file(path: Path, data: bytes) -> Path:
    """`data` written whole beside `path` under a temporary name (removed if it fails)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        _write(tmp, data, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _write(path: Path, data: bytes, named: Path) -> None:
    """Write `data` to `path`; an error names `named`, the file the operator knows (a failed
    write() names no file: a full disk was 'could not write a file')."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(named)) from exc


def publish_folder(new: Path, target: Path) -> None:
    """Swap a whole folder into place: the old one is moved aside, then removed."""
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Manifest and index


def write_atomic(path: Path, text: str) -> None:
    """`text` into `path`, whole or not at all (a full disk leaves the file as it was)."""
    os.replace(_staged_file(path, text.encode("utf-8")), path)


def _manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n").encode()


def update_manifest(out_dir: Path, result: JobResult, as_of: str) -> dict:
    """Merge one job's result into outputs/<tenant>/<period>/manifest.json (main process only).
    A failed run keeps the last good files listed, marked failed."""
    manifest = merged_manifest(out_dir, result, as_of)
    write_atomic(out_dir / "manifest.json", _manifest_bytes(manifest).decode())
    return manifest


def merged_manifest(out_dir: Path, result: JobResult, as_of: str) -> dict:
    """outputs/<tenant>/<period>/manifest.json with one job's result merged in, not written."""
    path = out_dir / "manifest.json"
    manifest = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    manifest.update({"tenant": result.tenant, "period": result.period, "as_of": as_of})
    reports = manifest.setdefault("reports", {})
    entry = asdict(result)
    for key in ("tenant", "period", "report"):
        entry.pop(key)
    previous = reports.get(result.report, {})
    if result.status == "failed":
        good = (previous.get("last_good") if previous.get("status") == "failed" else
                {k: previous.get(k) for k in ("files", "figures", "ended_at", "bundle_hash")}
                if previous.get("status") in ("ok", "no_data") else None)
        if good:
            entry["last_good"] = good
            entry["files"] = {**good.get("files", {}), **entry["files"]}
    if result.figures.get("coverage") is not None:
        entry["coverage"] = result.figures["coverage"]
    # Until when its figures may change, and its anomaly flags (docs/metrics.md): in every
    # entry, a failed run's from its last good figures.
    shown = entry.get("last_good", {}).get("figures") or {} if result.status == "failed" \
        else result.figures
    entry["provisional_until"] = shown.get("provisional_until")
    entry["flags"] = list(shown.get("flags") or [])
    reports[result.report] = entry
    return manifest


# The index, in English for the operators: titles (i18n keys), statuses and headline figures.
_INDEX_STATUS = {
    "ok": ("OK", "rendered; its figures are final"),
    "partial": ("Partial", "rendered; some of its figures may still change (consumption: until "
                           "the 5th business day of the following month; message statuses: 30 "
                           "days after the send; tickets: until they close)"),
    "failed": ("Failed", "the last run failed; the files shown are the last good run's"),
    "no_data": ("No data", "none of the report's sources has a row in the period"),
}
# Per report, its headline figures (the registry's `headlines`): (manifest key, label,
# format); a report without any shows its first few numeric figures.
_INDEX_HEADLINES: dict[str, tuple[tuple[str, str, str], ...]] = {
    r.name: r.headlines for r in registry.REPORTS if r.headlines}
_INDEX_UNITS = {"message": "Messages", "conversation": "Conversations"}
_INDEX_CSVS_SHOWN = 3  # more CSV files than this fold under one "N CSV files"


def _index_figures(report: str, figures: dict, period: str = "") -> list[dict]:
    """Two or three headline figures of a report, formatted (English, thousands separators).
    A figure of one month of a period of days across months (the chatbots' MAU, MEU and
    messages are the last month's: a month is what MAU counts) names its days."""
    from datetime import date as date_type

    from reportlib.look.i18n import Formatter

    fmt = Formatter("en", figures.get("currency") or "USD")  # the tenant's (manifest)
    spec = list(_INDEX_HEADLINES.get(report, ()))
    span = figures.get("span")
    if isinstance(span, str) and ".." in span and ".." in period and span != period:
        first, last = (date_type.fromisoformat(d) for d in span.split(".."))
        spec = [(key, f"{label} ({fmt.date_range(first, last)})", kind)
                for key, label, kind in spec]
    if report == "consumption":
        units = figures.get("units") or []
        label = _INDEX_UNITS.get(units[0], "Units") if len(units) == 1 else "Units"
        spec[0] = ("total", label, "number")
        if figures.get("cost_usd.headline") is None:
            spec[2] = ("cost_usd.total", "Cost", "money")
    if not spec:
        numeric = [k for k, v in figures.items()
                   if isinstance(v, int | float) and not isinstance(v, bool)]
        numeric.sort(key=lambda k: "." in k)  # top-level figures before detail ones
        spec = [(k, k.replace("_", " ").replace(".", " ").capitalize(), "number")
                for k in numeric[:3]]
    shown = []
    for key, label, kind in spec:
        if key not in figures:
            continue
        value = figures[key]
        if isinstance(value, bool) or not (value is None or isinstance(value, int | float)):
            continue
        if kind == "money":
            text = fmt.money(value)
        elif kind == "percent":
            text = fmt.percent(value)
        else:  # whole numbers as such, a fraction with two decimals
            fraction = isinstance(value, float) and not value.is_integer()
            text = fmt.number(value, 2 if fraction else 0)
        shown.append({"label": label, "value": text})
    return shown


def _next_day(value: str) -> str:
    """The ISO date after an ISO date."""
    from datetime import date as date_type
    from datetime import timedelta

    return (date_type.fromisoformat(str(value)) + timedelta(days=1)).isoformat()


def _index_date(value: str) -> str:
    """An ISO date as the index writes dates (English, medium)."""
    from datetime import date as date_type

    from reportlib.look.i18n import Formatter

    try:
        return Formatter("en").date(date_type.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _index_time(value) -> str:
    """'YYYY-MM-DD HH:MM' of an ISO time (UTC), or '–'."""
    text = str(value or "")[:16].replace("T", " ")
    return text or "–"


def _index_period(label: str) -> dict:
    from reportlib.look.i18n import Formatter

    fmt = Formatter("en")
    try:
        period = calendar.parse_period(label)
    except ReportError:
        return {"label": label, "title": label, "final": None}
    title = (fmt.month(period.start) if period.is_month else
             fmt.date_range(period.start, period.end))
    return {"label": label, "title": title,
            "final": fmt.date(calendar.consolidation_date(period))}


def _index_row(tenant: str, period: dict, report: str, entry: dict,
               last_sent: dict, sent_figures: dict | None = None) -> dict:
    from urllib.parse import quote

    status = entry.get("status")
    failed = status == "failed"
    good = (entry.get("last_good") or {}) if failed else entry
    figures = good.get("figures") or {}
    if status == "ok" and (figures.get("partial") or figures.get("provisional")):
        status = "partial"
    status = status if status in _INDEX_STATUS else "unknown"
    note = ""
    spec = registry.find(report)
    if status == "partial" and "provisional_until" in good:  # its own rule's date
        until = good["provisional_until"]
        note = (f"may change until {_index_date(until)}" if until else
                "may change until its open tickets close")
        if until and spec is not None and spec.provisional == "consolidation":
            # the day the report's header names ("partial until they are consolidated on
            # December 7"), not the day before it, the last that may still change
            note = f"partial until consolidated on {_index_date(_next_day(until))}"
        elif until and spec is not None and spec.provisional == "statuses":
            note = f"final on {_index_date(_next_day(until))}"  # as the report's header says
    elif status == "partial" and period["final"]:
        note = f"final on {period['final']}"
    elif failed:
        note = (f"run of {_index_time(entry.get('ended_at'))} failed; " +
                ("last good run's files" if entry.get("last_good") else "no good run yet"))
    files = entry.get("files") or {}

    def link(name: str, text: str) -> dict:
        return {"href": quote(f"{tenant}/{period['label']}/{name}", safe="/"), "text": text}

    csvs = [link(name, Path(name).name) for name in files.get("csv") or []]
    title = report_title(report, "en")
    return {
        "title": title, "status": status,
        "status_label": _INDEX_STATUS.get(status, (status.replace("_", " "),))[0],
        "note": note, "error": (entry.get("error") or "") if failed else "",
        "figures": [] if status == "no_data" else _index_figures(report, figures,
                                                                  period["label"]),
        "links": [link(files[kind], kind.upper()) for kind in ("html", "pdf") if kind in files],
        "csvs": csvs, "csv_folded": len(csvs) > _INDEX_CSVS_SHOWN,
        "produced": _index_time(good.get("ended_at")),
        "sent": str(last_sent.get((tenant, period["label"], report)) or "–"),
        "changed": _changed_since_sent((sent_figures or {}).get(
            (tenant, period["label"], report)), good),
    }


def _changed_since_sent(sent: str | None, entry: dict) -> bool:
    """Its figures differ from those it had when last e-mailed (False when never sent, or
    sent before sends recorded their figures)."""
    from reportlib.warehouse.history import figures_hash

    return bool(sent) and entry.get("figures") is not None and \
        figures_hash(entry.get("figures") or {}) != sent


def write_index(outputs: Path, last_sent: dict | None = None,
                display_names: dict | None = None, sent_figures: dict | None = None) -> Path:
    """outputs/index.html, from the manifests: per tenant (its display name from
    `display_names`, tenant id -> name, else its id), per period (newest first), each report
    with its title, status (ok, partial, failed, no data, with a legend), two or three headline
    figures, links to its HTML, PDF and CSV files, when it was produced and, from `last_sent`
    ((tenant, period, report) -> time), when it was last e-mailed and, from `sent_figures`
    ((tenant, period, report) -> figures fingerprint then), whether its figures changed since
    (`history.sent_figures`). Built from the package's
    `templates/index.html.j2` with every text escaped."""
    import jinja2
    from markupsafe import Markup

    last_sent, display_names = last_sent or {}, display_names or {}
    order = {name: n for n, name in enumerate(registry.names())}
    by_tenant: dict[str, list[tuple[str, dict]]] = {}
    unreadable: list[str] = []
    for manifest_path in sorted(Path(outputs).glob("*/*/manifest.json")):
        tenant, period = manifest_path.parent.parent.name, manifest_path.parent.name
        if tenant.startswith(".") or period.startswith("."):
            continue
        try:
            manifest = json.loads(manifest_path.read_text("utf-8"))
            if not isinstance(manifest, dict):
                raise ValueError("not an object")
        except (OSError, ValueError):
            unreadable.append(f"{tenant}/{period}")
            continue
        by_tenant.setdefault(tenant, []).append((period, manifest))
    tenants, counts = [], dict.fromkeys(_INDEX_STATUS, 0)
    for tenant, periods in by_tenant.items():
        blocks = []
        for label, manifest in sorted(periods, key=lambda p: p[0], reverse=True):
            period = _index_period(label)
            reports = manifest.get("reports") or {}
            rows = [_index_row(tenant, period, report, entry, last_sent, sent_figures)
                    for report, entry in sorted(reports.items(),
                                                key=lambda r: (order.get(r[0], 99), r[0]))
                    if isinstance(entry, dict)]
            for row in rows:
                counts[row["status"]] = counts.get(row["status"], 0) + 1
            blocks.append({**period, "rows": rows})
        name = str(display_names.get(tenant) or tenant)
        tenants.append({"id": tenant, "name": name, "periods": blocks})
    tenants.sort(key=lambda x: (x["name"].casefold(), x["id"]))
    total = sum(counts.values())
    totals = (f"{total} report{'s' if total != 1 else ''} · " +
              " · ".join(f"{n} {_INDEX_STATUS[s][0].lower() if s in _INDEX_STATUS else s}"
                         for s, n in counts.items() if n)) if total else ""
    templates = resources.files("reportlib") / "look" / "templates"
    source = (templates / "index.html.j2").read_text("utf-8")
    template = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined,
                                  trim_blocks=True, lstrip_blocks=True,
                                  keep_trailing_newline=True).from_string(source)
    page = template.render(
        stylesheet=Markup(_stylesheet()), tenants=tenants, unreadable=unreadable,
        updated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M"), totals=totals,
        legend=[{"status": s, "label": label, "text": text}
                for s, (label, text) in _INDEX_STATUS.items()])
    path = Path(outputs) / "index.html"
    write_atomic(path, page)
    return path
