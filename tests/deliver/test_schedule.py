"""schedule run-due at chosen instants: the 1st, a day in between, the 5th business day,
twice at the same instant."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pytest

from reportlib import cli
from reportlib import params as params_mod
from reportlib.deliver import schedule
from reportlib.environment import command_settings
from reportlib.errors import ReportError
from tests.conftest import ACME
from tests.smtp import SmtpServer, free_port

# End-to-end: `pytest -m 'not slow'` leaves this module out.
pytestmark = pytest.mark.slow

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

ENTRY = "schedules:\n  - name: x\n    cadence: daily\n    period: month_to_date\n"


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


# ---------------------------------------------------------------------------------------------
# Catch-up, dry run, status, the operator's notice

GAP_SCHEDULE = """
notify: ops@reportlib.example
schedules:
  - name: preliminary
    reports: [consumption]
    tenants: [acme]
    period: previous_month
    cadence: first_day
    at: "07:00"
    email: true
  - name: weekly-again             # lists the same report and period: not sent twice
    reports: [consumption]
    tenants: [acme]
    period: previous_month
    cadence: weekly
    at: "07:00"
    email: true
  - name: consolidated
    reports: [consumption]
    tenants: [acme]
    period: previous_month
    cadence: consolidation_day
    at: "07:00"
    email: true
