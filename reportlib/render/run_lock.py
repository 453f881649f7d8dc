"""One run at a time in an outputs folder.

A run stages its bundles in `outputs/.staging`, clears what a killed run left there and
rewrites the manifests and the index: a second run of the same folder would delete the first
one's staged bundles under it. So a run holds `outputs/.staging.lock` (an advisory lock the
system drops when its process ends, however it ends) from before it touches the folder until
it is done; another waits for it as for a busy warehouse (`--wait`), saying once who holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from reportlib import warehouse
from reportlib.errors import OutputsBusy

LOCK_NAME = ".staging.lock"  # beside .staging: what a killed run leaves is in one place


def _holder(path: Path) -> str:
    """The run that holds the lock, as written in it (its process id)."""
    try:
        pid = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        pid = ""
    return warehouse.process_description(pid) if pid.isdigit() else "another run"


def _locked(path: Path) -> int | None:
    """The lock file, opened and locked, or None while another process holds it. A file the
    last holder removed as it finished (after this one opened it) is opened again."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


@contextlib.contextmanager
def holding(outputs: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the outputs folder for one run; while another run holds it, say so once on
    stderr and wait up to `wait` seconds (the command's `--wait`), then stop with one line."""
    path = Path(outputs) / LOCK_NAME
    wait = warehouse.LOCK_WAIT_SECONDS if wait is None else wait
    deadline, said = time.monotonic() + wait, False
    while (fd := _locked(path)) is None:
        holder = _holder(path)
        if time.monotonic() >= deadline:
            raise OutputsBusy(f"the outputs folder {outputs} is busy: {holder} renders into it "
                              f"and stayed busy for {wait:g} s: try again when it is done, "
                              "or give a longer --wait")
        if not said:
            print(f"reportlib: the outputs folder {outputs} is busy: {holder} renders into "
                  f"it; waiting up to {wait:g} s (--wait)", file=sys.stderr, flush=True)
            said = True
        time.sleep(warehouse.LOCK_POLL_SECONDS)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        yield
    finally:
        path.unlink(missing_ok=True)  # while still locked: a waiter that opened it opens again
        os.close(fd)


@contextlib.contextmanager
def alone(path: Path) -> Iterator[str | None]:
    """Hold the lock at `path` unless another process does, without waiting: yields None
    while this process holds it, else who holds it (`warehouse.process_description`)."""
    fd = _locked(Path(path))
    if fd is None:
        yield _holder(Path(path))
        return
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        yield None
    finally:
        Path(path).unlink(missing_ok=True)
        os.close(fd)
