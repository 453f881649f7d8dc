"""A warehouse cut short is found before a command writes anything; a whole one, or one that
another process holds, is not damaged."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from reportlib import warehouse


def make(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS n, repeat('x', 50) AS s FROM range(300000)")
    con.close()


def test_a_whole_warehouse_is_not_damaged(tmp_path):
    make(tmp_path / "w.duckdb")
    assert warehouse.damage(tmp_path / "w.duckdb") is None


@pytest.mark.parametrize("keep", [1 / 3, 2 / 3])  # its catalog cut off; only its data
def test_a_warehouse_cut_short_says_so(tmp_path, keep):
    path = tmp_path / "w.duckdb"
    make(path)
    cut = int(os.path.getsize(path) * keep)
    os.truncate(path, cut)
    found = warehouse.damage(path)
    assert found is not None and found.startswith(f"cut short: {cut} bytes"), found


def test_a_warehouse_another_process_writes_is_left_to_the_wait(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "w.duckdb"
    make(path)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, sys\n"
        f"con = duckdb.connect({str(path)!r})\n"
        "print('held', flush=True)\n"
        "sys.stdin.readline()\n")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert warehouse.damage(path) is None
    finally:
        holder.communicate("done\n", timeout=30)
