"""Provisional figures (docs/metrics.md, "Provisional figures"): until when each report's
figures may still change, the shaded days of a daily chart, the † of a table, the manifest."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import matplotlib.dates
import pytest

from reportlib.domain import calendar
from reportlib.look import charts, present
from reportlib.look.i18n import Formatter
from reportlib.render import JobResult, update_manifest
from reportlib.reports import trust

OCTOBER = calendar.parse_period("2026-10")


def test_a_sent_day_turns_from_provisional_to_final_as_as_of_moves():
    # Statuses of a message sent on 21 Oct can change for 30 days: until 20 Nov. Seen on
    # 20 Nov (data up to 19 Nov) the day is still provisional; on 21 Nov it is final.
    on_20 = trust.provisional("statuses", OCTOBER, date(2026, 11, 20))
    on_21 = trust.provisional("statuses", OCTOBER, date(2026, 11, 21))
    assert on_20.day_is_provisional(date(2026, 10, 21))
    assert not on_20.day_is_provisional(date(2026, 10, 20))
    assert on_20.first_day == date(2026, 10, 21) and on_21.first_day == date(2026, 10, 22)
    assert not on_21.day_is_provisional(date(2026, 10, 21))
    # The report as a whole: its last day (31 Oct) + 30 days = 30 Nov.
    assert on_20.until == date(2026, 11, 30) and on_20.provisional
    final = trust.provisional("statuses", OCTOBER, date(2026, 12, 1))
    assert final.first_day is None and not final.provisional


def test_consumption_is_provisional_until_the_day_before_consolidation():
    # October 2026 is consolidated on 9 Nov (5th business day; 2 Nov is a holiday): its
    # figures may still change up to 8 Nov, every day of the month.
    before = trust.provisional("consolidation", OCTOBER, date(2026, 11, 8))
    after = trust.provisional("consolidation", OCTOBER, date(2026, 11, 9))
    assert before.until == after.until == date(2026, 11, 8)
    assert before.provisional and before.first_day == date(2026, 10, 1)
    assert not after.provisional and after.first_day is None
    assert before.provisional == calendar.is_partial(OCTOBER, date(2026, 11, 8))
    assert after.provisional == calendar.is_partial(OCTOBER, date(2026, 11, 9))


def test_open_tickets_keep_attendance_provisional_with_no_known_end():
    days = [date(2026, 10, 30), date(2026, 10, 12), date(2026, 10, 30)]
    window = trust.provisional("tickets", OCTOBER, date(2026, 11, 20), days)
    assert window.until is None and window.provisional
    assert window.first_day == date(2026, 10, 12) and window.open_items == 3
    closed = trust.provisional("tickets", OCTOBER, date(2026, 11, 20), [])
    assert closed.until == date(2026, 10, 31) and not closed.provisional
    fmt = Formatter("en")
    assert trust.provisional_sentence(window, fmt) == (
        "Provisional: 3 tickets opened from October 12, 2026 are not closed yet; their times and "
        "outcomes change until they close.")
    assert trust.provisional_sentence(closed, fmt) == ""
    # October read on 20 October: the open month gains tickets as well (conecta_servicos'
    # November report spoke of its 2 open tickets only).
    open_month = trust.provisional("tickets", OCTOBER, date(2026, 10, 20), days)
    assert trust.provisional_sentence(open_month, Formatter("pt-BR")) == (
        "Provisório: o período ainda não terminou (os números podem mudar até 31 de outubro de "
        "2026) e 3 tickets abertos a partir de 12 de outubro de 2026 ainda não foram "
        "encerrados; seus tempos e resultados mudam até o encerramento.")


def test_the_sentence_says_which_figures_move_and_until_when():
    window = trust.provisional("statuses", OCTOBER, date(2026, 11, 20))
    assert trust.provisional_sentence(window, Formatter("en")) == (
        "Provisional: delivery and read statuses of messages sent from October 21, 2026 can still "
        "change (up to 30 days after each send); the figures are final on December 1, 2026.")
    assert "21 de outubro de 2026" in trust.provisional_sentence(window, Formatter("pt-BR"))
    final = trust.provisional("statuses", OCTOBER, date(2026, 12, 1))
    assert trust.provisional_sentence(final, Formatter("en")).startswith("Final:")


def test_a_daily_chart_shades_the_provisional_days_with_a_legend_entry():
    days = [date(2026, 10, d) for d in range(1, 32)]
    for locale, label in (("en", "Provisional: may still change"),
                          ("pt-BR", "Provisório: ainda pode mudar")):
        fig = charts.daily_lines(days, {"sent": [1.0] * 31}, {}, {"sent": "Sent"}, "t", "u",
                                 Formatter(locale), provisional_from=date(2026, 10, 21))
        ax = fig.axes[0]
        bands = [p for p in ax.patches if p.get_label() == label]
        assert len(bands) == 1
        # From 21 Oct 00:00 - 12 h to 31 Oct 00:00 + 12 h, in matplotlib's day numbers.
        x0 = bands[0].get_x()
        x1 = x0 + bands[0].get_width()
        start = matplotlib.dates.date2num(datetime.combine(date(2026, 10, 21), time()))
        assert x0 == pytest.approx(start - 0.5) and x1 == pytest.approx(start + 10.5)
        legend = [t.get_text() for t in fig.legends[0].get_texts()]
        assert legend == ["Sent", label]  # the series first, then the band
    # Nothing provisional: no band, no legend entry.
    fig = charts.daily_stacked(days, {"business": [1.0] * 31}, charts.INITIATOR_COLORS,
                               {"business": "B"}, "t", "u", Formatter("en"),
                               provisional_from=None)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["B"]


def test_provisional_rows_of_a_table_carry_a_dagger_and_the_note_says_why():
    rows = [["A", "1.000", "50,0%"], ["B", "–", "10,0%"]]
    marked = present.mark_provisional(rows, [False, True], [False, True, True])
    assert marked == [["A", "1.000", "50,0%"], ["B", "–", "10,0% †"]]
    window = trust.provisional("statuses", OCTOBER, date(2026, 11, 20))
    assert trust.table_note(window, Formatter("en")) == (
        "† Provisional: statuses can still change; the figures are final on December 1, "
        "2026.")  # the day the header names, not "until November 30" beside it
    # Consumption's note names the day its header does: October is consolidated on
    # 9 November (the 5th business day), so may change until the 8th.
    window = trust.provisional("consolidation", OCTOBER, date(2026, 11, 5))
    assert trust.table_note(window, Formatter("pt-BR")) == (
        "† Provisório: a Meta ainda pode revisar estes números até a consolidação, em 9 de "
        "novembro de 2026.")
    assert Formatter("pt-BR").date(calendar.consolidation_date(OCTOBER)) == \
        "9 de novembro de 2026"
    assert present.note("a < b") == '<p class="note">a &lt; b</p>'


def test_every_manifest_entry_carries_provisional_until_and_flags(tmp_path):
    flag = {"day": "2026-10-06", "metric": "cost", "subject": None, "value": 27.77,
            "baseline": 0.71, "robust_z": 27.06, "volume": 27.77, "baseline_days": 5,
            "cause": "agents", "cause_detail": {"category": "utility", "messages": 4000,
                                                "value": 27.2, "baseline": 0.4}}
    ok = JobResult("acme", "2026-10", "consumption", "ok", files={"html": "c.html"},
                   figures={"total": 1, "provisional_until": "2026-11-08",
                            "provisional": False, "flags": [flag]})
    update_manifest(tmp_path, ok, "2026-11-20")
    quiet = JobResult("acme", "2026-10", "chatbots", "ok",
                      figures={"mau": 3, "provisional_until": "2026-10-31",
                               "provisional": False, "flags": []})
    update_manifest(tmp_path, quiet, "2026-11-20")
    reports = json.loads((tmp_path / "manifest.json").read_text())["reports"]
    assert reports["consumption"]["provisional_until"] == "2026-11-08"
    assert reports["consumption"]["flags"] == [flag]
    assert reports["chatbots"]["flags"] == [] and \
        reports["chatbots"]["provisional_until"] == "2026-10-31"
    # A failed run keeps the last good run's, beside its files.
    update_manifest(tmp_path, JobResult("acme", "2026-10", "consumption", "failed",
                                        error="boom"), "2026-11-21")
    entry = json.loads((tmp_path / "manifest.json").read_text())["reports"]["consumption"]
    assert entry["status"] == "failed" and entry["provisional_until"] == "2026-11-08"
    assert entry["flags"] == [flag]


def test_a_rendered_report_publishes_provisional_until_in_its_manifest(tmp_path,
                                                                        tiny_warehouse,
                                                                        params_dir):
    """A real run: October's consumption seen on 5 Nov is provisional until 8 Nov (final on
    9 Nov, the 5th business day); seen on 20 Nov it is final, same date. No flags: the tiny
    warehouse has two days of data and no baseline."""
    from reportlib import cli

    for as_of, provisional in (("2026-11-05", True), ("2026-11-20", False)):
        out = tmp_path / as_of
        assert cli.main(["run", "--tenant", "acme", "--period", "2026-10", "--as-of", as_of,
                         "--warehouse", str(tiny_warehouse), "--params", str(params_dir),
                         "--outputs", str(out), "--jobs", "1", "--report",
                         "consumption"]) == 0
        entry = json.loads((out / "acme" / "2026-10" / "manifest.json").read_text())[
            "reports"]["consumption"]
        assert entry["provisional_until"] == "2026-11-08"
        assert entry["figures"]["provisional"] is provisional
        assert entry["flags"] == []
    assert timedelta(days=1) + date(2026, 11, 8) == calendar.consolidation_date(OCTOBER)


def test_the_index_shows_which_reports_changed_since_they_were_sent(tmp_path, empty_warehouse):
    """Two reports e-mailed (a real SMTP server on loopback); then consumption is rendered
    again with one more day of data (total 500 -> 520) and campaigns with the same figures.
    The index marks consumption, not campaigns."""
    from dataclasses import replace
    from datetime import UTC

    from reportlib import deliver
    from reportlib.render import write_index
    from reportlib.warehouse import history
    from tests.conftest import ACME
    from tests.smtp import SmtpServer

    warehouse_path, con = empty_warehouse
    con.close()
    outputs = tmp_path / "out"
    folder = outputs / "acme" / "2026-10"
    folder.mkdir(parents=True)
    entries = {}
    for report, figures in (("consumption", {"total": 500, "partial": True}),
                            ("campaigns", {"read": 10, "partial": True})):
        (folder / f"{report}.html").write_text(f"<html><body><h1>{report}</h1></body></html>")
        (folder / f"{report}.pdf").write_bytes(b"%PDF-1.4 hand-made")
        entries[report] = {"status": "ok", "figures": figures, "ended_at": "2026-11-20T10:00",
                           "files": {"html": f"{report}.html", "pdf": f"{report}.pdf"}}
    (folder / "manifest.json").write_text(json.dumps({"reports": entries}))
    tenant = replace(ACME, recipients={"all": ["ops@acme.example"]})
    server = SmtpServer().start()
    try:
        settings = deliver.SmtpSettings("127.0.0.1", server.port, "none", "", "",
                                        "reports@example.com")
        sent = deliver.send_reports(tenant, "2026-10", ["consumption", "campaigns"], outputs,
                                    warehouse_path, settings, datetime(2026, 11, 20, 11,
                                                                       tzinfo=UTC))
    finally:
        server.stop()
    assert [d.status for d in sent] == ["sent", "sent"]
    assert set(history.sent_figures(warehouse_path)) == {("acme", "2026-10", "consumption"),
                                                         ("acme", "2026-10", "campaigns")}

    def rows() -> dict[str, str]:
        page = write_index(outputs, history.last_sent(warehouse_path), None,
                           history.sent_figures(warehouse_path)).read_text("utf-8")
        return {title: row for row in page.split('<tr class="row">')[1:]
                for title in ("WhatsApp consumption", "Active-message campaigns")
                if title in row}

    assert not any("changed since sent" in row for row in rows().values())
    entries["consumption"]["figures"]["total"] = 520
    (folder / "manifest.json").write_text(json.dumps({"reports": entries}))
    marked = rows()
    assert "changed since sent" in marked["WhatsApp consumption"]
    assert "changed since sent" not in marked["Active-message campaigns"]


def test_the_index_says_until_when_a_report_may_change(tmp_path):
    """October seen on 20 Nov: consumption consolidated (final), campaigns still provisional
    by its statuses (until 30 Nov) though the month is consolidated, attendance with open
    tickets (no known date)."""
    from reportlib.render import write_index

    folder = tmp_path / "acme" / "2026-10"
    folder.mkdir(parents=True)
    entries = {
        "consumption": {"status": "ok", "provisional_until": "2026-11-08",
                        "figures": {"partial": False, "provisional": False}},
        "campaigns": {"status": "ok", "provisional_until": "2026-11-30",
                      "figures": {"partial": False, "provisional": True}},
        "attendance": {"status": "ok", "provisional_until": None,
                       "figures": {"partial": False, "provisional": True}}}
    (folder / "manifest.json").write_text(json.dumps({"reports": entries}))
    page = write_index(tmp_path).read_text("utf-8")
    rows = {title: row for row in page.split('<tr class="row">')[1:]
            for title in ("WhatsApp consumption", "Active-message campaigns",
                          "Human attendance") if title in row}
    assert "st-ok" in rows["WhatsApp consumption"] and "may change" not in \
        rows["WhatsApp consumption"]
    assert "st-partial" in rows["Active-message campaigns"]
    # the day the campaigns report's header names ("the figures are final on December 1")
    assert "final on December 1, 2026" in rows["Active-message campaigns"]
    assert "may change until its open tickets close" in rows["Human attendance"]


def test_the_subject_says_what_the_badge_says(tmp_path):
    """Campaigns of October seen on 20 Nov: the month is over (partial false) but its statuses
    may move until 30 Nov (provisional true): the subject says provisional, as the report's
    badge does (it said "partial", which the badge says only of an open period)."""
    from reportlib import deliver
    from tests.conftest import BETA

    out = tmp_path / "beta" / "2026-10"
    out.mkdir(parents=True)
    (out / "campaigns.html").write_text("<html><body><h1>Campaigns</h1></body></html>")
    (out / "campaigns.pdf").write_bytes(b"%PDF-1.4 hand-made")
    base = "Campaigns · Beta · October 2026"
    for figures, word in (({"partial": False, "provisional": True}, "provisional"),
                          ({"partial": False, "provisional": False}, "consolidated"),
                          ({"partial": True, "provisional": True}, "partial"),
                          ({"partial": True}, "partial")):  # a manifest from before
        (out / "manifest.json").write_text(json.dumps({"reports": {"campaigns": {
            "status": "ok", "figures": figures, "flags": []}}}))
        message = deliver.build_message(BETA, "2026-10", "campaigns", out, ["a@b.example"],
                                        "reports@example.com")
        assert message["Subject"] == f"{base} · {word}"


def test_the_badge_says_partial_only_while_the_period_is_open(tmp_path, tiny_warehouse):
    """The word beside the period is true of it: "partial" while the month is open (its data
    runs up to as-of), "provisional" once it is over while its figures may still change,
    nothing when they are final. Seen on 20 Nov, November is open; October is over, its
    statuses may move until 30 Nov (campaigns, desk follow-up); seen on 1 Dec, they are final.
    Chatbots and custom events are final once their days are over. Consumption keeps the
    platform's rule: partial until the month is consolidated (October on 9 Nov)."""
    from reportlib.marts import bundle
    from reportlib.marts.bundle import Bundle
    from reportlib.reports.chatbots import ChatbotsReport
    from reportlib.reports.consumption import ConsumptionReport
    from reportlib.reports.desk_followup import DeskFollowupReport
    from tests.conftest import ACME

    def header(report_class, period: str, as_of: date, locale: str = "en") -> present.Header:
        out = tmp_path / f"{period}-{as_of}.duckdb"
        if not out.exists():
            bundle.build(tiny_warehouse, ACME, calendar.parse_period(period), as_of, out,
                         reports=("consumption", "desk_followup", "chatbots"))
        return report_class(Bundle.open(out), locale).header()

    nov_20, nov_5, dec_1 = date(2026, 11, 20), date(2026, 11, 5), date(2026, 12, 1)
    badges = {(cls.__name__, period, as_of): header(cls, period, as_of).badge
              for cls in (ConsumptionReport, DeskFollowupReport, ChatbotsReport)
              for period, as_of in (("2026-11", nov_20), ("2026-10", nov_20),
                                    ("2026-10", nov_5), ("2026-10", dec_1))}
    assert badges == {
        ("ConsumptionReport", "2026-11", nov_20): "Partial consumption",
        ("ConsumptionReport", "2026-10", nov_20): "",
        ("ConsumptionReport", "2026-10", nov_5): "Partial consumption",
        ("ConsumptionReport", "2026-10", dec_1): "",
        ("DeskFollowupReport", "2026-11", nov_20): "Partial data",
        ("DeskFollowupReport", "2026-10", nov_20): "Provisional figures",
        ("DeskFollowupReport", "2026-10", nov_5): "Provisional figures",
        ("DeskFollowupReport", "2026-10", dec_1): "",
        ("ChatbotsReport", "2026-11", nov_20): "Partial data",
        ("ChatbotsReport", "2026-10", nov_20): "",
        ("ChatbotsReport", "2026-10", nov_5): "",
        ("ChatbotsReport", "2026-10", dec_1): ""}
    assert header(DeskFollowupReport, "2026-10", nov_20, "pt-BR").badge == "Números provisórios"
    assert header(DeskFollowupReport, "2026-11", nov_20, "pt-BR").badge == "Dados parciais"
    assert ("This period's figures are partial until they are consolidated on November 9, "
            "2026.") in header(ConsumptionReport, "2026-10", nov_5).lines
    assert header(ConsumptionReport, "2026-11", nov_20, "pt-BR").badge == "Consumo parcial"


