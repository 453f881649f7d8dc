"""One warm kernel per process runs a tenant-period's reports in turn: the second report finds
nothing the first left (neither a variable nor a module-level cache of reportlib), and a job of
another tenant gets a new kernel, the old one shut down."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

from reportlib import render
from reportlib.notebook import FIGURES_MIME
from reportlib.render import Job

# End-to-end: `pytest -m 'not slow'` leaves this module out.
pytestmark = pytest.mark.slow

PARAMETERS = 'tenant = ""\nperiod = ""\nbundle = ""\nlocale = ""\nas_of = ""'
# Publishes what the kernel holds as the report's figures (the renderer reads them back).
REPORT_STATE = f"""\
import os
import reportlib.look.i18n
from IPython.display import display
display({{{FIGURES_MIME!r}: {{
    "pid": os.getpid(),
    "planted": "planted" in globals(),
    "cache": hasattr(reportlib.look.i18n, "planted_cache")}}}}, raw=True)
"""
PLANT = "planted = 42\nreportlib.look.i18n.planted_cache = {'acme': 1}\n"


def notebook(path, *sources: str):
    cell = nbformat.v4.new_code_cell(PARAMETERS)
    cell.metadata["tags"] = ["parameters"]
    cells = [cell, *(nbformat.v4.new_code_cell(s) for s in sources)]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": render.kernel_name(), "language": "python",
                                 "display_name": "Python 3"}
    nbformat.write(nb, str(path))
    return path


def run(tmp_path, tenant: str, path, warm: bool = True) -> dict:
    job = Job(tenant, "2026-10", "consumption", "2026-11-20", "en", str(tmp_path / "b.duckdb"),
              "", str(path), str(tmp_path / "out"), warm_kernel=warm)
    result = render.render(job).result
    assert result.status == "ok", result.error
    return result.figures


@pytest.fixture(autouse=True)
def no_kernel_left():
    yield
    render.drop_warm_kernel()


alive = render.process_alive  # a process id still running


def test_reports_in_one_warm_kernel_leak_nothing_and_a_new_tenant_gets_a_new_kernel(
        tmp_path):
    first = notebook(tmp_path / "first.ipynb", "import reportlib.look.i18n\n" + PLANT, REPORT_STATE)
    second = notebook(tmp_path / "second.ipynb", REPORT_STATE)

    planted = run(tmp_path, "acme", first)
    # The first report sees what it planted (the planting works)...
    assert planted["planted"] is True and planted["cache"] is True
    after = run(tmp_path, "acme", second)
    # ...the next report of the same tenant-period runs in the same kernel and sees neither.
    assert after["pid"] == planted["pid"]
    assert after["planted"] is False and after["cache"] is False

    other = run(tmp_path, "beta", second)
    assert other["pid"] != planted["pid"]
    assert not alive(planted["pid"])  # acme's kernel was shut down
    assert other["planted"] is False and other["cache"] is False


GARBAGE = """\
import builtins, weakref
class Loop:
    pass
loop = Loop()
loop.me = loop  # a reference cycle: only the cyclic collector frees it
builtins.probe = weakref.ref(loop)
"""
COLLECTED = f"""\
import builtins, gc
from IPython.display import display
display({{{FIGURES_MIME!r}: {{"collected": builtins.probe() is None,
                              "frozen": gc.get_freeze_count()}}}}, raw=True)
"""


def test_the_reset_collects_the_last_reports_garbage_and_freezes_what_lives(tmp_path):
    """Between two reports the reset frees what the first left in reference cycles, and
    freezes the libraries' objects so that collections skip them (the reset was two full
    collections, 0.19 s; now 0.04 s)."""
    first = notebook(tmp_path / "first.ipynb", GARBAGE)
    second = notebook(tmp_path / "second.ipynb", COLLECTED)
    run(tmp_path, "acme", first)
    after = run(tmp_path, "acme", second)
    assert after["collected"] is True
    assert after["frozen"] > 10_000  # pandas, matplotlib, DuckDB: frozen since the preload


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts /proc/self/fd (Linux)")
def test_a_worker_holds_no_more_descriptors_or_threads_report_after_report(tmp_path):
    """nbclient leaves its kernel client running when the kernel is not its own (a warm
    kernel): each report kept a ZeroMQ context, its sockets and a heartbeat thread, about ten
    descriptors, until the worker ended; at 10 M notifications a worker passed descriptor
    1024 and its reports failed. Same tenant-period (one kernel) or a new one (a new kernel):
    after the first report the worker's descriptors and threads stay as they are."""
    import threading

    path = notebook(tmp_path / "state.ipynb", REPORT_STATE)
    run(tmp_path, "acme", path)
    run(tmp_path, "beta", path)  # the first of a second kernel
    descriptors, threads = open_descriptors(), threading.active_count()
    for tenant in ("beta", "beta", "gamma", "delta", "delta"):
        run(tmp_path, tenant, path)
    assert open_descriptors() <= descriptors
    assert threading.active_count() <= threads


