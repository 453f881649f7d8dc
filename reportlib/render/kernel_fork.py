"""Warm kernels forked from a process that has already imported what every report imports.

A new kernel per tenant-period spent about 1.5 s of CPU before the first report's first cell:
the interpreter, ipykernel and IPython, then pandas, matplotlib, NumPy and DuckDB. Each render
worker keeps one helper process (the *template*) that has imported them all once; a kernel is
a fork of it that starts ipykernel from there, as `python -m ipykernel_launcher` would. Every
tenant-period still gets a kernel (a process) of its own: the template never runs a report,
only forks, so nothing of one tenant can reach another's kernel.

A fork starts what the kernel spec would: same interpreter and options, same environment and
working directory, same `sys.path`; the random generators are seeded afresh. Where the spec's
command is not this interpreter's ipykernel, or the template is gone, the kernel is started
the usual way (`LocalProvisioner`). Linux only: elsewhere a fork of a process that has loaded
system frameworks is not safe.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from jupyter_client.provisioning import LocalProvisioner

from reportlib.environment import startup_environment

LAUNCHER = "ipykernel_launcher"

# The template: imports, freezes what it imported (a kernel's collections skip it), then
# forks a kernel per request line {"args", "env", "cwd"} and answers with its process id.
# It ends when its worker does (end of its stdin). It reaps each kernel as it ends, so that
# none is left a zombie its worker would take as alive, and so that the kernels' CPU time
# counts in the template's children's, and in its worker's (what a benchmark reads).
TEMPLATE = r"""
import gc, importlib.util, json, os, random, signal, sys, time, warnings
launcher = importlib.util.find_spec("ipykernel_launcher").origin
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # as ipykernel
import ipykernel.ipkernel, ipykernel.kernelapp, ipykernel.zmqshell
import duckdb, matplotlib.figure, numpy, pandas
gc.collect()
gc.freeze()
warnings.filterwarnings("ignore", message=".*fork", category=DeprecationWarning)
def reap(signum, frame):
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
signal.signal(signal.SIGCHLD, reap)
requests, answers = sys.stdin, sys.stdout
sys.stdout.write("ready\n")
sys.stdout.flush()
for line in requests:
    request = json.loads(line)
    pid = os.fork()
    if pid:
        answers.write(f"{pid}\n")
        answers.flush()
        continue
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(2, 1)
    os.close(null)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    if sys.path[0] == "":  # as ipykernel_launcher does
        del sys.path[0]
    sys.argv = [launcher, *request["args"]]
    random.seed()
    numpy.random.seed()
    from ipykernel.kernelapp import IPKernelApp
    IPKernelApp.launch_instance()
    os._exit(0)
"""

_template: dict = {}  # "process": the template, "prefix": its interpreter and options


def spec_prefix(argv: list[str]) -> list[str] | None:
    """The interpreter and its options of a kernel spec's command (`python [-X…] -m
    ipykernel_launcher …`), when it is this interpreter's ipykernel; else None."""
    if LAUNCHER not in argv or argv.index(LAUNCHER) < 2 or argv[argv.index(LAUNCHER) - 1] != "-m":
        return None
    prefix = argv[: argv.index(LAUNCHER) - 1]
    try:
        if not os.path.samefile(prefix[0], sys.executable):
            return None
    except OSError:
        return None
    return prefix


def start_template(prefix: list[str]) -> None:
    """Start this process's template (if it is not running), without waiting for its imports."""
    process = _template.get("process")
    if (process is not None and process.poll() is None and _template["prefix"] == prefix
            and _template["env"] == startup_environment()):
        return
    stop_template()
    _template["prefix"] = prefix
    _template["env"] = startup_environment()
    _template["process"] = subprocess.Popen(
        [*prefix, "-c", TEMPLATE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # a kernel's start-up chatter, as `quiet_stderr` for others
        cwd="/", text=True, start_new_session=True)
    _template["ready"] = False


def stop_template() -> None:
    """End the template (its kernels are not its to end: their managers shut them down)."""
    process = _template.pop("process", None)
    if process is not None:
        process.kill()
        process.wait()
        for pipe in (process.stdin, process.stdout):
            pipe.close()


def fork_kernel(argv: list[str], env: dict[str, str], cwd: str) -> int | None:
    """Fork a kernel from the template for the spec command `argv`: its process id, or None
    when it cannot be (another interpreter, another start-up environment, no template)."""
    prefix = spec_prefix(argv)
    process = _template.get("process")
    if (prefix is None or process is None or process.poll() is not None
            or _template["prefix"] != prefix or _template["env"] != startup_environment(env)):
        return None
    try:
        if not _template["ready"]:
            if process.stdout.readline() != "ready\n":
                raise OSError("the template did not start")
            _template["ready"] = True
        # The kernel watches its parent as one launched by jupyter_client would (ipykernel's
        # parent poller): being the template's child, it ends when the template does.
        env = {**env, "JPY_PARENT_PID": str(os.getpid())}
        request = {"args": argv[argv.index(LAUNCHER) + 1:], "env": env, "cwd": cwd}
        process.stdin.write(json.dumps(request) + "\n")
        process.stdin.flush()
        return int(process.stdout.readline())
    except (OSError, ValueError):  # the template died: start kernels the usual way
        stop_template()
        return None


class ForkedKernel:
    """The part of `subprocess.Popen` a provisioner uses, for a kernel that is the template's
    child, not ours: it is alive while its process id is (the template reaps it at once)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -signal.SIGKILL  # not ours to wait for: its status is lost
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class ForkingProvisioner(LocalProvisioner):
    """Starts the kernel as a fork of the template when it can, else as LocalProvisioner does."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        env = kwargs.get("env")  # jupyter_client's provisioner always gives one
        cwd = str(kwargs.get("cwd") or os.getcwd())
        pid = None if env is None else fork_kernel(cmd, env, cwd)
        if pid is None:
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedKernel(pid)
        self.pid = self.pgid = pid  # the fork leads its own session and group, as Popen's would
        self.cwd = cwd
        return self.connection_info
