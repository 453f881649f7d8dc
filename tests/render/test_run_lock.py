"""One run at a time in an outputs folder: a second waits for the first, saying once who
holds it, or stops with one line naming it; the lock leaves no file behind."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from reportlib.errors import OutputsBusy
from reportlib.render import run_lock
from tests.conftest import REPO


def hold(outputs: Path) -> subprocess.Popen:
    """Another run holding `outputs` until a line arrives on its standard input."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys\n"
        "from pathlib import Path\n"
        "from reportlib.render import run_lock\n"
        f"with run_lock.holding(Path({str(outputs)!r})):\n"
        "    print('held', flush=True)\n"
        "    sys.stdin.readline()\n")], cwd=REPO, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_busy_outputs_folder_stops_a_run_in_one_line_naming_the_other(tmp_path, capsys):
    holder = hold(tmp_path)
    try:
        with pytest.raises(OutputsBusy) as stopped, run_lock.holding(tmp_path, wait=0.3):
            pytest.fail("entered a folder another run holds")
    finally:
        holder.communicate("done\n", timeout=30)
    message = str(stopped.value)
    assert f"the outputs folder {tmp_path} is busy" in message
    assert f"(PID {holder.pid}, since " in message and "\n" not in message
    assert capsys.readouterr().err.count("is busy") == 1  # said once while waiting
    assert not (tmp_path / run_lock.LOCK_NAME).exists()  # the holder's lock is gone with it


def test_a_second_run_waits_for_the_first_and_goes_on(tmp_path, capsys):
    holder = hold(tmp_path)
    threading.Timer(1.0, holder.communicate, ["done\n"]).start()
    started = time.monotonic()
    with run_lock.holding(tmp_path, wait=30):
        waited = time.monotonic() - started
    assert waited >= 0.9  # until the first was done
    holder.wait(timeout=30)
    assert "waiting up to 30 s (--wait)" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_two_runs_in_one_process_exclude_each_other_too(tmp_path):
    with run_lock.holding(tmp_path), pytest.raises(OutputsBusy):
        with run_lock.holding(tmp_path, wait=0):
            pass
    with run_lock.holding(tmp_path):  # free again
        pass