"""
# 11 Nov 2026 is the 7th business day of November (2 Nov is a holiday): the preliminary slot
# (1 Nov), the weekly one (Mon 9 Nov) and the consolidated one (9 Nov) are all due.
SEVENTH_BUSINESS_DAY = datetime.fromisoformat("2026-11-11T10:00:00-03:00")


@pytest.fixture
def acme_with_recipients(params_dir):
    from dataclasses import replace

    from reportlib import params as params_mod
    from tests.conftest import ACME

    params_mod.dump_tenant(params_dir, replace(ACME, reports=("consumption",), recipients={
        "consumption": ["cfo@acme.example"]}))
    (params_dir / "schedule.yaml").write_text(GAP_SCHEDULE)
    return params_dir


@pytest.fixture
def smtp_port(monkeypatch):
    port = free_port()
    for name, value in (("HOST", "127.0.0.1"), ("PORT", str(port)), ("SECURITY", "none"),
                        ("FROM", "reports@reportlib.example")):
        monkeypatch.setenv(f"REPORTLIB_SMTP_{name}", value)
    return port


def recorded_runs(warehouse):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT job, period, status FROM schedule_runs "
                           "ORDER BY slot, job").fetchall()
    finally:
        con.close()


def record(warehouse, rows):
    """Slots recorded by earlier calls, written as run-due writes them."""
    con = duckdb.connect(str(warehouse))
    try:
        for row in rows:
            con.execute("INSERT INTO schedule_runs VALUES (?, 'acme', ?, ?, ?, ?, ?)",
                        [row[0], datetime.fromisoformat(row[1]), *row[2:]])
    finally:
        con.close()


def file_hashes(folder):
    import hashlib

    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_first_run_after_a_gap_sends_each_report_once(tmp_path, tiny_warehouse,
                                                      acme_with_recipients, smtp_port):
    server = SmtpServer(smtp_port).start()
    try:
        runs = schedule.run_due(SEVENTH_BUSINESS_DAY, tiny_warehouse, acme_with_recipients,
                                tmp_path / "out", 1,
                         smtp=command_settings().smtp)
        again = schedule.run_due(SEVENTH_BUSINESS_DAY, tiny_warehouse, acme_with_recipients,
                                 tmp_path / "out", 1,
                         smtp=command_settings().smtp)
    finally:
        server.stop()
    lines = [r.line() for r in runs]
    assert lines == [
        "preliminary acme 2026-11-01T07:00:00-03:00 2026-10: superseded: by consolidated: "
        "the consolidated figures of 2026-10 are due too",
        "weekly-again acme 2026-11-09T07:00:00-03:00 2026-10: done: not run twice: "
        "consumption (consolidated) already in this run-due",
        "consolidated acme 2026-11-09T07:00:00-03:00 2026-10: done"]
    assert again == []  # superseded and done slots never run later
    sent = [(tuple(rcpt), msg["Subject"]) for rcpt, msg in server.inbox.messages]
    assert sent == [(("cfo@acme.example",),
                     "Consumo de WhatsApp · Acme <Lojas> · outubro de 2026 · consolidado")]
    manifest = tmp_path / "out" / "acme" / "2026-10" / "manifest.json"
    figures = json.loads(manifest.read_text())["reports"]["consumption"]["figures"]
    assert figures["partial"] is False  # the consolidated figures, not the preliminary ones
    assert recorded_runs(tiny_warehouse) == [
        ("preliminary", "2026-10", "superseded"), ("consolidated", "2026-10", "done"),
        ("weekly-again", "2026-10", "done")]


def test_dry_run_says_what_would_run_and_writes_nothing(tmp_path, tiny_warehouse,
                                                        acme_with_recipients, smtp_port):
    missing = tmp_path / "none.duckdb"
    plan = schedule.run_due(SEVENTH_BUSINESS_DAY, missing, acme_with_recipients,
                            tmp_path / "out", dry_run=True)
    assert [r.line() for r in plan] == [
        "preliminary acme 2026-11-01T07:00:00-03:00 2026-10: would be superseded: by "
        "consolidated: the consolidated figures of 2026-10 are due too",
        "weekly-again acme 2026-11-09T07:00:00-03:00 2026-10: would run: no report, not "
        "e-mailed; not run twice: consumption (consolidated) already in this run-due",
        "consolidated acme 2026-11-09T07:00:00-03:00 2026-10: would run: consumption, e-mailed"]
    assert [(r.reports, r.email) for r in plan] == [
        ((), True), ((), True), (("consumption",), True)]
    assert not missing.exists()  # no warehouse is created to read an empty history

    # The preliminary slot ran on the 1st: a dry run on the 11th reads it, read-only.
    record(tiny_warehouse, [("preliminary", "2026-11-01T07:00:00-03:00", "2026-10", "done", "",
                             datetime.fromisoformat("2026-11-01T10:00:00+00:00"))])
    before = file_hashes(tmp_path)
    server = SmtpServer(smtp_port).start()
    try:
        plan = schedule.run_due(SEVENTH_BUSINESS_DAY, tiny_warehouse, acme_with_recipients,
                                tmp_path / "out", dry_run=True)
    finally:
        server.stop()
    assert [(r.entry, r.status, r.reports) for r in plan] == [
        ("weekly-again", "would run", ()), ("consolidated", "would run", ("consumption",))]
    assert file_hashes(tmp_path) == before  # warehouse byte-identical, no outputs
    assert not (tmp_path / "out").exists()
    assert server.inbox.messages == []
    assert recorded_runs(tiny_warehouse) == [("preliminary", "2026-10", "done")]


def test_status_gives_last_run_and_next_due_and_writes_nothing(tmp_path, tiny_warehouse,
                                                               acme_with_recipients):
    record(tiny_warehouse, [
        ("preliminary", "2026-11-01T07:00:00-03:00", "2026-10", "done", "",
         datetime.fromisoformat("2026-11-01T10:00:00+00:00")),
        ("consolidated", "2026-11-09T07:00:00-03:00", "2026-10", "failed",
         "acme 2026-10 consumption: failed: boom",
         datetime.fromisoformat("2026-11-09T10:00:02+00:00"))])
    before = file_hashes(tmp_path)
    rows = schedule.status(SEVENTH_BUSINESS_DAY, tiny_warehouse, acme_with_recipients)
    assert file_hashes(tmp_path) == before
    assert [r.line() for r in rows] == [
        "preliminary acme: last 2026-11-01T07:00:00-03:00 2026-10: done at "
        "2026-11-01T10:00:00+00:00; next 2026-12-01T07:00:00-03:00 2026-11",
        "weekly-again acme: never run; due now 2026-11-09T07:00:00-03:00 2026-10: would run; "
        "next 2026-11-16T07:00:00-03:00 2026-10",
        "consolidated acme: last 2026-11-09T07:00:00-03:00 2026-10: failed at "
        "2026-11-09T10:00:02+00:00 (acme 2026-10 consumption: failed: boom); due now "
        "2026-11-09T07:00:00-03:00 2026-10: would run; next 2026-12-07T07:00:00-03:00 2026-11"]
    consolidated = rows[2]
    assert (consolidated.last_status, consolidated.next_period) == ("failed", "2026-11")
    assert consolidated.next_slot.isoformat() == "2026-12-07T07:00:00-03:00"
    # No warehouse at all: nothing recorded, nothing created.
    rows = schedule.status(SEVENTH_BUSINESS_DAY, tmp_path / "none.duckdb",
                           acme_with_recipients)
    assert [r.last_slot for r in rows] == [None, None, None]
    assert not (tmp_path / "none.duckdb").exists()


def test_next_due_skips_a_slot_that_runs_nothing():
    from zoneinfo import ZoneInfo

    sp = ZoneInfo("America/Sao_Paulo")
    daily = schedule.Entry("d", ("consumption",), None, "month_to_date", "daily",
                           datetime.strptime("06:30", "%H:%M").time(), False)
    # Month to date on the 1st has nothing complete: the next slot that runs is the 2nd.
    slot, period = schedule.next_due(daily, datetime(2026, 11, 30, 7, 0, tzinfo=sp))
    assert (slot.isoformat(), period) == ("2026-12-02T06:30:00-03:00", "2026-12")
    slot, period = schedule.next_due(daily, datetime(2026, 11, 30, 6, 0, tzinfo=sp))
    assert (slot.isoformat(), period) == ("2026-11-30T06:30:00-03:00", "2026-11")
    first = schedule.Entry("f", ("consumption",), None, "previous_month", "first_day",
                           daily.at, False)
    at_the_slot = datetime(2026, 11, 1, 6, 30, tzinfo=sp)  # strictly after: next month's
    assert schedule.next_slot(first, at_the_slot).isoformat() == "2026-12-01T06:30:00-03:00"


class RefusingInbox:
    """A real SMTP server's handler that refuses the recipients of some domains (a report that
    cannot be delivered) and keeps what it accepts."""

    def __init__(self, refused: set[str]) -> None:
        self.refused = refused
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.rsplit("@", 1)[-1] in self.refused:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        from email import message_from_bytes, policy

        self.messages.append((envelope.rcpt_tos,
                              message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def test_a_failed_run_notifies_the_operator_once(tmp_path, tiny_warehouse,
                                                 acme_with_recipients, smtp_port):
    from aiosmtpd.controller import Controller

    (acme_with_recipients / "schedule.yaml").write_text(
        GAP_SCHEDULE.split("  - name: weekly-again")[0])  # notify + the preliminary entry
    inbox = RefusingInbox({"acme.example", "reportlib.example"})
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    day = "2026-11-01T{}:00-03:00"
    try:
        # The report's recipients are refused, and so is the notice: run-due goes on.
        first = schedule.run_due(datetime.fromisoformat(day.format("10:00")), tiny_warehouse,
                                 acme_with_recipients, tmp_path / "out", 1,
                         smtp=command_settings().smtp)
        inbox.refused.discard("reportlib.example")  # the operator's mailbox is back
        second = schedule.run_due(datetime.fromisoformat(day.format("10:30")),
                                  tiny_warehouse, acme_with_recipients, tmp_path / "out", 1,
                         smtp=command_settings().smtp)
        third = schedule.run_due(datetime.fromisoformat(day.format("11:30")),
                                 tiny_warehouse, acme_with_recipients, tmp_path / "out", 1,
                         smtp=command_settings().smtp)
    finally:
        controller.stop()
    assert [r.status for r in first + second + third] == ["failed"] * 3
    assert first[0].detail.endswith(
        f"operator not notified: SMTP server 127.0.0.1:{smtp_port}: refused by the server: "
        "ops@reportlib.example (550 5.1.1 mailbox unavailable)")
    assert second[0].detail.endswith("operator notified (ops@reportlib.example)")
    assert third[0].detail.endswith("operator notified at 2026-11-01T13:30:00+00:00")
    assert len(inbox.messages) == 1  # one notice for the slot, none of the report
    rcpt, notice = inbox.messages[0]
    assert rcpt == ["ops@reportlib.example"]
    assert notice["Subject"] == "reportlib: scheduled run failed: preliminary acme 2026-10"
    assert notice.get_content_type() == "text/plain"
    body = notice.get_content()
    assert ("- acme 2026-10 consumption [consumption]: failed: SMTP server "
            f"127.0.0.1:{smtp_port}: refused by the server: cfo@acme.example (550") in body
    assert "not notified again" in body
    assert recorded_runs(tiny_warehouse) == [("preliminary", "2026-10", "failed")]


def test_bad_notify_is_a_clear_error(tmp_path):
    entry = "schedules:\n  - name: x\n    cadence: daily\n    period: month_to_date\n"
    for value in ("ops at example", "[ops@example.com, 3]", "{a: b}"):
        (tmp_path / "schedule.yaml").write_text(f"notify: {value}\n{entry}")
        with pytest.raises(ReportError, match=r"schedule\.yaml: field notify: ") as caught:
            schedule.load(tmp_path)
        assert "\n" not in str(caught.value)
    (tmp_path / "schedule.yaml").write_text(f"notify: [a@x.example, b@x.example]\n{entry}")
    assert schedule.notify_addresses(tmp_path) == ("a@x.example", "b@x.example")
    assert schedule.notify_language(tmp_path) == "en"
    (tmp_path / "schedule.yaml").write_text(f"notify: a@x.example\nnotify_locale:\n{entry}")
    assert schedule.notify_language(tmp_path) == "en"  # left empty: the default
    (tmp_path / "schedule.yaml").write_text(f"notify: a@x.example\nnotify_locale: pt\n{entry}")
    with pytest.raises(ReportError, match=r"schedule\.yaml: field notify_locale: 'pt' is not "
                                          r"one of pt-BR, en$"):
        schedule.load(tmp_path)


def test_the_operator_notice_is_in_the_language_of_notify_locale():
    """Notices were English only; an operator who reads Portuguese sets notify_locale."""
    run = schedule.SlotRun("preliminary", "acme", datetime.fromisoformat(
        "2026-11-01T07:00:00-03:00"), "2026-10", "failed", "x",
        failures=("acme 2026-10 consumption [consumption]: failed: boom",))
    now = datetime.fromisoformat("2026-11-01T13:00:00+00:00")
    subject, body = schedule._notice(run, now, "pt-BR")
    assert subject == "reportlib: execução agendada falhou: preliminary acme 2026-10"
    assert body.startswith("A execução agendada preliminary do cliente acme, período 2026-10 "
                           "(horário 2026-11-01T07:00:00-03:00), falhou em "
                           "2026-11-01T13:00:00+00:00:\n\n- acme 2026-10 consumption "
                           "[consumption]: failed: boom\n\nCada ")
    assert schedule._notice(run, now, "en")[0] == (
        "reportlib: scheduled run failed: preliminary acme 2026-10")


def test_smtp_not_configured_stops_before_rendering(tmp_path, tiny_warehouse,
                                                    acme_with_recipients, monkeypatch):
    for name in ("HOST", "FROM", "PORT", "SECURITY", "USER", "PASSWORD"):
        monkeypatch.delenv(f"REPORTLIB_SMTP_{name}", raising=False)
    with pytest.raises(ReportError, match="SMTP is not configured"):
        schedule.run_due(SEVENTH_BUSINESS_DAY, tiny_warehouse, acme_with_recipients,
                         tmp_path / "out", 1,
                         smtp=command_settings().smtp)
    assert not (tmp_path / "out").exists()
    assert recorded_runs(tiny_warehouse) == []


NO_DATA_SCHEDULE = """
schedules:
  - name: consolidated
    reports: [consumption]
    tenants: [acme]
    period: previous_month
    cadence: consolidation_day
    at: "07:00"
    email: true
