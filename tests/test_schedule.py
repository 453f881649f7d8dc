"""schedule run-due at chosen instants: the 1st, a day in between, the 5th business day,
twice at the same instant."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pytest

from reportlib import cli, schedule
from reportlib.errors import ReportError
from tests.smtp import SmtpServer, free_port

SCHEDULE = """
schedules:
  - name: preliminary
    reports: [consumption]
    tenants: [acme]
    period: previous_month
    cadence: first_day
    at: "07:00"
    email: true
  - name: consolidated
    reports: [consumption]
    tenants: [acme]
    period: previous_month
    cadence: consolidation_day
    at: "07:00"
    email: false
"""


def run_due(tmp_path, warehouse, params_dir, now):
    return cli.main(["schedule", "run-due", "--now", now, "--warehouse", str(warehouse),
                     "--params", str(params_dir), "--outputs", str(tmp_path / "out"),
                     "--jobs", "1"])


def test_run_due_never_runs_or_sends_twice(tmp_path, tiny_warehouse, params_dir, monkeypatch,
                                           capsys):
    from dataclasses import replace

    from reportlib import params as params_mod
    from tests.conftest import ACME

    params_mod.dump_tenant(params_dir, replace(ACME, reports=("consumption",), recipients={
        "consumption": ["cfo@acme.example"]}))
    (params_dir / "schedule.yaml").write_text(SCHEDULE)
    port = free_port()
    for name, value in (("HOST", "127.0.0.1"), ("PORT", str(port)), ("SECURITY", "none"),
                        ("FROM", "reports@reportlib.example")):
        monkeypatch.setenv(f"REPORTLIB_SMTP_{name}", value)
    server = SmtpServer(port).start()
    manifest = tmp_path / "out" / "acme" / "2026-10" / "manifest.json"
    try:
        # 1 Nov 2026, 10:00 in São Paulo: the preliminary October report is due, and sent.
        assert run_due(tmp_path, tiny_warehouse, params_dir, "2026-11-01T10:00:00-03:00") == 0
        assert "preliminary acme 2026-11-01T07:00:00-03:00 2026-10: done" in \
            capsys.readouterr().out
        figures = json.loads(manifest.read_text())["reports"]["consumption"]["figures"]
        assert figures["partial"] is True
        assert len(server.inbox.messages) == 1
        # The same instant again: nothing is due.
        assert run_due(tmp_path, tiny_warehouse, params_dir, "2026-11-01T10:00:00-03:00") == 0
        assert capsys.readouterr().out.strip() == "nothing due"
        # A day in between (4 Nov): nothing new.
        assert run_due(tmp_path, tiny_warehouse, params_dir, "2026-11-04T12:00:00-03:00") == 0
        assert capsys.readouterr().out.strip() == "nothing due"
        # 9 Nov, the 5th business day (2 Nov is a holiday), after 07:00: consolidated.
        assert run_due(tmp_path, tiny_warehouse, params_dir, "2026-11-09T08:00:00-03:00") == 0
        assert "consolidated acme 2026-11-09T07:00:00-03:00 2026-10: done" in \
            capsys.readouterr().out
        figures = json.loads(manifest.read_text())["reports"]["consumption"]["figures"]
        assert figures["partial"] is False
        assert run_due(tmp_path, tiny_warehouse, params_dir, "2026-11-09T08:00:00-03:00") == 0
        assert capsys.readouterr().out.strip() == "nothing due"
    finally:
        server.stop()
    assert len(server.inbox.messages) == 1  # the consolidated entry does not e-mail
    con = duckdb.connect(str(tiny_warehouse), read_only=True)
    runs = con.execute("SELECT job, period, status FROM schedule_runs ORDER BY slot").fetchall()
    con.close()
    assert runs == [("preliminary", "2026-10", "done"), ("consolidated", "2026-10", "done")]


def test_slots_and_periods():
    from zoneinfo import ZoneInfo

    entry = schedule.Entry("d", ("consumption",), None, "month_to_date", "daily",
                           datetime.strptime("06:30", "%H:%M").time(), False)
    sp = ZoneInfo("America/Sao_Paulo")
    early = datetime(2026, 11, 10, 6, 0, tzinfo=sp)
    assert schedule.latest_slot(entry, early) == datetime(2026, 11, 9, 6, 30, tzinfo=sp)
    assert schedule.period_for(entry, early.date()) == "2026-11"
    assert schedule.period_for(entry, datetime(2026, 11, 1).date()) is None
    weekly = schedule.Entry("w", ("consumption",), None, "month_to_date", "weekly",
                            entry.at, False)
    assert schedule.latest_slot(weekly, early) == datetime(2026, 11, 9, 6, 30, tzinfo=sp)
    monthly = schedule.Entry("m", ("consumption",), None, "previous_month",
                             "consolidation_day", entry.at, False)
    assert schedule.latest_slot(monthly, early).date().isoformat() == "2026-11-09"
    assert schedule.latest_slot(monthly, datetime(2026, 11, 5, tzinfo=sp)) is None
    assert schedule.period_for(monthly, datetime(2026, 1, 8).date()) == "2025-12"


def test_bad_schedule_is_a_clear_error(tmp_path):
    (tmp_path / "schedule.yaml").write_text(
        "schedules:\n  - name: x\n    cadence: hourly\n    period: previous_month\n")
    with pytest.raises(ReportError, match=r"schedules\[0\]: field cadence"):
        schedule.load(tmp_path)