def test_without_warm_kernels_each_report_gets_its_own(tmp_path):
    """The command's REPORTLIB_WARM_KERNELS=0 (environment.command_settings) gives jobs that
    ask for no warm kernel: each report starts its own."""
    from reportlib.environment import command_settings

    warm = command_settings({"REPORTLIB_WARM_KERNELS": "0"}).warm_kernels
    assert warm is False
    path = notebook(tmp_path / "state.ipynb", REPORT_STATE)
    first, second = (run(tmp_path, "acme", path, warm)["pid"] for _ in range(2))
    assert first != second
    assert not alive(first) and not alive(second)  # each shut down after its report


def test_a_kernel_talks_over_sockets_in_a_private_folder_not_tcp_ports(tmp_path):
    """Two workers starting kernels at once could pick the same free TCP port (jupyter_client
    binds and releases it before the kernel binds it again), and one kernel died on start: CI
    once failed a demo report so. A kernel's sockets are files in a folder only we can open."""
    import stat

    path = notebook(tmp_path / "state.ipynb", REPORT_STATE)
    run(tmp_path, "acme", path)
    km = render._warm["km"]
    info = km.get_connection_info()
    assert info["transport"] == "ipc"
    folder = Path(info["ip"]).parent
    # rwx for us alone (jupyter_client adds the sticky bit, writing the connection file in it)
    assert stat.S_IMODE(folder.stat().st_mode) & 0o777 == 0o700
    assert folder.stat().st_uid == os.getuid()
    sockets = [folder / f"{Path(info['ip']).name}-{info[port]}"
               for port in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")]
    assert all(stat.S_ISSOCK(s.stat().st_mode) for s in sockets)
    # Its connection file (the kernel's key) is there too, not loose in the temporary folder,
    # where a worker ended by a stopped run left it.
    connection = Path(km.connection_file)
    assert connection.parent == folder and connection.is_file()
    render.drop_warm_kernel()
    assert not any(s.exists() for s in [*sockets, connection])  # removed with the kernel
    render._at_exit()  # what the process does as it ends: the folder goes too
    assert not folder.exists()


def test_a_kernel_slow_to_start_is_ready_once_it_answers(tmp_path):
    """A kernel that answers only after a few seconds (a loaded machine) gets every kernel_info
    request sent meanwhile at once and answers each in turn: the client is ready at the first
    answer. It once waited for the latest request's answer, which a request sent each second
    kept out of reach, and failed reports with "Kernel didn't respond in 60 seconds"."""
    import json
    import sys
    import time

    from jupyter_client.kernelspec import KernelSpecManager

    spec = tmp_path / "kernels" / "slow"
    spec.mkdir(parents=True)
    start = ("import sys, time; time.sleep(3); from ipykernel.kernelapp import "
             "launch_new_instance; sys.argv[0] = 'slow'; launch_new_instance()")
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-c", start, "-f", "{connection_file}"],
        "display_name": "slow", "language": "python"}))
    km = render.new_kernel_manager()
    km.kernel_spec_manager = KernelSpecManager(kernel_dirs=[str(spec.parent)])
    km.kernel_name = "slow"
    km.start_kernel()
    client = km.client()
    client.start_channels()
    try:
        began = time.monotonic()
        client.wait_for_ready(timeout=30)
        assert 3 <= time.monotonic() - began < 15
        assert client.execute_interactive("x = 1", timeout=10)["content"]["status"] == "ok"
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)


HISTORY_FILE = f"""\
from IPython.display import display
display({{{FIGURES_MIME!r}: {{"history": str(get_ipython().history_manager.hist_file)}}}},
        raw=True)
"""


@pytest.mark.parametrize("warm", [True, False])
def test_a_report_kernel_keeps_its_history_in_memory_not_in_the_operators_home(tmp_path,
                                                                               warm):
    """IPython's history file in ~/.ipython grew with every cell of every scheduled report
    (and its SQLite file was written by the workers' kernels at once): a report kernel, warm
    or started by nbclient for one report, keeps its history in memory."""
    path = notebook(tmp_path / "history.ipynb", HISTORY_FILE)
    assert run(tmp_path, "acme", path, warm)["history"] == ":memory:"
