"""Crash safety of ingest: `reportlib ingest` killed with SIGKILL in the middle of a large file
leaves a warehouse that opens and holds whole files only, and a re-run completes it.

The run is a real subprocess on real files. DuckDB locks the warehouse while the process runs,
so the moment to kill is found by timing, not by reading it. Time is the child's CPU time
(/proc/PID/stat), which other work on a busy machine barely moves; wall time where there is no
/proc:
  1. the small "earlier" files are ingested into the warehouse (this also times start-up);
  2. with the large CSV and more small files added, one calibration run into a copy of that
     warehouse times the whole ingest; the difference from step 1 is the large file's window;
  3. the real run is killed half-way through that window. A fast engine gets a larger file
     (up to 600k rows) before step 3; if the run ends before the kill, or the large file is
     already whole when it comes, the file is made twice as large and the kill retried once,
     from the warehouse of step 1.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from reportlib import params as params_mod
from tests.conftest import ACME, BETA, REPO, webhook, write

# End-to-end: `pytest -m 'not slow'` leaves this module out.
pytestmark = pytest.mark.slow

HEADER = ("MessageId,CampaignId,Sender,AgentIdentity,BotId,PhoneNumberId,Recipient,"
          "TemplateName,Category,AcceptedAt,SentAt,DeliveredAt,ReadAt,FailedAt,ErrorCode,"
          "RepliedAt\n")
FIRST_ROWS = 40_000  # about 3 s of today's engine on a small machine
MAX_ROWS = 600_000
MIN_WINDOW = 1.5  # seconds the large file must take for a kill to land inside it
TARGET_WINDOW = 3.0
TIMEOUT = 120

# Which canonical tables a file's rows land in, by source kind (rows carry `source_file`).
TABLES = {"notifications": ("notifications",),
          "whatsapp_webhooks": ("message_status_events", "inbound_messages")}
BIG = "acme/notifications/b_big.csv"


def notification_rows(prefix: str, n: int, phone: str = "1001", bot: str = "acme-bot",
                      start: int = 0) -> str:
    """n valid export rows with unique message ids and recipients."""
    out = []
    for i in range(start, start + n):
        minute, second = divmod(i % 3600, 60)
        out.append(f"{prefix}{i},camp{i % 7},campaign,,{bot},{phone},+55119{i:08d},promo,"
                   f"MARKETING,2026-10-03T14:{minute:02d}:{second:02d}-03:00,"
                   f"2026-10-03T14:{minute:02d}:{second:02d}-03:00,,,,,\n")
    return "".join(out)


def status(mid: str, name: str, ts: int) -> dict:
    return {"id": mid, "status": name, "timestamp": str(ts), "recipient_id": "5511999990001"}


# The small files: relative path -> (text, rows it loads). Ids never repeat across files, so
# every loaded row keeps its own file's `source_file`.
EARLIER = {
    "acme/notifications/a_small.csv": (HEADER + notification_rows("early", 5), 5),
    "acme/whatsapp_webhooks/w.jsonl": (
        "".join(webhook("1001", [status(f"wamid.K{i}", "sent", 1790856000 + i)]) + "\n"
                for i in range(4)), 4),
}
LATER = {
    "acme/notifications/c_small.csv": (HEADER + notification_rows("late", 7), 7),
    "acme/whatsapp_webhooks/x.jsonl": (
        "".join(webhook("1001", [status(f"wamid.L{i}", "delivered", 1790857000 + i)]) + "\n"
                for i in range(3)), 3),
    "beta/notifications/n.csv": (
        HEADER + notification_rows("beta", 6, phone="2001", bot="beta-bot"), 6),
}


def write_big(sources: Path, n: int) -> None:
    path = sources / BIG
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        f.write(HEADER)
        for start in range(0, n, 50_000):
            f.write(notification_rows("big", min(50_000, n - start), start=start))


def command(sources: Path, wh: Path, params: Path) -> list[str]:
    return [sys.executable, "-m", "reportlib.cli", "ingest", str(sources), "--warehouse",
            str(wh), "--params", str(params)]


def env() -> dict[str, str]:
    """The subprocess imports reportlib from this checkout, like the tests do."""
    path = os.environ.get("PYTHONPATH")
    return dict(os.environ, PYTHONPATH=str(REPO) + (os.pathsep + path if path else ""))


HAVE_PROC = Path(f"/proc/{os.getpid()}/stat").exists()


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system, all threads) of a running process, None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_time() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_ingest(sources: Path, wh: Path, params: Path) -> float:
    """Run ingest to the end (exit 0); its CPU time (wall time without /proc)."""
    started, cpu = time.monotonic(), children_time()
    done = subprocess.run(command(sources, wh, params), cwd=REPO, env=env(),
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stdout + done.stderr
    return children_time() - cpu if HAVE_PROC else time.monotonic() - started


def killed_ingest(sources: Path, wh: Path, params: Path, after: float) -> int:
    """Start ingest, SIGKILL it once it has used `after` seconds (as `timed_ingest` counts
    them); its return code (-9 when killed)."""
    proc = subprocess.Popen(command(sources, wh, params), cwd=REPO, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        started = time.monotonic()
        while proc.poll() is None and time.monotonic() - started < TIMEOUT:
            used = cpu_seconds(proc.pid) if HAVE_PROC else time.monotonic() - started
            if used is not None and used >= after:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.005)
        return proc.wait(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def state(wh: Path, files: dict[str, int]) -> dict[str, tuple[int | None, int]]:
    """Per file: (rows_loaded of its 'loaded' log row or None, rows found in its tables)."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        found = {}
        for rel in files:
            kind = rel.split("/")[1]
            logged = con.execute(
                "SELECT DISTINCT rows_loaded FROM ingest_log WHERE status = 'loaded' "
                "AND ends_with(file, ?)", ["/" + rel]).fetchall()
            assert len(logged) <= 1, (rel, logged)
            rows = sum(con.execute(f"SELECT count(*) FROM {table} WHERE ends_with("
                                   "source_file, ?)", ["/" + rel]).fetchall()[0][0]
                       for table in TABLES[kind])
            found[rel] = (logged[0][0] if logged else None, rows)
        return found
    finally:
        con.close()


