"""Attendance, chatbot and custom-event metrics on hand-made rows, answers worked by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from reportlib import ingest
from reportlib import params as params_mod
from reportlib.domain import calendar
from reportlib.marts import bundle
from reportlib.marts.bundle import Bundle
from reportlib.reports.attendance import AttendanceReport
from reportlib.reports.chatbots import ChatbotsReport
from reportlib.reports.custom_events import CustomEventsReport, friction_step, funnel_table
from tests.conftest import ACME, write

FUNNEL = {"funnels": [{"name": "Compra", "steps": [["menu", "open"], ["menu", "choose"],
                                                   ["pedido", "done"]]}]}
TICKETS = """TicketId,SequentialId,BotId,Team,AgentIdentity,CustomerIdentity,Status,StorageDate,OpenDate,FirstResponseDate,CloseDate,Tags,CampaignId,ParentSequentialId
T1,1,acme-bot,Vendas,ana,+5511999990001,ClosedAttendant,2026-10-05 10:00:00,2026-10-05 10:02:00,2026-10-05 10:05:00,2026-10-05 10:20:00,boleto|duvida,,
T2,2,acme-bot,Vendas,,+5511999990002,ClosedClient,2026-10-05 11:00:00,,,2026-10-05 11:20:00,,,
T3,3,acme-bot,Vendas,ana,+5511999990003,ClosedClient,2026-10-05 12:00:00,2026-10-05 12:05:00,,2026-10-05 12:30:00,,,
T4,4,acme-bot,Suporte,bia,+5511999990004,Transferred,2026-10-06 13:00:00,2026-10-06 13:01:00,2026-10-06 13:21:00,2026-10-06 13:30:00,boleto,,
T5,5,acme-bot,Financeiro,caio,+5511999990004,Open,2026-10-06 13:30:00,2026-10-06 13:31:00,2026-10-06 13:33:00,,,,4
T6,6,acme-bot,DIRECT_TRANSFER,,+5511999990006,Waiting,2026-10-31 23:50:00,,,,,,
T7,7,acme-bot,Vendas,ana,+5511999990007,ClosedAttendant,2026-10-07 14:00:00,2026-10-07 14:01:00,2026-10-07 14:04:00,2026-10-07 14:14:00,,c1,
T8,8,acme-bot,Vendas,ana,+5511999990008,ClosedAttendant,2026-11-02 10:00:00,2026-11-02 10:01:00,2026-11-02 10:02:00,2026-11-02 10:03:00,,,
"""
MESSAGES = """TicketId,MessageId,Direction,SentAt
T1,a,customer,2026-10-05 10:00:00
T1,b,agent,2026-10-05 10:05:00
T1,c,customer,2026-10-05 10:06:00
T1,d,agent,2026-10-05 10:08:00
T1,e,customer,2026-10-05 10:10:00
T1,f,agent,2026-10-05 10:11:00
T4,g,customer,2026-10-06 13:00:00
T4,h,agent,2026-10-06 13:21:00
T4,i,customer,2026-10-06 13:22:00
T4,j,agent,2026-10-06 13:28:00
T7,k,customer,2026-10-07 14:00:00
T7,l,agent,2026-10-07 14:04:00
T7,m,customer,2026-10-07 14:05:00
T7,n,agent,2026-10-07 14:15:00
T7,o,customer,2026-10-07 14:16:00
"""
STATUS = """AgentIdentity,Status,StartedAt,EndedAt
ana,Online,2026-09-30 20:00:00,2026-10-01 02:00:00
ana,Pause,2026-10-31 23:00:00,
bia,Offline,2026-10-15 10:00:00,2026-10-15 11:30:00
bia,Online,2026-10-15 11:00:00,2026-10-15 13:00:00
"""
# Agents' active messages (UTC; São Paulo is UTC-3): a1 to T4's customer an hour before T4
# (T5, the transfer's second ticket, comes from T4, not again from a1); a2 to T1's customer
# two days before T1; a3 to T7's customer, whose ticket came from campaign c1.
AGENT_SENDS = """MessageId,CampaignId,Sender,AgentIdentity,BotId,PhoneNumberId,Recipient,TemplateName,Category,AcceptedAt
a1,,agent,ana,acme-bot,1001,+5511999990004,t,utility,2026-10-06T15:00:00Z
a2,,agent,bia,acme-bot,1001,+5511999990001,t,utility,2026-10-03T13:00:00Z
a3,,agent,bia,acme-bot,1001,+5511999990007,t,utility,2026-10-07T16:00:00Z
"""
BOT = """MessageId,BotId,RouterId,UserIdentity,Direction,Channel,StorageDate
m1,bot-a,router,+5511999990001,received,whatsapp,2026-09-30 23:30:00
m2,bot-a,router,+5511999990001,sent,whatsapp,2026-10-01 00:10:00
m3,bot-b,router,+5511999990001,received,instagram,2026-10-05 09:00:00
m4,bot-b,router,+5511999990002,received,whatsapp,2026-10-10 09:00:00
m5,bot-b,router,+5511999990002,sent,whatsapp,2026-10-10 09:00:05
"""
EVENTS = """BotId,ContactIdentity,Category,Action,StorageDate
acme-bot,u1,menu,open,2026-10-05 10:00:00
acme-bot,u1,menu,open,2026-10-05 10:00:30
acme-bot,u1,menu,choose,2026-10-05 10:01:00
acme-bot,u1,pedido,done,2026-10-05 10:02:00
acme-bot,u2,menu,open,2026-10-05 11:00:00
acme-bot,u2,pedido,done,2026-10-05 11:05:00
acme-bot,u3,menu,open,2026-10-06 10:00:00
acme-bot,u3,menu,choose,2026-10-06 10:01:00
acme-bot,u4,menu,choose,2026-10-06 12:00:00
acme-bot,u4,menu,open,2026-10-06 12:05:00
acme-bot,u5,menu,open,2026-10-07 09:00:00
acme-bot,u5,menu,choose,2026-10-07 09:01:00
"""


@pytest.fixture
def desk_bundle(tmp_path, params_dir):
    tenant = replace(ACME, bots=("acme-bot", "bot-a", "bot-b"), options=FUNNEL)
    params_mod.dump_tenant(params_dir, tenant)
    base = tmp_path / "sources" / "acme"
    for kind, text in (("tickets", TICKETS), ("ticket_messages", MESSAGES),
                       ("agent_status", STATUS), ("bot_messages", BOT), ("event_tracks", EVENTS),
                       ("notifications", AGENT_SENDS)):
        write(base / kind / f"{kind}.csv", text)
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    assert not [r for r in results if r.failed or r.rows_rejected], [r.line() for r in results]
    out = tmp_path / "bundle.duckdb"
    bundle.build(tmp_path / "wh.duckdb", params_mod.load_tenant(params_dir, "acme"),
                 calendar.parse_period("2026-10"), date(2026, 11, 20), out,
                 ("attendance", "chatbots", "custom_events", "desk_followup"))
    return Bundle.open(out)


def test_attendance_counts_and_times(desk_bundle):
    f = AttendanceReport(desk_bundle, "en").figures()
    # T1..T7 created in October (T8 is November's): T2 missed, T3 abandoned, T1/T4/T7
    # handled (a transfer counts), T5 (child of the transfer) and T6 still open.
    assert (f["opened"], f["missed"], f["abandoned"], f["handled"], f["closed"],
            f["still_open"]) == (7, 1, 1, 3, 5, 2)
    # Waiting (TME) of answered tickets: T1 5, T4 21, T5 3, T7 4 minutes; SLA 15 min: 3 of 4.
    assert (f["answered"], f["within_sla"], f["sla_attainment"]) == (4, 3, 0.75)
    # Beside the share: T2, missed, waited 11:00 -> 11:20, past the 15 min target.
    assert f["missed_past_target"] == 1
    assert f["waiting.median_minutes"] == 4.5
    assert f["waiting.p90_minutes"] == pytest.approx(16.2)  # 5 + 0.7 * (21 - 5)
    assert f["waiting.mean_minutes"] == 8.25
    # Queue: T1 2, T3 5, T4 1, T5 1, T7 1; first response: T1 3, T4 20, T5 2, T7 3.
    assert f["queue.median_minutes"] == 1 and f["queue.mean_minutes"] == 2
    assert f["first_response.median_minutes"] == 3
    # Handling (TMA) = close - first response: T1 15, T4 9, T7 10 (T5 not closed).
    assert f["handling.median_minutes"] == 10
    assert f["handling.mean_minutes"] == pytest.approx(11.33, abs=0.01)
    # From assignment: T1 18, T3 25, T4 29, T7 13.
    assert f["handling_from_open.median_minutes"] == 21.5
    # Response time per customer message after the first reply: T1 10:06 -> 10:08 (2) and
    # 10:10 -> 10:11 (1); T4 13:22 -> 13:28 (6); T7 14:05 -> 14:15 (10), 14:16 never answered.
    # Over the 4 messages [1, 2, 6, 10]: median 4, mean 4.75, p90 6 + 0.7 * 4 = 8.8.
    assert (f["response.median_minutes"], f["response.mean_minutes"]) == (4.0, 4.75)
    assert f["response.p90_minutes"] == pytest.approx(8.8)
    # The per-ticket average, a second labelled figure: T1 1.5, T4 6, T7 10.
    assert f["response_per_ticket.median_minutes"] == 6.0
    assert f["response_per_ticket.mean_minutes"] == pytest.approx(5.83, abs=0.01)
    assert (f["tickets_from.campaign"], f["tickets_from.agent"],
            f["tickets_from.other"]) == (1, 1, 5)


def test_attendance_groups_and_agent_status(desk_bundle):
    report = AttendanceReport(desk_bundle, "en")
    teams = report._counts("team")
    assert teams.loc["Vendas", "opened"] == 4 and teams.loc["DIRECT_TRANSFER", "opened"] == 1
    tags = report._counts("tag")
    assert tags.loc["boleto", "opened"] == 2 and tags.loc["duvida", "opened"] == 1
    hours = {(r.agent_identity, r.status): round(r.hours, 3)
             for r in report.status_df.itertuples()}
    # Online 30 Sep 20:00 -> 1 Oct 02:00 counts its 2 h in October; the pause open since
    # 31 Oct 23:00 counts until the period ends (1 h); bia is offline 10:00 -> 11:30 but
    # online from 11:00, which ends the offline: 1 h offline, 2 h online. The rest of the 744 h
    # of October (31 days) has no status recorded: ana 741 h, bia 741 h.
    assert hours == {("ana", "Online"): 2.0, ("ana", "Pause"): 1.0, ("ana", "none"): 741.0,
                     ("bia", "Offline"): 1.0, ("bia", "Online"): 2.0, ("bia", "none"): 741.0}
    assert report.status_period_hours() == 744.0
    html = report.agent_status()._repr_html_()
    assert "No status recorded" in html and "744.0" in html
    html = report.active_messages()._repr_html_()
    assert "c1" in html


def test_tickets_from_agents_active_messages_count_the_same_in_both_reports(desk_bundle):
    from reportlib.reports.desk_followup import DeskFollowupReport

    # a1 -> T4 (an hour later, no campaign): one ticket; T5, the transfer's second ticket of
    # the same customer within the 24 h, is not counted again; a2 came 48 h before T1; T7
    # has a CampaignId. Before, attendance said 2 (T4 and T5) and the desk 0 (no reply record).
    attendance = AttendanceReport(desk_bundle, "en")
    desk = DeskFollowupReport(desk_bundle, "en")
    agent_tickets = attendance.tickets_df[attendance.tickets_df["source"] == "agent"]
    assert agent_tickets["ticket_id"].tolist() == ["T4"]
    assert attendance.figures()["tickets_from.agent"] == desk.figures()["tickets"] == 1
    messages = desk.messages_df.set_index("message_id")
    assert messages["ticket_opened"].to_dict() == {"a1": True, "a2": False, "a3": False}
    assert messages.loc["a1", "ticket_id"] == "T4"


def test_mau_meu_msgs_across_a_month_boundary_and_two_channels(desk_bundle):
    report = ChatbotsReport(desk_bundle, "en")
    f = report.figures()
    # October (São Paulo days): u1 on WhatsApp only receives (bot sent at 00:10 on 1 Oct),
    # u1 on Instagram writes, u2 writes and gets an answer: MAU 3, MEU 2, MSGs 4.
    assert (f["month"], f["mau"], f["meu"], f["msgs"]) == ("2026-10", 3, 2, 4)
    # A closed month compares with the whole month before, but the bot messages start on
    # 30 Sep (u1 wrote at 23:30, 02:30 UTC on 1 Oct): September is not covered, so the change
    # is not available (it was "+200 %", one day against a month), never a number.
    assert (f["span"], f["previous_span"]) == ("2026-10-01..2026-10-31",
                                               "2026-09-01..2026-09-30")
    assert f["previous_available"] is False and f["mau_change"] is None
    assert f["year_available"] is False and f["mau_change_year"] is None
    assert "September 1, 2026 – September 30, 2026): change not available" in " ".join(
        report.monthly().prose)
    assert (f["bot.bot-a.2026-10.mau"], f["bot.bot-a.2026-10.meu"]) == (1, 0)
    assert (f["bot.bot-b.2026-10.mau"], f["bot.bot-b.2026-10.meu"]) == (2, 2)
    assert f["router.router.2026-10.msgs"] == 4


# Bot messages for a like-for-like month: u9 marks the warehouse's first day (20 Oct 2025).
LIKE_FOR_LIKE_BOT = """MessageId,BotId,RouterId,UserIdentity,Direction,Channel,StorageDate
y0,bot-a,,u9,received,whatsapp,2025-10-20 10:00:00
y1,bot-a,,u1,received,whatsapp,2025-11-03 10:00:00
y2,bot-a,,u2,sent,whatsapp,2025-11-04 10:00:00
s1,bot-a,,u1,received,whatsapp,2026-09-15 10:00:00
o1,bot-a,,u1,received,whatsapp,2026-10-02 10:00:00
o2,bot-a,,u1,sent,whatsapp,2026-10-02 10:00:05
o3,bot-a,,u2,received,whatsapp,2026-10-10 10:00:00
o4,bot-a,,u3,sent,whatsapp,2026-10-18 10:00:00
o5,bot-a,,u4,received,whatsapp,2026-10-25 10:00:00
o6,bot-a,,u5,received,whatsapp,2026-10-25 10:00:00
o7,bot-a,,u6,received,whatsapp,2026-10-25 10:00:00
o8,bot-a,,u7,received,whatsapp,2026-10-25 10:00:00
n1,bot-a,,u1,received,whatsapp,2026-11-01 10:00:00
n2,bot-a,,u2,received,whatsapp,2026-11-05 10:00:00
n3,bot-a,,u4,sent,whatsapp,2026-11-12 10:00:00
n4,bot-a,,u5,received,whatsapp,2026-11-19 23:00:00
n5,bot-a,,u6,received,whatsapp,2026-11-20 09:00:00
"""


@pytest.fixture
def like_for_like(tmp_path, params_dir):
    tenant = replace(ACME, bots=("bot-a",))
    params_mod.dump_tenant(params_dir, tenant)
    write(tmp_path / "sources" / "acme" / "bot_messages" / "b.csv", LIKE_FOR_LIKE_BOT)
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    assert not [r for r in results if r.failed or r.rows_rejected], [r.line() for r in results]

    def build(period: str) -> Bundle:
        out = tmp_path / f"{period}.duckdb"
        bundle.build(tmp_path / "wh.duckdb", params_mod.load_tenant(params_dir, "acme"),
                     calendar.parse_period(period), date(2026, 11, 20), out, ("chatbots",))
        return Bundle.open(out)
    return build


def test_open_month_compares_the_same_days_of_the_month_before_and_a_year_before(
        like_for_like):
    report = ChatbotsReport(like_for_like("2026-11"), "en")
    f = report.figures()
    # As of 20 Nov, November's observed days are 1-19: u1, u2, u5 write, the bot writes to
    # u4 (n5 on the 20th is not complete yet): MAU 4, MEU 3, MSGs 4.
    assert (f["mau"], f["meu"], f["msgs"]) == (4, 3, 4)
    assert f["span"] == "2026-11-01..2026-11-19"
    # Oct 1-19: u1 (writes and is answered), u2 writes, the bot writes to u3: MAU 3, MEU 2,
    # MSGs 4 -> MAU +33.3 %, MEU +50 %, MSGs 0 %. (Against the whole October, MAU 7, it
    # would read -42.9 %.)
    assert f["previous_span"] == "2026-10-01..2026-10-19"
    assert (f["mau_change"], f["meu_change"], f["msgs_change"]) == (0.3333, 0.5, 0.0)
    # Nov 1-19 2025 (the warehouse starts on 20 Oct 2025): u1 writes, the bot writes to u2:
    # MAU 2, MEU 1, MSGs 2 -> +100 %, +200 %, +100 %.
    assert f["year_span"] == "2025-11-01..2025-11-19"
    assert (f["mau_change_year"], f["meu_change_year"], f["msgs_change_year"]) == (1.0, 2.0,
                                                                                  1.0)
    prose = report.monthly().prose
    assert prose[0].endswith("(to November 19, 2026).")
    assert prose[1] == ("Against the same days of the month before (November 1, 2026 – "
                        "November 19, 2026 vs October 1, 2026 – October 19, 2026): MAU +33.3%, "
                        "MEU +50.0%, "
                        "MSGs 0.0%.")
    assert prose[2].startswith("Against the same days a year before (November 1, 2026 – "
                               "November 19, 2026 vs November 1, 2025 – November 19, 2025): "
                               "MAU +100.0%")
    pt = ChatbotsReport(like_for_like("2026-11"), "pt-BR").monthly().prose[1]
    assert "1 de outubro de 2026 – 19 de outubro de 2026" in pt


def test_closed_month_compares_with_the_whole_month_before(like_for_like):
    report = ChatbotsReport(like_for_like("2026-10"), "en")
    f = report.figures()
    # October whole: u1, u2, u3, u4..u7: MAU 7. September whole: u1: MAU 1 -> +600 %.
    assert (f["mau"], f["span"], f["previous_span"]) == (7, "2026-10-01..2026-10-31",
                                                        "2026-09-01..2026-09-30")
    assert f["mau_change"] == 6.0
    # October 2025 is only covered from the 20th: not available, never 0 %.
    assert f["year_span"] == "2025-10-01..2025-10-31"
    assert f["year_available"] is False and f["mau_change_year"] is None
    section = report.monthly()
    assert "Against the whole month before (October 1, 2026 – October 31, 2026 vs " \
           "September 1, 2026 – September 30, 2026): MAU +600.0%" in section.prose[1]
    assert "a year before (October 1, 2025 – October 31, 2025): change not available" in \
           section.prose[2]
    assert "n/a" in section._repr_html_()


def test_funnel_with_repeats_and_a_skipped_step(desk_bundle):
    report = CustomEventsReport(desk_bundle, "en")
    f = report.figures()
    # Step users: open 5 (u1..u5); choose after open 3 (u1, u3, u5; u4 chose before opening);
    # done after choose 1 (u1; u2 skipped choose). Events count every event: open 6 (u1 twice).
    assert [f[f"funnel.Compra.step{k}.users"] for k in (1, 2, 3)] == [5, 3, 1]
    assert [f[f"funnel.Compra.step{k}.events"] for k in (1, 2, 3)] == [6, 4, 2]
    table = funnel_table(report.funnels_df)
    assert table["conversion"].tolist() == [1.0, 0.6, 0.2]
    assert table["drop_off"].tolist()[1:] == [pytest.approx(0.4), pytest.approx(2 / 3)]
    assert int(friction_step(table)["step"]) == 3 and f["funnel.Compra.friction_step"] == 3
    assert (f["events"], f["users"]) == (12, 5)
    prose = " ".join(report.funnels().prose)
    assert "step 3 (pedido/done)" in prose


@pytest.mark.slow
def test_the_three_notebooks_run_under_papermill(tmp_path, desk_bundle):
    from reportlib.render import Job, notebook_path, render

    for report in ("attendance", "chatbots", "custom_events"):
        job = Job("acme", "2026-10", report, "2026-11-20", "pt-BR", str(desk_bundle.path), "h",
                  str(notebook_path(report)), str(tmp_path / "out"), "Acme")
        output = render(job)
        assert output.result.status == "ok", output.result.error
        assert output.files[f"{report}.pdf"].startswith(b"%PDF")
    assert output.result.figures["funnel.Compra.friction_step"] == 3


def test_open_period_daily_rows_stop_before_as_of(tmp_path, desk_bundle, params_dir):
    out = tmp_path / "open.duckdb"
    bundle.build(tmp_path / "wh.duckdb", params_mod.load_tenant(params_dir, "acme"),
                 calendar.parse_period("2026-10"), date(2026, 10, 6), out, ("chatbots",))
    report = ChatbotsReport(Bundle.open(out), "en")
    assert len(report.daily_df) == 31  # the mart keeps every day of the period
    observed = report.observed(report.daily_df)
    assert [d.day for d in observed["day"]] == [1, 2, 3, 4, 5]  # the chart stops at as-of


def test_tickets_without_an_agent_are_named_in_the_readers_language(desk_bundle):
    # T2 (missed) and T6 (waiting) were never assigned to an agent: one group of 2 tickets,
    # named in words, never a dash.
    en = AttendanceReport(desk_bundle, "en")
    assert en._counts("agent").loc["–", "opened"] == 2
    assert en._group_label("agent", "–") == "(no agent)"
    assert "(no agent)" in en.by_agent()._repr_html_()
    pt = AttendanceReport(desk_bundle, "pt-BR")
    assert "(sem agente)" in pt.by_agent()._repr_html_()
    assert pt._group_label("team", None) == "(sem fila)"