def test_an_open_period_says_its_figures_may_change_not_that_they_will():
    november = calendar.parse_period("2026-11")
    window = trust.provisional("final", november, date(2026, 11, 20))
    assert trust.provisional_sentence(window, Formatter("en")) == (
        "Provisional: the period is not over yet; the figures may change until November 30, "
        "2026.")
    assert trust.provisional_sentence(window, Formatter("pt-BR")) == (
        "Provisório: o período ainda não terminou; os números podem mudar até 30 de novembro "
        "de 2026.")


def test_the_index_names_the_consolidation_day_the_consumption_report_names(tmp_path):
    """November seen on 20 Nov: the consumption report says "partial until they are
    consolidated on December 7, 2026"; its index row said "may change until December 6,
    2026" (the day before, the last that may still change)."""
    from reportlib.render import write_index

    folder = tmp_path / "acme" / "2026-11"
    folder.mkdir(parents=True)
    window = trust.provisional("consolidation", calendar.parse_period("2026-11"),
                               date(2026, 11, 20))
    entries = {
        "consumption": {"status": "ok", "provisional_until": window.until.isoformat(),
                        "figures": {"partial": True, "provisional": True}},
        "campaigns": {"status": "ok", "provisional_until": "2026-12-30",
                      "figures": {"partial": True, "provisional": True}}}
    (folder / "manifest.json").write_text(json.dumps({"reports": entries}))
    page = write_index(tmp_path).read_text("utf-8")
    rows = {title: row for row in page.split('<tr class="row">')[1:]
            for title in ("WhatsApp consumption", "Active-message campaigns") if title in row}
    assert "partial until consolidated on December 7, 2026" in rows["WhatsApp consumption"]
    assert "December 6" not in rows["WhatsApp consumption"]
    # and the campaigns row the day its header names ("final on December 31, 2026")
    assert "final on December 31, 2026" in rows["Active-message campaigns"]
    assert "December 30" not in rows["Active-message campaigns"]
