"""A warm kernel forked from the worker's template is the kernel jupyter_client would have
started (same interpreter arguments, working directory, `sys.path`, environment, matplotlib
backend, an empty namespace), a process of its own per tenant-period, child of the template;
where the template is gone, or the kernel would start with another start-up environment, the
kernel is started the usual way."""

from __future__ import annotations

import json
import os
import signal
import time
from importlib import resources

import pytest

from reportlib import render
from reportlib.render import kernel_fork

pytestmark = pytest.mark.slow  # kernels

PROBE = """\
import json, os, sys, matplotlib
print(json.dumps({
    "argv": sys.argv, "path": sys.path, "cwd": os.getcwd(), "env": dict(os.environ),
    "backend": matplotlib.get_backend(), "pid": os.getpid(), "ppid": os.getppid(),
    "leader": os.getsid(0) == os.getpid(),
    "names": sorted(n for n in globals() if not n.startswith("_") and n not in ("json", "os",
                    "sys", "matplotlib", "In", "Out", "exit", "quit", "get_ipython"))}))
"""


@pytest.fixture(autouse=True)
def no_kernel_left():
    yield
    render.drop_warm_kernel()


alive = render.process_alive  # a process id still running


def start(fork: bool, monkeypatch):
    monkeypatch.setattr(render, "FORK_KERNELS", fork)
    km = render.new_kernel_manager()
    km.start_kernel(cwd=str(resources.files("reportlib") / "reports"))
    return km


def probe(km) -> dict:
    client = km.client()
    client.start_channels()
    out: list[str] = []
    try:
        client.wait_for_ready(timeout=60)
        client.execute_interactive(PROBE, timeout=60, output_hook=lambda msg: out.append(
            msg["content"].get("text", "")))
    finally:
        client.stop_channels()
    return json.loads("".join(out))


def test_a_forked_kernel_is_the_kernel_jupyter_client_would_start(monkeypatch):
    spawned_km = start(False, monkeypatch)
    spawned = probe(spawned_km)
    spawned_km.shutdown_kernel(now=True)
    forked_km = start(True, monkeypatch)
    assert isinstance(forked_km.provisioner.process, kernel_fork.ForkedKernel)
    forked = probe(forked_km)
    template = kernel_fork._template["process"].pid
    assert forked["ppid"] == template and forked["pid"] != template and forked["leader"]
    assert spawned["ppid"] == os.getpid()
    for key in ("argv", "path", "cwd", "backend", "names"):
        if key == "argv":  # the connection file differs: a file per kernel
            assert forked[key][:-1] == spawned[key][:-1]
        else:
            assert forked[key] == spawned[key], key
    assert forked["env"] == spawned["env"]  # JPY_PARENT_PID too: this process
    # nothing of the template's own names in the kernel's namespace
    assert not {"duckdb", "numpy", "pandas", "IPKernelApp", "signal"} & set(forked["names"])
    forked_km.shutdown_kernel(now=True)
    assert not alive(forked["pid"])


def test_each_kernel_is_a_new_process_and_one_that_dies_is_seen_dead(monkeypatch):
    first = start(True, monkeypatch)
    second = start(True, monkeypatch)
    pids = [first.provisioner.pid, second.provisioner.pid]
    assert pids[0] != pids[1] and all(isinstance(km.provisioner.process, kernel_fork.ForkedKernel)
                                      for km in (first, second))
    os.kill(pids[0], signal.SIGKILL)
    first.provisioner.process.wait(timeout=10)
    assert not first.is_alive() and second.is_alive()
    first.shutdown_kernel(now=True)  # nothing left to kill: no error
    second.shutdown_kernel(now=True)
    assert not alive(pids[1])


def test_a_kernel_ends_with_its_template(monkeypatch):
    """A worker killed outright ends its template (its stdin closes), and the template's
    kernels end with it, wherever the orphans would be adopted."""
    km = start(True, monkeypatch)
    pid = km.provisioner.pid
    assert alive(pid)
    kernel_fork._template["process"].kill()
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)
    km.shutdown_kernel(now=True)


def test_without_the_template_or_with_another_startup_environment_the_kernel_is_spawned():
    km = render.new_kernel_manager()  # starts a template...
    kernel_fork._template["process"].kill()  # ...gone before the kernel starts
    kernel_fork._template["process"].wait()
    km.start_kernel(cwd=str(resources.files("reportlib") / "reports"))
    try:
        assert not isinstance(km.provisioner.process, kernel_fork.ForkedKernel)
        assert probe(km)["ppid"] == os.getpid()
    finally:
        km.shutdown_kernel(now=True)

    # A kernel spec whose environment the interpreter reads at its start (PYTHONPATH,
    # PYTHONHASHSEED...): the template started without it cannot give that kernel.
    km = render.new_kernel_manager()
    km.kernel_spec.env = {"PYTHONHASHSEED": "7"}
    km.start_kernel(cwd=str(resources.files("reportlib") / "reports"))
    try:
        assert not isinstance(km.provisioner.process, kernel_fork.ForkedKernel)
        assert probe(km)["env"]["PYTHONHASHSEED"] == "7"
    finally:
        km.shutdown_kernel(now=True)


def test_a_template_that_does_not_answer_is_given_up(monkeypatch):
    """A template stuck in its imports never holds its worker for ever: after the wait, the
    kernel starts the usual way."""
    kernel_fork.stop_template()
    monkeypatch.setattr(kernel_fork, "TEMPLATE", "import time; time.sleep(60)")
    monkeypatch.setattr(kernel_fork, "READY_TIMEOUT", 1.0)
    km = start(True, monkeypatch)
    try:
        assert not isinstance(km.provisioner.process, kernel_fork.ForkedKernel)
        assert "process" not in kernel_fork._template  # the stuck one was ended
        assert probe(km)["ppid"] == os.getpid()
    finally:
        km.shutdown_kernel(now=True)


def test_the_operator_can_say_no_forks(monkeypatch):
    monkeypatch.setenv("REPORTLIB_FORK_KERNELS", "0")
    km = render.new_kernel_manager()
    km.start_kernel(cwd=str(resources.files("reportlib") / "reports"))
    try:
        assert not isinstance(km.provisioner.process, kernel_fork.ForkedKernel)
        assert probe(km)["ppid"] == os.getpid()
    finally:
        km.shutdown_kernel(now=True)


def test_the_template_and_a_kernel_are_followed_on_descriptors_numbered_over_1024(monkeypatch):
    """select() takes no descriptor numbered 1024 or more ("filedescriptor out of range"): a
    worker that held that many failed its next kernel's start. The template's answers and a
    kernel's pidfd are waited on through poll()."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2048 and hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip(f"this machine allows {hard} open files, not 2048")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 2048), hard))
    try:
        reader, writer = os.pipe()
        high = os.dup2(reader, 1500)
        try:
            assert kernel_fork.readable(high, 0) is False
            os.write(writer, b"4242\n")
            assert kernel_fork.readable(high, 0) is True
        finally:
            for fd in (reader, writer, high):
                os.close(fd)

        km = start(True, monkeypatch)
        kernel = km.provisioner.process
        assert isinstance(kernel, kernel_fork.ForkedKernel) and kernel.pidfd is not None
        os.dup2(kernel.pidfd, 1600)
        os.close(kernel.pidfd)
        kernel.pidfd = 1600
        assert kernel.poll() is None  # alive, seen through descriptor 1600
        kernel.kill()
        kernel.wait(timeout=10)
        assert kernel.returncode is not None and kernel.pidfd is None
        km.shutdown_kernel(now=True)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
