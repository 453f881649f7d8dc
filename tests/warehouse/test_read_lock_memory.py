"""The run's read lock on the warehouse reads every tenant's rows once (their fingerprints):
it holds them under a memory limit, so DuckDB does not keep what it read cached up to most of
the machine's memory."""

from __future__ import annotations

from reportlib.render import runner


def test_the_run_s_read_lock_reads_the_warehouse_under_a_small_memory_limit(tiny_warehouse):
    lock = runner.ReadLock(tiny_warehouse)
    try:
        limit = lock.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        # DuckDB prints it in its own units: 256MB is 244.1 MiB.
        number, unit = limit.split()
        assert unit == "MiB" and float(number) <= 256
    finally:
        lock.release()