def assert_whole_files(found: dict, files: dict[str, int]) -> None:
    """Every file is all there, as its log row says, or not there at all."""
    for rel, (logged, rows) in found.items():
        if logged is None:
            assert rows == 0, f"{rel}: {rows} rows of a file not logged as loaded"
        else:
            assert logged == rows == files[rel], f"{rel}: log says {logged}, {rows} rows"


def test_ingest_killed_mid_file_leaves_whole_files_and_a_rerun_completes(tmp_path):
    params = tmp_path / "params"
    for tenant in (ACME, BETA):
        params_mod.dump_tenant(params, tenant)
    sources, wh = tmp_path / "sources", tmp_path / "wh.duckdb"
    for rel, (text, _) in EARLIER.items():
        write(sources / rel, text)
    startup = timed_ingest(sources, wh, params)  # the earlier files, already in the warehouse
    baseline = tmp_path / "baseline.duckdb"
    shutil.copy(wh, baseline)
    for rel, (text, _) in LATER.items():
        write(sources / rel, text)

    # Calibrate: how long the large file takes on this machine, today.
    rows = FIRST_ROWS
    write_big(sources, rows)
    calibration = tmp_path / "calibration.duckdb"
    shutil.copy(baseline, calibration)
    window = timed_ingest(sources, calibration, params) - startup
    if window < MIN_WINDOW and rows < MAX_ROWS:
        rows = min(MAX_ROWS, int(rows * max(2.0, TARGET_WINDOW / max(window, 0.1))))
        write_big(sources, rows)
        shutil.copy(baseline, calibration)
        window = timed_ingest(sources, calibration, params) - startup

    for attempt in range(2):
        code = killed_ingest(sources, wh, params, after=startup + window / 2)
        assert code in (0, -signal.SIGKILL), f"ingest failed on its own (exit {code})"
        files = {rel: n for rel, (_, n) in {**EARLIER, **LATER}.items()} | {BIG: rows}
        after_kill = state(wh, files)  # opens read-only: the warehouse survived the kill
        print(f"attempt {attempt + 1}: {rows} rows, start-up {startup:.1f} s, large-file "
              f"window {window:.1f} s, exit {code}; after it (rows_loaded logged, rows "
              f"found): {after_kill}")
        assert_whole_files(after_kill, files)
        if code == -signal.SIGKILL and after_kill[BIG][0] is None:
            break  # killed before the large file was whole
        assert attempt == 0, f"the kill missed the large file twice ({rows} rows)"
        # Too late: start again from the earlier warehouse, with a larger file.
        rows, window = rows * 2, window * 2
        write_big(sources, rows)
        Path(f"{wh}.wal").unlink(missing_ok=True)
        shutil.copy(baseline, wh)

    for rel in EARLIER:
        assert after_kill[rel] == (files[rel], files[rel]), f"{rel} lost by the kill"

    # A re-run completes and loads every file whole, the large one included.
    timed_ingest(sources, wh, params)
    assert state(wh, files) == {rel: (n, n) for rel, n in files.items()}
    con = duckdb.connect(str(wh), read_only=True)
    try:
        total = con.execute("SELECT count(*) FROM notifications").fetchall()[0][0]
    finally:
        con.close()
    assert total == sum(n for rel, n in files.items() if "/notifications/" in rel)
