"""A kernel's socket folder is named after its process; a new process removes the folders of
processes that are gone (killed outright, they ran no exit hook), never a live one's."""

from __future__ import annotations

import os
import subprocess
import sys

from reportlib import render


def test_the_folders_of_dead_processes_are_swept_and_live_ones_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "SOCKETS_ROOT", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = tmp_path / f"rk-{gone.stdout.strip()}-abc123"
    live = tmp_path / f"rk-{os.getpid()}-def456"
    other = tmp_path / "rk-notapid"  # not ours to judge: kept
    for folder in (dead, live, other):
        folder.mkdir()
        (folder / "0123456789ab-1").touch()  # an empty socket file left behind
    assert render.sweep_socket_folders() == [str(dead)]
    assert not dead.exists() and live.exists() and other.exists()


def test_a_new_kernel_folder_is_named_after_its_process(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "SOCKETS_ROOT", str(tmp_path))
    monkeypatch.setattr(render, "_warm", {"atexit": True})
    km = render.new_kernel_manager()
    folder = render._warm["sockets"]
    assert os.path.basename(folder).startswith(f"rk-{os.getpid()}-")
    assert os.path.dirname(km.ip) == folder
