"""A real full disk for the tests: a small tmpfs mounted over one folder for one command, in
a user and mount namespace of its own (`unshare -rm`: no root, no loop device, nothing of the
machine's own mounts touched). Writes there fail as on a full disk (ENOSPC), from Python, the
OS and DuckDB alike; RLIMIT_FSIZE would give EFBIG (another error) and /dev/full takes no
folder of files."""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import pytest


@functools.cache
def available() -> bool:
    """Whether this machine lets an unprivileged user mount a tmpfs in a namespace."""
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs "
                           "/mnt 2>/dev/null || mount -t tmpfs -o size=64k tmpfs /tmp"],
                          capture_output=True)
    return done.returncode == 0


needs_tmpfs = pytest.mark.skipif(not available(), reason="no unprivileged tmpfs (unshare -rm)")

SCRIPT = """
folder=$1; size=$2; shift 2
cp -a "$folder" "$folder.before" && mount -t tmpfs -o "size=$size" tmpfs "$folder" &&
  cp -a "$folder.before/." "$folder/" && rm -rf "$folder.before" || exit 97
"$@"; code=$?
cp -a "$folder/." "$folder.after/" || exit 98
exit $code
"""


def on_small_disk(folder: Path, size: str, argv: list[str], **kwargs
                  ) -> subprocess.CompletedProcess:
    """Run `argv` with `folder` (its files copied in first) on a disk of `size` (tmpfs units:
    `2m`, `900k`); then `folder` holds what the command left there."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    after = folder.with_name(folder.name + ".after")
    shutil.rmtree(after, ignore_errors=True)
    after.mkdir()
    done = subprocess.run(["unshare", "-rm", "sh", "-c", SCRIPT, "sh", str(folder), size,
                           *argv], capture_output=True, text=True, **kwargs)
    assert done.returncode not in (97, 98), done.stderr
    shutil.rmtree(folder)
    after.rename(folder)
    return done