"""


def test_a_slot_without_data_stays_open_until_the_data_arrives(
        tmp_path, tiny_warehouse, acme_with_recipients, smtp_port, capsys):
    """7 Dec 2026 is the 5th business day of December: November's consolidated slot is due,
    and tiny_warehouse has no November rows. Every call before the data arrives leaves the slot
    waiting (the second one finds the report `unchanged`, still no data); the call after it
    renders and sends it."""
    (acme_with_recipients / "schedule.yaml").write_text(NO_DATA_SCHEDULE)
    manifest = tmp_path / "out" / "acme" / "2026-11" / "manifest.json"
    slot = "consolidated acme 2026-12-07T07:00:00-03:00 2026-11"
    server = SmtpServer(smtp_port).start()
    try:
        for now in ("2026-12-07T12:00:00-03:00", "2026-12-07T12:15:00-03:00"):
            assert run_due(tmp_path, tiny_warehouse, acme_with_recipients, now) == 0
            out = capsys.readouterr().out
            assert f"{slot}: waiting" in out, out
            entry = json.loads(manifest.read_text())["reports"]["consumption"]
            assert entry["status"] == "no_data"
            assert recorded_runs(tiny_warehouse) == [("consolidated", "2026-11", "waiting")]
        assert server.inbox.messages == []
        rows = schedule.status(datetime.fromisoformat("2026-12-07T12:20:00-03:00"),
                               tiny_warehouse, acme_with_recipients)
        assert (rows[0].last_status, rows[0].due_action) == ("waiting", "would run")
        # November's analytics arrive: the next call renders the report and sends it.
        con = duckdb.connect(str(tiny_warehouse))
        con.execute(
            "INSERT INTO pricing_daily VALUES ('acme', 'w-acme', TIMESTAMPTZ "
            "'2026-11-05 03:00:00+00', TIMESTAMPTZ '2026-11-06 03:00:00+00', '551140000001', "
            "'BR', 'REGULAR', 'MARKETING', NULL, 40, 2.5, 'hand-made', 'DAILY', "
            "'phone_number,country,pricing_type,pricing_category')")
        con.close()
        assert run_due(tmp_path, tiny_warehouse, acme_with_recipients,
                       "2026-12-07T12:30:00-03:00") == 0
        assert f"{slot}: done" in capsys.readouterr().out
        assert run_due(tmp_path, tiny_warehouse, acme_with_recipients,
                       "2026-12-07T12:45:00-03:00") == 0
        assert capsys.readouterr().out.strip() == "nothing due"
    finally:
        server.stop()
    assert json.loads(manifest.read_text())["reports"]["consumption"]["status"] == "ok"
    assert [rcpt for rcpt, _ in server.inbox.messages] == [["cfo@acme.example"]]
    assert recorded_runs(tiny_warehouse) == [("consolidated", "2026-11", "done")]


def test_a_bad_recipient_fails_its_tenant_alone_before_rendering(
        tmp_path, tiny_warehouse, acme_with_recipients, smtp_port, capsys):
    """A recipient that is no address in one tenant's file stopped run-due for every tenant
    (exit 2, nothing rendered or sent, and `status` said nothing of it), on every call of the
    cron line until the file was mended. Now that tenant's e-mailed slot fails before
    rendering, named and notified, and the other tenants run."""
    from dataclasses import replace

    from tests.conftest import BETA

    beta_file = params_mod.dump_tenant(acme_with_recipients, replace(
        BETA, reports=("consumption",), recipients={"consumption": ["cfo at beta"]}))
    (acme_with_recipients / "schedule.yaml").write_text(EVERY_TENANT)
    why = f"{beta_file}: recipients.consumption: 'cfo at beta' is not an e-mail address"
    argv = ["--now", SEVENTH_BUSINESS_DAY.isoformat(), "--warehouse", str(tiny_warehouse),
            "--params", str(acme_with_recipients), "--outputs", str(tmp_path / "out")]
    server = SmtpServer(smtp_port).start()
    try:
        assert cli.main(["schedule", "run-due", "--dry-run", *argv]) == 0
        assert capsys.readouterr().out.splitlines()[1] == (
            f"consolidated beta 2026-11-09T07:00:00+00:00 2026-10: would fail: {why}")
        assert cli.main(["schedule", "run-due", "--jobs", "1", *argv]) == 1
        out = capsys.readouterr().out.splitlines()
    finally:
        server.stop()
    assert out == ["consolidated acme 2026-11-09T07:00:00-03:00 2026-10: done",
                   f"consolidated beta 2026-11-09T07:00:00+00:00 2026-10: failed: {why}; "
                   "operator notified (ops@reportlib.example)"]
    assert not (tmp_path / "out" / "beta").exists()
    assert [rcpt for rcpt, _ in server.inbox.messages] == [["cfo@acme.example"],
                                                          ["ops@reportlib.example"]]
    assert recorded_runs(tiny_warehouse) == [("consolidated", "2026-10", "failed"),
                                             ("consolidated", "2026-10", "done")]


@pytest.mark.parametrize(("text", "says"), [
    # Each of these loaded before: the first stopped the command with "unexpected error
    # (ParserError ...)"; the others were taken silently, leaving the schedule, or its
    # e-mail, off (or on) without a word.
    ("schedules: [\n", r"schedule\.yaml: line 2: not valid YAML$"),
    ("schedule:\n  - name: x\n", r"schedule\.yaml: field schedule: not a setting; did you mean "
                                 r"schedules\?$"),
    ("schedules:\n  x: {}\n", r"field schedules: expected a list of entries"),
    (ENTRY + "    emial: true\n", r"schedules\[0\]: field emial: not an entry field; did you "
                                  r"mean email\?$"),
    (ENTRY + "    email: 'false'\n", r"schedules\[0\]: field email: expected true or false, "
                                     r"got 'false'$"),
    (ENTRY + "    tenants: acme\n", r"schedules\[0\]: field tenants: expected all or a list of "
                                    r"tenant ids, got 'acme'$"),
    (ENTRY + "    tenants: [nobody]\n", r"schedules\[0\]: field tenants: unknown tenant "
                                        r"'nobody'"),
    (ENTRY + "    at: 7:00\n", r"schedules\[0\]: field at: write the time in quotes"),
    (ENTRY + ENTRY.replace("schedules:\n", ""),
     r"schedules\[1\]: field name: 'x' names another entry too$"),
    # A tenant listed twice had two slots of one record: the second ('not run twice')
    # replaced the first's, and a failed slot was recorded done, never retried.
    (ENTRY + "    tenants: [acme, acme]\n",
     r"schedules\[0\]: field tenants: 'acme' is listed twice$"),
    (ENTRY + "    reports: [consumption, consumption]\n",
     r"schedules\[0\]: field reports: 'consumption' is listed twice$"),
    (ENTRY + "    tenants: [Acme]\n", r"schedules\[0\]: field tenants: tenant 'Acme' is not a "
                                      r"valid tenant id"),
])
def test_a_schedule_mistake_is_one_line_naming_the_field(tmp_path, text, says):
    params_mod.dump_tenant(tmp_path, ACME)
    (tmp_path / "schedule.yaml").write_text(text)
    with pytest.raises(ReportError, match=says) as caught:
        schedule.load(tmp_path)
    assert "\n" not in str(caught.value)
    (tmp_path / "schedule.yaml").write_text(ENTRY + "    tenants: [acme]\n    email: true\n")
    [entry] = schedule.load(tmp_path)
    assert entry.tenants == ("acme",) and entry.email is True


EVERY_TENANT = """
notify: ops@reportlib.example
schedules:
  - name: consolidated
    reports: [consumption]
    tenants: all
    period: previous_month
    cadence: consolidation_day
    at: "07:00"
    email: true
