"""Warm kernels forked from a process that has already imported what every report imports.

A new kernel per tenant-period spent about 1.5 s of CPU before the first report's first cell:
the interpreter, ipykernel and IPython, then pandas, matplotlib, NumPy and DuckDB. Each render
worker keeps one helper process (the *template*) that has imported them all once; a kernel is
a fork of it that starts ipykernel from there, as `python -m ipykernel_launcher` would. Every
tenant-period still gets a kernel (a process) of its own: the template never runs a report,
only forks, so nothing of one tenant can reach another's kernel.

A fork starts what the kernel spec would: same interpreter and options, same environment and
working directory, same `sys.path`; the random generators are seeded afresh. It ends with
its template, which ends with its worker. Where the spec's command is not this interpreter's
ipykernel, or the template is gone or does not answer, the kernel is started the usual way
(`LocalProvisioner`). Linux only: elsewhere a fork of a process that has loaded
system frameworks is not safe.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time

from jupyter_client.provisioning import LocalProvisioner

from reportlib.environment import startup_environment

LAUNCHER = "ipykernel_launcher"

# The template: imports, freezes what it imported (a kernel's collections skip it), then
# forks a kernel per request line {"args", "env", "cwd"} and answers with its process id.
# It ends when its worker does (end of its stdin), and its kernels with it. It reaps each
# kernel as it ends, so that none is left a zombie, and so that the kernels' CPU time counts
# in the template's children's, and in its worker's (what a benchmark reads).
TEMPLATE = r"""
import ctypes, gc, importlib.util, json, os, random, signal, sys, time
launcher = importlib.util.find_spec("ipykernel_launcher").origin
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # as ipykernel
import ipykernel.ipkernel, ipykernel.kernelapp, ipykernel.zmqshell
import duckdb, matplotlib.figure, numpy, pandas
gc.collect()
gc.freeze()
def reap(signum, frame):
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
signal.signal(signal.SIGCHLD, reap)
requests, answers = sys.stdin.buffer, sys.stdout.buffer
answers.write(b"ready\n")
answers.flush()
template = os.getpid()
for line in requests:
    request = json.loads(line)
    pid = os.fork()
    if pid:
        answers.write(f"{pid}\n".encode())
        answers.flush()
        continue
    # The kernel ends with its template (which ends with its worker), even where an orphan
    # is adopted by a subreaper and ipykernel's parent poller would not see it orphaned.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != template:
        os._exit(1)
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
        cwd="/", bufsize=0, start_new_session=True)
    _template["ready"] = False


def stop_template() -> None:
    """End the template (its kernels are not its to end: their managers shut them down)."""
    process = _template.pop("process", None)
    if process is not None:
        process.kill()
        process.wait()
        for pipe in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
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
            if _read_line(process, READY_TIMEOUT) != b"ready":
                raise OSError("the template did not start")
            _template["ready"] = True
        # The kernel watches its parent as one launched by jupyter_client would (ipykernel's
        # parent poller); being the template's child, it also ends when the template does.
        env = {**env, "JPY_PARENT_PID": str(os.getpid())}
        request = {"args": argv[argv.index(LAUNCHER) + 1:], "env": env, "cwd": cwd}
        process.stdin.write(json.dumps(request).encode() + b"\n")
        return int(_read_line(process, FORK_TIMEOUT))
    except (OSError, ValueError):  # the template died or hangs: start kernels the usual way
        stop_template()
        return None


READY_TIMEOUT = 60.0  # the template's imports (about 1.5 s)
FORK_TIMEOUT = 10.0  # a fork's answer


def readable(fd: int, timeout: float) -> bool:
    """Whether `fd` can be read (or has ended) within `timeout` seconds. Through poll(), not
    select(): select() takes no descriptor numbered 1024 or more, which a long-running
    worker may hold."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(max(0, timeout) * 1000))


def _read_line(process: subprocess.Popen, timeout: float) -> bytes:
    """One line from the template, without its newline; OSError after `timeout` seconds or
    at its end (never a worker waiting for ever on a template that hangs)."""
    fd, line = process.stdout.fileno(), b""
    deadline = time.monotonic() + timeout
    while not line.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not readable(fd, left):
            raise OSError(f"no answer from the kernel template in {timeout:.0f} s")
        chunk = os.read(fd, 4096)
        if not chunk:
            raise OSError("the kernel template ended")
        line += chunk
    return line[:-1]


class ForkedKernel:
    """The part of `subprocess.Popen` a provisioner uses, for a kernel that is the template's
    child, not ours. It is followed through a pidfd (Linux ≥ 5.3): the template reaps the
    kernel as it ends, and its bare process id may then be another process's; a pidfd
    always means this kernel. Without one, through the id (alive while it is this user's)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        try:
            self.pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.pidfd = None

    def poll(self) -> int | None:
        if self.returncode is None and not self._alive():
            self.returncode = -signal.SIGKILL  # not ours to wait for: its status is lost
            if self.pidfd is not None:
                os.close(self.pidfd)
                self.pidfd = None
        return self.returncode

    def _alive(self) -> bool:
        if self.pidfd is not None:  # readable once the process has ended
            return not readable(self.pidfd, 0)
        try:
            os.kill(self.pid, 0)
        except (ProcessLookupError, PermissionError):  # gone, or the id is someone else's
            return False
        return True

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is not None:
            return
        if self.pidfd is not None:
            signal.pidfd_send_signal(self.pidfd, signum)
        else:
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

    async def send_signal(self, signum: int) -> None:
        """As LocalProvisioner (to the kernel's process group), but never once the kernel has
        ended: its group's id may then be another's."""
        if isinstance(self.process, ForkedKernel) and self.process.poll() is not None:
            return
        await super().send_signal(signum)