"""


def test_a_tenant_whose_settings_do_not_load_fails_alone(
        tmp_path, tiny_warehouse, acme_with_recipients, smtp_port, capsys):
    """One tenant's YAML broken by an edit stopped `run-due` (and `status`) for every tenant
    with a usage error: no tenant's report was rendered or sent until the file was mended,
    and nobody was notified. Now that tenant's slot fails, named and notified once, and the
    others run."""
    # The notice in the operator's language (notify_locale), sent by the command.
    (acme_with_recipients / "schedule.yaml").write_text(
        EVERY_TENANT.replace("notify: ops@reportlib.example",
                             "notify: ops@reportlib.example\nnotify_locale: pt-BR"))
    broken = acme_with_recipients / "tenants" / "beta.yaml"
    broken.write_text("display_name: Beta\nreports: [consumption\ntimezone: UTC\n")
    why = f"{broken}: line 3: not valid YAML"
    server = SmtpServer(smtp_port).start()
    try:
        argv = ["--now", SEVENTH_BUSINESS_DAY.isoformat(), "--warehouse", str(tiny_warehouse),
                "--params", str(acme_with_recipients), "--outputs", str(tmp_path / "out")]
        assert cli.main(["schedule", "run-due", "--dry-run", *argv]) == 0
        assert capsys.readouterr().out.splitlines() == [
            "consolidated acme 2026-11-09T07:00:00-03:00 2026-10: would run: consumption, "
            "e-mailed",
            f"consolidated beta 2026-11-09T07:00:00+00:00 2026-10: would fail: {why}"]
        for _ in range(2):  # the retry fails again, and does not notify again
            assert cli.main(["schedule", "run-due", "--jobs", "1", *argv]) == 1
        out = capsys.readouterr().out.splitlines()
        assert cli.main(["schedule", "status", *argv]) == 1
        status = capsys.readouterr().out.splitlines()
    finally:
        server.stop()
    beta = f"consolidated beta 2026-11-09T07:00:00+00:00 2026-10: failed: {why}; operator "
    assert out == ["consolidated acme 2026-11-09T07:00:00-03:00 2026-10: done",
                   f"{beta}notified (ops@reportlib.example)",
                   f"{beta}notified at 2026-11-11T13:00:00+00:00"]
    assert f"consolidated beta: its settings do not load: {why}" in status
    subjects = [(rcpt, message["Subject"]) for rcpt, message in server.inbox.messages]
    assert subjects[0][0] == ["cfo@acme.example"]
    assert subjects[1:] == [(["ops@reportlib.example"],
                             "reportlib: execução agendada falhou: consolidated beta 2026-10")]
    assert recorded_runs(tiny_warehouse) == [("consolidated", "2026-10", "failed"),
                                             ("consolidated", "2026-10", "done")]


@pytest.mark.parametrize(("mistake", "says"), [
    ("cadence", "schedule.yaml: schedules[0]: field cadence: not one of first_day, "
                "consolidation_day, daily, weekly"),
    ("smtp", "SMTP is not configured: set REPORTLIB_SMTP_HOST and REPORTLIB_SMTP_FROM (or "
             "params/smtp.yaml)"),
    ("twice", "schedule.yaml: schedules[0]: field tenants: 'acme' is listed twice"),
])
def test_a_usage_mistake_of_run_due_leaves_the_warehouse_as_it_was(
        tmp_path, tiny_warehouse, acme_with_recipients, monkeypatch, capsys, mistake, says):
    """run-due opened the warehouse for writing (its schema brought up to date) before it
    read the schedule and the SMTP settings: a mistake in either, exit 2, had rewritten the
    warehouse file all the same, on every call of the cron line until it was mended."""
    text = EVERY_TENANT
    if mistake == "cadence":
        text = text.replace("cadence: consolidation_day", "cadence: 0 7 * * *")
    if mistake == "twice":
        text = text.replace("tenants: all", "tenants: [acme, acme]")
    for name in ("HOST", "PORT", "SECURITY", "FROM", "USER", "PASSWORD"):
        monkeypatch.delenv(f"REPORTLIB_SMTP_{name}", raising=False)
    (acme_with_recipients / "schedule.yaml").write_text(text)
    before = file_hashes(tiny_warehouse.parent)
    assert cli.main(["schedule", "run-due", "--now", SEVENTH_BUSINESS_DAY.isoformat(),
                     "--jobs", "1", "--warehouse", str(tiny_warehouse),
                     "--params", str(acme_with_recipients),
                     "--outputs", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip().endswith(says)
    assert file_hashes(tiny_warehouse.parent) == before


def test_run_due_stopped_while_sending_sends_the_rest_on_the_next_call(
        tmp_path, tiny_warehouse, params_dir, smtp_port, capsys):
    """SIGTERM (a service stopped, a time limit) while the server takes the first of a slot's
    two messages: the command swallowed it as that send's failure ('SMTPResponseException:
    (250, b'OK')', the answer read as QUIT's), went on, and the retry sent that list the
    report again. Now the send is recorded, the command stops (143), and the next call sends
    the other list alone and records the slot done."""
    import os
    import signal
    import subprocess
    import sys
    from dataclasses import replace

    from aiosmtpd.controller import Controller

    from tests.conftest import REPO
    from tests.deliver.test_deliver import StoppingInbox

    params_mod.dump_tenant(params_dir, replace(ACME, reports=("consumption",), recipients={
        "consumption": ["cfo@acme.example", "ops@acme.example"],
        "all": ["ceo@acme.example"]}))
    (params_dir / "schedule.yaml").write_text(SCHEDULE)
    inbox = StoppingInbox(signal.SIGTERM)
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    server.start()
    now = "2026-11-01T10:00:00-03:00"
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "reportlib.cli", "schedule", "run-due", "--now", now,
             "--warehouse", str(tiny_warehouse), "--params", str(params_dir), "--outputs",
             str(tmp_path / "out"), "--jobs", "1"],
            env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        inbox.pid = process.pid
        out, err = process.communicate(timeout=300)
        assert process.returncode == 143, (out, err)
        assert "reportlib schedule: terminated" in err.splitlines(), err
        assert recorded_runs(tiny_warehouse) == []  # the slot is still to do
        assert run_due(tmp_path, tiny_warehouse, params_dir, "2026-11-01T10:15:00-03:00") == 0
    finally:
        server.stop()
    assert "preliminary acme 2026-11-01T07:00:00-03:00 2026-10: done" in capsys.readouterr().out
    assert sorted(a for rcpt, _ in inbox.messages for a in rcpt) == [
        "ceo@acme.example", "cfo@acme.example", "ops@acme.example"]
    assert recorded_runs(tiny_warehouse) == [("preliminary", "2026-10", "done")]


def test_an_unconfirmed_send_fails_its_slot_once_and_is_not_sent_again(
        tmp_path, tiny_warehouse, acme_with_recipients, smtp_port):
    """The connection lost once the whole message had gone: the slot fails and the operator
    is told once; the next call does not send the report again and records the slot done,
    saying the recipients are unconfirmed (a failed send was sent again by every retry)."""
    from aiosmtpd.controller import Controller

    from tests.deliver.test_deliver import CuttingInbox

    (acme_with_recipients / "schedule.yaml").write_text(
        GAP_SCHEDULE.split("  - name: weekly-again")[0])  # notify + the preliminary entry
    inbox = CuttingInbox("connection")
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    server.start()
    day = "2026-11-01T{}:00-03:00"
    try:
        first, second = [schedule.run_due(datetime.fromisoformat(day.format(at)),
                                          tiny_warehouse, acme_with_recipients,
                                          tmp_path / "out", 1, smtp=command_settings().smtp)
                         for at in ("10:00", "10:30")]
    finally:
        server.stop()
    assert [r.status for r in first + second] == ["failed", "done"]
    assert "consumption [consumption]: unconfirmed: not known whether 1 recipient(s)" in \
        first[0].detail and first[0].detail.endswith("operator notified (ops@reportlib.example)")
    assert second[0].detail == ("acme 2026-10 consumption [consumption]: skipped: already "
                                "sent for this output (1 recipient(s) unconfirmed)")
    assert [rcpt for rcpt, _ in inbox.messages] == [["cfo@acme.example"],
                                                    ["ops@reportlib.example"]]


def test_run_due_stopped_while_notifying_never_notifies_twice(
        tmp_path, tiny_warehouse, acme_with_recipients, smtp_port):
    """SIGTERM while the server takes the operator's notice of a failed slot: the stop was
    swallowed ('operator not notified: … SMTPResponseException: (250, b'OK')'), the notice
    recorded nowhere, and the retry notified again. Now the notice is recorded, the command
    stops (143), and the next call does not notify again."""
    import os
    import signal
    import subprocess
    import sys

    from aiosmtpd.controller import Controller

    from tests.conftest import REPO
    from tests.deliver.test_deliver import StoppingInbox

    class Inbox(StoppingInbox, RefusingInbox):  # the report refused, the notice stopped
        def __init__(self) -> None:
            StoppingInbox.__init__(self, signal.SIGTERM)
            self.refused = {"acme.example"}

    (acme_with_recipients / "schedule.yaml").write_text(
        GAP_SCHEDULE.split("  - name: weekly-again")[0])  # notify + the preliminary entry
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    server.start()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "reportlib.cli", "schedule", "run-due", "--now",
             "2026-11-01T10:00:00-03:00", "--warehouse", str(tiny_warehouse), "--params",
             str(acme_with_recipients), "--outputs", str(tmp_path / "out"), "--jobs", "1"],
            env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        inbox.pid = process.pid
        out, err = process.communicate(timeout=300)
        assert process.returncode == 143, (out, err)
        again = schedule.run_due(datetime.fromisoformat("2026-11-01T10:30:00-03:00"),
                                 tiny_warehouse, acme_with_recipients, tmp_path / "out", 1,
                                 smtp=command_settings().smtp)
    finally:
        server.stop()
    assert again[0].status == "failed"
    assert again[0].detail.endswith("operator notified at 2026-11-01T13:00:00+00:00")
    assert [rcpt for rcpt, _ in inbox.messages] == [["ops@reportlib.example"]]


def test_a_run_due_that_fires_while_the_last_one_runs_does_nothing_and_says_so(
        tmp_path, tiny_warehouse, acme_with_recipients, smtp_port, capsys):
    """A cron line firing while the last call still runs (here: still sending): the new call
    waited for the warehouse, then stopped with 'the warehouse … is busy', exit 2, on every
    call until the other was done. Now it says the other call does what is due and exits 0;
    the report goes out once."""
    import asyncio
    import os
    import subprocess
    import sys
    import threading

    from aiosmtpd.controller import Controller

    from tests.conftest import REPO

    class HoldingInbox(RefusingInbox):
        """Takes a message, and answers once the test lets it."""

        def __init__(self) -> None:
            super().__init__(set())
            self.arrived, self.release = threading.Event(), threading.Event()

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            self.arrived.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return await super().handle_DATA(server, session, envelope)

    (acme_with_recipients / "schedule.yaml").write_text(
        GAP_SCHEDULE.split("  - name: weekly-again")[0])  # the preliminary entry
    inbox = HoldingInbox()
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    server.start()
    argv = ["schedule", "run-due", "--now", "2026-11-01T10:00:00-03:00", "--warehouse",
            str(tiny_warehouse), "--params", str(acme_with_recipients), "--outputs",
            str(tmp_path / "out"), "--jobs", "1", "--wait", "2"]
    try:
        first = subprocess.Popen([sys.executable, "-m", "reportlib.cli", *argv],
                                 env={**os.environ, "PYTHONPATH": str(REPO)},
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert inbox.arrived.wait(120)  # the first call is sending
        assert cli.main(argv) == 0
        out, err = capsys.readouterr()
        inbox.release.set()
        first_out, first_err = first.communicate(timeout=120)
    finally:
        inbox.release.set()
        server.stop()
    assert first.returncode == 0, first_err
    assert out.startswith("another `reportlib schedule run-due` is running (`")
    assert "schedule run-due --now 2026-11-01T10:00:00-03:00" in out
    assert f"(PID {first.pid}, since " in out
    assert out.endswith("): it does what is due; nothing done by this call\n") and err == ""
    assert "preliminary acme 2026-11-01T07:00:00-03:00 2026-10: done" in first_out
    assert [rcpt for rcpt, _ in inbox.messages] == [["cfo@acme.example"]]


def test_a_tenant_renamed_or_removed_since_it_ran_fails_alone(
        tmp_path, tiny_warehouse, acme_with_recipients, smtp_port, capsys):
    """An entry lists a tenant whose settings file was renamed (or removed) after its slots
    ran: run-due stopped for every tenant with 'field tenants: unknown tenant', exit 2, on
    each call of the cron line, and nobody was notified. Now that tenant's slot fails alone,
    named and notified; the others run. A tenant that never ran stays a typo (usage error)."""
    (acme_with_recipients / "schedule.yaml").write_text(
        "notify: ops@reportlib.example\nschedules:\n  - name: daily\n    reports: "
        "[consumption]\n    tenants: [acme, beta]\n    period: month_to_date\n    cadence: "
        "daily\n    at: '07:00'\n    email: true\n")
    server = SmtpServer(smtp_port).start()
    try:
        assert run_due(tmp_path, tiny_warehouse, acme_with_recipients,
                       "2026-10-10T10:00:00-03:00") == 0
        capsys.readouterr()
        beta = acme_with_recipients / "tenants" / "beta.yaml"
        beta.rename(beta.with_name("beta-old.yaml.bak"))
        assert run_due(tmp_path, tiny_warehouse, acme_with_recipients,
                       "2026-10-11T10:00:00-03:00") == 1
        out = capsys.readouterr().out.splitlines()
    finally:
        server.stop()
    assert out == [
        "daily acme 2026-10-11T07:00:00-03:00 2026-10: done",
        f"daily beta 2026-10-11T07:00:00+00:00 2026-10: failed: unknown tenant 'beta': no "
        f"{beta}; operator notified (ops@reportlib.example)"]
    assert [m["Subject"] for _, m in server.inbox.messages][-1] == (
        "reportlib: scheduled run failed: daily beta 2026-10")


def test_status_after_a_clock_that_was_ahead_says_the_last_slot_really_run(
        tmp_path, tiny_warehouse, acme_with_recipients, smtp_port, capsys):
    """run-due once under a clock a year ahead (a slot of December 2027 recorded, waiting for
    data), then on the right clock: `status` took the December 2027 slot for the last one
    and never said the slot really run since. It now gives the last slot at or before now,
    and the one recorded after now apart, saying the clock was ahead then or is behind now."""
    (acme_with_recipients / "schedule.yaml").write_text(SCHEDULE)
    server = SmtpServer(smtp_port).start()
    try:
        for now in ("2027-12-01T10:00:00-03:00", "2026-11-01T10:00:00-03:00"):
            run_due(tmp_path, tiny_warehouse, acme_with_recipients, now)
        capsys.readouterr()
        assert cli.main(["schedule", "status", "--now", "2026-11-02T10:00:00-03:00",
                         "--warehouse", str(tiny_warehouse), "--params",
                         str(acme_with_recipients)]) == 0
    finally:
        server.stop()
    [preliminary, _] = capsys.readouterr().out.splitlines()
    assert preliminary.startswith(
        "preliminary acme: last 2026-11-01T07:00:00-03:00 2026-10: done at 2026-11-01T13:00")
    assert preliminary.endswith(
        "; recorded for a time after now: 2027-12-01T07:00:00-03:00 2027-11: waiting (the "
        "clock was ahead when it ran, or is behind now)")


# ---------------------------------------------------------------------------------------------
# Summer time: a slot's time is an instant of the tenant's zone


@pytest.mark.parametrize("zone_name", ["America/New_York", "Europe/Lisbon", "Australia/Sydney"])
@pytest.mark.parametrize("cadence", ["daily", "weekly"])
def test_a_slot_is_never_after_now_across_summer_time(zone_name, cadence):
    """Every 5 minutes of the days the clock jumps and repeats, with the entry's time in the
    hour that jumps or repeats: the latest slot is an instant at or before now, the next one
    after it. Compared as wall times, 02:30 on the day the clock skips from 02:00 to 03:00 was
    'past' at 03:10 and ran 20 minutes before its instant (03:30)."""
    from datetime import UTC, timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(zone_name)
    changes = {"America/New_York": ("2026-03-08", "2026-11-01"),
               "Europe/Lisbon": ("2026-03-29", "2026-10-25"),
               "Australia/Sydney": ("2026-10-04", "2026-04-05")}[zone_name]
    for change in changes:
        day = datetime.fromisoformat(change).date()
        for at in ("00:30", "01:30", "02:30", "03:30"):
            entry = schedule.Entry("e", ("consumption",), None, "previous_month", cadence,
                                   datetime.strptime(at, "%H:%M").time(), False)
            now = datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC)
            for _ in range(12 * 24):
                now_local = now.astimezone(zone)
                slot = schedule.latest_slot(entry, now_local)
                following = schedule.next_slot(entry, now_local)
                assert slot.timestamp() <= now.timestamp(), (at, now_local, slot)
                assert following.timestamp() > now.timestamp(), (at, now_local, following)
                assert slot.utcoffset() == slot.astimezone(UTC).astimezone(zone).utcoffset()
                now += timedelta(minutes=5)


def test_run_due_on_the_days_the_clock_jumps_and_repeats(tmp_path, tiny_warehouse, params_dir,
                                                       capsys):
    """A New York tenant, a daily entry at 02:30 and one at 01:30. On 8 March 2026 the clock
    skips from 02:00 to 03:00: at 03:10 the 02:30 slot (03:30, its instant) had not come, and
    ran. On 1 November 01:00-02:00 comes twice: the 01:30 slot run at its first pass was not
    found in the record (a time of that hour never equals itself in UTC) and ran at every call
    of the day, and at 01:10 of the second pass the day before's slot ran, after today's."""
    from dataclasses import replace

    params_mod.dump_tenant(params_dir, replace(ACME, timezone="America/New_York",
                                               reports=("consumption",)))
    (params_dir / "schedule.yaml").write_text(
        "schedules:\n"
        "  - {name: night, reports: [consumption], tenants: [acme], period: previous_month,"
        " cadence: daily, at: '02:30'}\n")

    def call(now):
        assert run_due(tmp_path, tiny_warehouse, params_dir, now) == 0
        return capsys.readouterr().out.splitlines()

    # 03:10, before 03:30: the slot of the day before (February has no data: it waits).
    assert call("2026-03-08T07:10:00+00:00") == [
        "night acme 2026-03-07T02:30:00-05:00 2026-02: waiting"]
    assert call("2026-03-08T07:31:00+00:00") == [
        "night acme 2026-03-08T03:30:00-04:00 2026-02: waiting"]
    (params_dir / "schedule.yaml").write_text(
        "schedules:\n"
        "  - {name: fold, reports: [consumption], tenants: [acme], period: previous_month,"
        " cadence: daily, at: '01:30'}\n")
    assert call("2026-11-01T05:40:00+00:00")[0].startswith(  # 01:40, first pass
        "fold acme 2026-11-01T01:30:00-04:00 2026-10: done")
    assert call("2026-11-01T06:10:00+00:00") == ["nothing due"]  # 01:10, second pass
    assert call("2026-11-01T06:40:00+00:00") == ["nothing due"]  # 01:40, second pass
    assert call("2026-11-01T12:00:00+00:00") == ["nothing due"]
    assert [(job, period) for job, period, _ in recorded_runs(tiny_warehouse)] == [
        ("night", "2026-02"), ("night", "2026-02"), ("fold", "2026-10")]


def test_an_at_with_a_time_zone_is_a_clear_error(tmp_path):
    """`at: "07:00Z"` was read as 07:00 of the tenant's zone, its offset dropped."""
    (tmp_path / "schedule.yaml").write_text(ENTRY + "    at: '07:00Z'\n")
    with pytest.raises(ReportError, match=r"schedules\[0\]: field at: '07:00Z' names a time "
                                          r"zone; the time is the tenant's own"):
        schedule.load(tmp_path)


def test_run_due_stopped_part_way_has_said_the_slots_done_before(
        tmp_path, tiny_warehouse, params_dir, smtp_port):
    """SIGTERM (a service stopped) while the server takes the second tenant's message: the
    first tenant's slot was rendered, e-mailed and recorded done, but the slots' lines came
    after the last one, so the log said 'terminated' alone. Each slot's line now comes as
    soon as it is recorded."""
    import os
    import signal
    import subprocess
    import sys
    from dataclasses import replace

    from aiosmtpd.controller import Controller

    from tests.conftest import BETA, REPO
    from tests.deliver.test_deliver import StoppingInbox

    for tenant, address in ((ACME, "cfo@acme.example"), (BETA, "cfo@beta.example")):
        params_mod.dump_tenant(params_dir, replace(tenant, reports=("consumption",),
                                                   recipients={"consumption": [address]}))
    con = duckdb.connect(str(tiny_warehouse))
    con.execute("INSERT INTO pricing_daily SELECT * REPLACE ('beta' AS tenant_id, 'w-beta' AS "
                "waba_id) FROM pricing_daily WHERE tenant_id = 'acme'")
    con.close()
    (params_dir / "schedule.yaml").write_text(SCHEDULE.replace("tenants: [acme]",
                                                               "tenants: [acme, beta]"))
    inbox = StoppingInbox(signal.SIGTERM, at=2)
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    server.start()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "reportlib.cli", "schedule", "run-due", "--now",
             "2026-11-01T12:00:00+00:00", "--warehouse", str(tiny_warehouse), "--params",
             str(params_dir), "--outputs", str(tmp_path / "out"), "--jobs", "1"],
            env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        inbox.pid = process.pid
        out, err = process.communicate(timeout=300)
    finally:
        server.stop()
    assert process.returncode == 143, (out, err)
    assert out.splitlines() == ["preliminary acme 2026-11-01T07:00:00-03:00 2026-10: done"]
    assert err.splitlines()[-1] == "reportlib schedule: terminated"
    assert recorded_runs(tiny_warehouse) == [("preliminary", "2026-10", "done")]
