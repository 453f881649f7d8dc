"""reportlib/reports/chatbots: MAU, MEU and messages, and like-for-like comparisons, on
hand-made rows, answers worked by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from reportlib import ingest
from reportlib import params as params_mod
from reportlib.domain import calendar
from reportlib.marts import bundle
from reportlib.marts.bundle import Bundle
from reportlib.reports.chatbots import ChatbotsReport
from tests.conftest import ACME, acme_bundle, write
from tests.reports.help_desk_data import table_cells


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
    assert "September 1–30, 2026): change not available" in " ".join(
        report.monthly().prose)
    assert (f["bot.bot-a.2026-10.mau"], f["bot.bot-a.2026-10.meu"]) == (1, 0)
    assert (f["bot.bot-b.2026-10.mau"], f["bot.bot-b.2026-10.meu"]) == (2, 2)
    assert f["router.router.2026-10.msgs"] == 4



def test_the_table_names_bots_and_routers_as_the_tenant_names_them(named_desk_bundle):
    # The table named bots by their platform ids ("varejo-router", "aurora-atendimento"):
    # a publication shows the names of params `bots:` (matched whatever the case: the params
    # say BOT-A, the data bot-a); a bot without one, bot-b, is shown as written.
    for locale in ("pt-BR", "en"):
        rows = table_cells(ChatbotsReport(named_desk_bundle, locale).monthly().body)
        assert [row[1] for row in rows] == ["–", "Triagem", "Atendimento", "bot-b"], rows
    # The figures (the manifest's keys) keep the ids: names are for readers.
    f = ChatbotsReport(named_desk_bundle, "pt-BR").figures()
    assert (f["bot.bot-a.2026-10.mau"], f["router.router.2026-10.msgs"]) == (1, 4)

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
    # It read "(to November 19, 2026)": an end in English is "through".
    assert prose[0].endswith("(through November 19, 2026).")
    # MSGs, in the changes, is defined beside MAU and MEU.
    assert prose[3].endswith("; MSGs: messages sent and received.")
    # The column "Compared" breaks a line only between the spans, never inside a day
    # ("Oct 1–Oct" / "31 vs Sep" / "1–Sep 30" before).
    html = report.monthly()._repr_html_()
    assert ('<span class="token">Nov\u00a01–Nov\u00a019</span> vs '
            '<span class="token">Oct\u00a01–Oct\u00a019</span>') in html
    assert prose[1] == ("Against the same days of the month before (November 1–19, 2026 vs "
                        "October 1–19, 2026): MAU +33.3%, MEU +50.0%, MSGs 0.0%.")
    assert prose[2].startswith("Against the same days a year before (November 1–19, 2026 vs "
                               "November 1–19, 2025): MAU +100.0%")
    pt = ChatbotsReport(like_for_like("2026-11"), "pt-BR").monthly().prose
    # Not "Contra os mesmos dias do mês anterior (… vs …)", English's "against" word for word.
    assert pt[1] == ("Em comparação com os mesmos dias do mês anterior (1º a 19 de novembro de "
                     "2026 contra 1º a 19 de outubro de 2026): MAU +33,3%, MEU +50,0%, "
                     "MSGs 0,0%.")
    # An open month's table note keeps "the same days of the month before".
    assert "with the same days of the month before" in report.monthly().prose[-1]



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
    assert "Against the whole month before (October 1–31, 2026 vs " \
           "September 1–30, 2026): MAU +600.0%" in section.prose[1]
    assert "a year before (October 1–31, 2025): change not available" in \
           section.prose[2]
    # The year column's cell says it in words, as every missing value does (it read "n/a").
    assert "not available" in section._repr_html_() and "n/a" not in section._repr_html_()
    # The note on the table says what the prose says: the whole month before (it said "the
    # same days of the month before", of October's 31 days against September's 30).
    assert "Each change compares the month with the whole month before" in section.prose[-1]
    assert "same days of the month before" not in " ".join(section.prose)
    pt = ChatbotsReport(like_for_like("2026-10"), "pt-BR").monthly().prose
    assert "compara o mês com o mês anterior inteiro" in pt[-1]
    assert "mesmos dias do mês anterior" not in " ".join(pt)



def test_a_month_between_two_exports_is_not_available_never_zero(like_for_like):
    report = ChatbotsReport(like_for_like("2026-09"), "en")
    f = report.figures()
    # September 2026: u1 writes (MAU 1). The bot messages start on 20 Oct 2025, before August
    # 2026, but none falls in August: a gap in the data received, not a quiet month, so the
    # change is not available (it was "available" against 0, shown as "–").
    assert (f["mau"], f["previous_span"]) == (1, "2026-08-01..2026-08-31")
    assert f["previous_available"] is False and f["mau_change"] is None
    assert f["year_available"] is False and f["mau_change_year"] is None
    prose = report.monthly().prose
    assert prose[1] == ("Against the whole month before (August 1–31, 2026): "
                        "change not available, the data received does not cover that whole "
                        "range.")
    df = report.monthly_df
    assert df["previous_mau"].isna().all() and df["year_mau"].isna().all()



def test_chatbot_prose_and_labels_read_as_written(like_for_like, monkeypatch):
    # pt-BR said "O bot enviou" of every bot together (English: "The bots sent"), and then
    # "Os bots enviaram" of a tenant's one bot; the year
    # column read "change on a year"; the note named the month-before column only; the daily
    # chart's axis said "messages" of a chart that also draws users.
    from reportlib.reports import chatbots

    units = []
    draw = chatbots.charts.daily_lines
    monkeypatch.setattr(chatbots.charts, "daily_lines",
                        lambda *a, **k: units.append(a[5]) or draw(*a, **k))
    pt = ChatbotsReport(like_for_like("2026-10"), "pt-BR")
    assert pt.daily().prose[1].startswith("O bot enviou ")  # acme has one bot, bot-a
    two = pt.monthly_df[pt.monthly_df["level"] == "bot"].assign(name="bot-b")
    pt.monthly_df = pd.concat([pt.monthly_df, two], ignore_index=True)
    assert pt.daily().prose[1].startswith("Os bots enviaram ")
    assert units[0] == "usuários e mensagens"
    monthly = pt.monthly()
    assert "a última coluna, com os mesmos dias um ano antes" in monthly.prose[-1]
    assert "(coluna “Comparado”)" in monthly.prose[-1]
    assert "MAU, variação em um ano" in monthly.body and "não disponível" in monthly.body
    en = ChatbotsReport(like_for_like("2026-10"), "en").monthly()
    assert "MAU, year-on-year change" in en.body and "change on a year" not in en.body


def test_the_daily_mean_of_active_users_is_over_the_days_drawn(desk_bundle):
    # October (closed, as of 20 Nov): 31 days drawn. Active users per day: Oct 1 one
    # (+5511999990001 on WhatsApp), Oct 5 one (the same number on Instagram), Oct 10 one
    # (+5511999990002); every other day 0. Mean 3 / 31 = 0.097 -> 0.1 (not 1, the mean of
    # the three days with users only). Peak: Oct 1 with 1 (the first of the three).
    prose = ChatbotsReport(desk_bundle, "en").daily().prose[0]
    assert prose == "On average 0.1 active users a day; peak on October 1, 2026 (1).", prose


def test_an_open_month_on_its_first_day_has_no_mau_yet_not_zero(tmp_path, params_dir):
    # November as of Sun 1: two bot messages on 1 Nov (the as-of day, not complete). MAU is
    # measured over the month's complete days, of which there is none yet: not available
    # (None), where it was 0 MAU and "No bot message in the period".
    report_bundle = acme_bundle(tmp_path, params_dir, {"bot_messages/b.csv": (
          "MessageId,BotId,RouterId,UserIdentity,Direction,Channel,StorageDate\n"
          "m1,acme-bot,,+5511999990001,received,whatsapp,2026-11-01 09:00:00\n"
          "m2,acme-bot,,+5511999990001,sent,whatsapp,2026-11-01 09:00:05\n")},
                                "2026-11", date(2026, 11, 1), ("chatbots",))
    report = ChatbotsReport(report_bundle, "en")
    f = report.figures()
    assert (f["mau"], f["meu"], f["msgs"]) == (None, None, None)
    assert report.monthly().prose == ["No day of the period is complete yet."]
    assert report.daily().prose == ["No day of the period is complete yet."]


def _bot_messages(per_day: int, days: list) -> str:
    """`per_day` messages a day on these days (a day of October 2026, or a date) at noon,
    São Paulo."""
    days = [d if isinstance(d, date) else date(2026, 10, d) for d in days]
    rows = [f"m{d}-{i},acme-bot,,+55119999{i:05d},received,whatsapp,{d} 12:00:00"
            for d in days for i in range(per_day)]
    return "MessageId,BotId,RouterId,UserIdentity,Direction,Channel,StorageDate\n" + \
        "\n".join(rows) + "\n"


def test_days_without_a_record_of_a_daily_source_are_named_under_the_title(tmp_path,
                                                                           params_dir):
    """docs/metrics.md, "Coverage": seen on 21 Oct, the days that should be complete are
    1-20 Oct. Bot messages on 1-4, 8-9 and 12-16 Oct, 20 a day: the runs of 3 days or more
    without a record are 5-7 and 17-20 Oct (10-11 Oct, 2 days, is not one)."""
    days = [1, 2, 3, 4, 8, 9, 12, 13, 14, 15, 16]
    report = ChatbotsReport(acme_bundle(tmp_path, params_dir, {
        "bot_messages/b.csv": _bot_messages(20, days)}, "2026-10", date(2026, 10, 21),
        ("chatbots",)), "en")
    (coverage,) = report.coverage()
    assert coverage["rows"] == 220 and coverage["days_with_data"] == 11
    assert coverage["missing_days"] == [["2026-10-05", "2026-10-07"],
                                        ["2026-10-17", "2026-10-20"]]
    (line,) = report.coverage_lines()
    assert line.endswith("(10/1/2026 to 10/16/2026). No records from 10/5/2026 to 10/7/2026 "
                         "and from 10/17/2026 to 10/20/2026."), line
    assert ChatbotsReport(report.bundle, "pt-BR").coverage_lines()[0].endswith(
        "Nenhum registro de 05/10/2026 a 07/10/2026 e de 17/10/2026 a 20/10/2026.")
    assert report.published_figures()["coverage"][0]["missing_days"] == \
        coverage["missing_days"]
    # A chart that stands on two sources misses only the days neither has (statuses come from
    # the webhooks and the notifications alike); a kind not judged (None) says nothing.
    # A source with records that is not judged (too few a day) may have any day: none missing.
    report._coverage = [
        {"kind": "notifications", "rows": 900, "missing_days": [["2026-10-03", "2026-10-08"]]},
        {"kind": "whatsapp_webhooks", "rows": 900,
         "missing_days": [["2026-10-06", "2026-10-12"], ["2026-10-15", "2026-10-17"]]},
        {"kind": "campaigns", "rows": 0, "missing_days": None},
        {"kind": "tickets", "rows": 40, "missing_days": None}]
    both = ("notifications", "whatsapp_webhooks", "campaigns")
    assert report.missing_chart_days(both) == [(date(2026, 10, 6), date(2026, 10, 8))]
    assert report.missing_chart_days(("whatsapp_webhooks",)) == [
        (date(2026, 10, 6), date(2026, 10, 12)), (date(2026, 10, 15), date(2026, 10, 17))]
    assert report.missing_chart_days(("campaigns",)) == []
    assert report.missing_chart_days(("whatsapp_webhooks", "tickets")) == []
    report._coverage = None
    # The daily mean leaves the 7 missing days out (not available, not 0): 20 users on each of
    # the 11 days with records, 0 on 10-11 Oct: 220 / 13 = 16.9 (220 / 20 = 11.0 with them).
    assert "On average 16.9 active users a day" in report.daily().prose[0]


def test_a_source_with_few_records_a_day_has_no_missing_days(tmp_path, params_dir):
    """Under 20 records on its median day, a day without any is no sign of a missing file:
    nothing is said (the same days as above, 19 a day)."""
    days = [1, 2, 3, 4, 8, 9, 12, 13, 14, 15, 16]
    report = ChatbotsReport(acme_bundle(tmp_path, params_dir, {
        "bot_messages/b.csv": _bot_messages(19, days)}, "2026-10", date(2026, 10, 21),
        ("chatbots",)), "en")
    assert report.coverage()[0]["missing_days"] is None
    assert report.coverage_lines() == []


def _missing_days(tmp_path, params_dir, days: list) -> list | None:
    report = ChatbotsReport(acme_bundle(tmp_path, params_dir, {
        "bot_messages/b.csv": _bot_messages(30, days)}, "2026-10", date(2026, 11, 1),
        ("chatbots",)), "en")
    return report.coverage()[0]["missing_days"]


def test_a_source_of_weekdays_only_expects_no_weekend_and_a_lone_holiday_is_no_run(
        tmp_path, params_dir):
    """A desk's records Monday to Friday (1 Oct 2026 is a Thursday): no Saturday or Sunday is
    expected (no other one has a record), the holiday of Monday 12 Oct is a run of one; the
    expected days 19-23 and 26 Oct without a record are one run of six, named from its first
    day to its last."""
    october = [date(2026, 10, d) for d in range(1, 32)]
    days = [d for d in october if d.isoweekday() <= 5
            and d.day not in (12, 19, 20, 21, 22, 23, 26)]
    assert _missing_days(tmp_path, params_dir, days) == [["2026-10-19", "2026-10-26"]]


@pytest.mark.parametrize(("week_before", "expected"), [
    ([], []),  # a source that begins on 10 Oct: nothing missing before it
    ([date(2026, 9, 28)], [["2026-10-01", "2026-10-09"]]),  # it had records: 1-9 Oct missing
])
def test_a_source_that_begins_in_the_period_misses_nothing_before_it(tmp_path, params_dir,
                                                                     week_before, expected):
    assert _missing_days(tmp_path, params_dir, [*week_before, *range(10, 32)]) == expected


def test_days_before_a_source_begins_are_not_available_not_zeros(tmp_path, params_dir):
    """docs/metrics.md, "Coverage", `begins`: October as of 1 Nov. The tenant's bot messages
    begin on 10 Oct: two users a day on 10-31 Oct but 20 Oct (a quiet day once the bots
    run), 42 daily users on 21 days. 1-9 Oct are not available, not 0: the mean is over the
    22 days from 10 Oct, 42 / 22 = 1.909 -> 1.9 (over 31 days it read 42 / 31 = 1.4, pulled
    down by nine days before the export had any record). Too few a day for missing days
    (None): the beginning is what names them."""
    days = [d for d in range(10, 32) if d != 20]
    report = ChatbotsReport(acme_bundle(tmp_path, params_dir, {
        "bot_messages/b.csv": _bot_messages(2, days)}, "2026-10", date(2026, 11, 1),
        ("chatbots",)), "en")
    assert report.daily().prose[0].startswith("On average 1.9 active users a day"), \
        report.daily().prose
    (coverage,) = report.coverage()
    assert (coverage["begins"], coverage["missing_days"]) == ("2026-10-10", None)
    assert report.missing_chart_days(("bot_messages",)) == [(date(2026, 10, 1),
                                                            date(2026, 10, 9))]
    assert report.coverage_lines() == [
        "Bot messages: 42 records on 21 days (10/10/2026 to 10/31/2026). The records begin on "
        "10/10/2026: the days before are not available."]
    assert ChatbotsReport(report.bundle, "pt-BR").coverage_lines()[0].endswith(
        " Os registros começam em 10/10/2026: os dias anteriores não estão disponíveis.")
    assert report.published_figures()["coverage"][0]["begins"] == "2026-10-10"


def test_a_source_with_a_record_before_the_period_has_begun(tmp_path, params_dir):
    """The same bot messages with one more on 15 Sep (three weeks before the period, outside
    the week coverage looks at for runs): the source had begun, 1-9 Oct are quiet days of 0
    users, the mean is over all 31 days: 42 / 31 = 1.35 -> 1.4, and nothing is said."""
    days = [date(2026, 9, 15), *(date(2026, 10, d) for d in range(10, 32) if d != 20)]
    rows = _bot_messages(2, days).splitlines()
    report = ChatbotsReport(acme_bundle(tmp_path, params_dir, {
        "bot_messages/b.csv": "\n".join(rows[:2] + rows[3:]) + "\n"}, "2026-10",
        date(2026, 11, 1), ("chatbots",)), "en")
    assert report.coverage()[0]["begins"] is None
    assert report.missing_chart_days(("bot_messages",)) == []
    assert report.daily().prose[0].startswith("On average 1.4 active users a day"), \
        report.daily().prose
    assert report.coverage_lines() == []


def test_a_run_across_the_end_of_a_month_is_named_in_both_months(tmp_path, params_dir):
    """An outage from Friday 30 Oct to Sunday 1 Nov 2026 (records every day of the week
    before and after, 30 a day, seen on 10 Nov): a run of 3 expected days, named by its days
    in each month: 30-31 Oct in October's report, 1 Nov alone in November's. Each month alone
    holds 2 days and 1 day of it, under the 3 of a run: before, neither month named it."""
    days = [date(2026, 10, d) for d in range(1, 30)] + [date(2026, 11, d) for d in range(2, 10)]
    files = {"bot_messages/b.csv": _bot_messages(30, days)}
    october = ChatbotsReport(acme_bundle(tmp_path / "october", params_dir, files, "2026-10",
                                         date(2026, 11, 10), ("chatbots",)), "en")
    assert october.coverage()[0]["missing_days"] == [["2026-10-30", "2026-10-31"]]
    november = ChatbotsReport(acme_bundle(tmp_path / "november", params_dir, files, "2026-11",
                                          date(2026, 11, 10), ("chatbots",)), "en")
    assert november.coverage()[0]["missing_days"] == [["2026-11-01", "2026-11-01"]]
    assert november.coverage_lines()[0].endswith(" No records on 11/1/2026."), \
        november.coverage_lines()
    assert ChatbotsReport(november.bundle, "pt-BR").coverage_lines()[0].endswith(
        " Nenhum registro em 01/11/2026.")
    # Two days without records at the end of October and records again from 1 Nov: no run.
    days = [date(2026, 10, d) for d in range(1, 30)] + [date(2026, 11, d) for d in range(1, 10)]
    files = {"bot_messages/b.csv": _bot_messages(30, days)}
    assert ChatbotsReport(acme_bundle(tmp_path / "short", params_dir, files, "2026-10",
                                      date(2026, 11, 10), ("chatbots",)), "en"
                          ).coverage()[0]["missing_days"] == []


def test_a_source_with_records_on_one_day_says_one_day_and_one_record(tmp_path, params_dir):
    """The coverage line of a source with records on one day names that day, in the singular
    where a count is 1: it read "1 records on 1 days (10/5/2026 to 10/5/2026)"."""
    rows = _bot_messages(1, [5]) + "m-bad,acme-bot,,+5511999900001,received,whatsapp," \
        "not a date\n"
    report = ChatbotsReport(acme_bundle(tmp_path, params_dir, {"bot_messages/b.csv": rows},
                                        "2026-10", date(2026, 11, 1), ("chatbots",)), "en")
    # The tenant's first bot message: the days before it are not available (`begins`).
    assert report.coverage_lines() == [
        "Bot messages: 1 record, on 10/5/2026. The records begin on 10/5/2026: the days "
        "before are not available. 1 row rejected at import."]
    assert ChatbotsReport(report.bundle, "pt-BR").coverage_lines() == [
        "Mensagens dos bots: 1 registro, em 05/10/2026. Os registros começam em 05/10/2026: "
        "os dias anteriores não estão disponíveis. 1 linha rejeitada na importação."]


def test_mau_meu_and_msgs_in_a_zone_whose_summer_time_ends(tmp_path, params_dir):
    """A tenant in New York: summer time ends on Sun 1 Nov 2026 (01:59 EDT, then 01:00 EST).
    - u1 writes at 23:30 EDT on Sat 31 Oct (03:30 UTC on 1 Nov) and the bot answers at 23:59
      EDT: October's, both.
    - the bot writes to u3 at 00:30 EDT on 1 Nov; u2 writes at 01:30 EDT and again at 01:30
      EST, an hour later (the night's second 01:30): November's, all three.
    October: MAU 1 (u1), MEU 1, MSGs 2. November: MAU 2 (u2 and u3), MEU 1 (u2: u3 only
    received), MSGs 3; its 1 Nov has 2 active users. November against the whole of October:
    the bot messages start on 31 Oct, after October's first day, so the change is not
    available (never a change against one day of data)."""
    new_york = replace(ACME, timezone="America/New_York")
    files = {"bot_messages/b.csv": (
        "MessageId,BotId,RouterId,UserIdentity,Direction,Channel,StorageDate\n"
        "m1,bot-a,,+15550000001,received,whatsapp,2026-10-31T23:30:00-04:00\n"
        "m2,bot-a,,+15550000001,sent,whatsapp,2026-10-31T23:59:00-04:00\n"
        "m3,bot-a,,+15550000003,sent,whatsapp,2026-11-01T00:30:00-04:00\n"
        "m4,bot-a,,+15550000002,received,whatsapp,2026-11-01T01:30:00-04:00\n"
        "m5,bot-a,,+15550000002,received,whatsapp,2026-11-01T01:30:00-05:00\n")}
    seen = {}
    for period in ("2026-10", "2026-11"):
        b = acme_bundle(tmp_path / period, params_dir, files, period, date(2026, 12, 5),
                        ("chatbots",), tenant=new_york)
        report = ChatbotsReport(b, "en")
        f = report.figures()
        daily = report.daily_df.set_index("day")["active_users"]
        seen[period] = (f["mau"], f["meu"], f["msgs"], f["previous_available"],
                        f["mau_change"], {str(d.date()): int(n) for d, n in daily.items() if n})
        b.close()
    assert seen["2026-10"] == (1, 1, 2, False, None, {"2026-10-31": 1})
    assert seen["2026-11"] == (2, 1, 3, False, None, {"2026-11-01": 2})


def test_a_month_before_with_days_the_export_missed_is_not_available(tmp_path, params_dir):
    """The bot messages flow every day: users u0..u19 write once a day (20 messages a day),
    from 1 Sep 2026 to 31 Oct, but the September export has nothing from Sat 5 to Mon 14
    (10 days in a row, each weekday of which has records on other days of September).
    October (closed, as of 20 Nov) has MAU 20 over 31 days. September's MAU is 20 too, but
    over 20 days of data: its 10 missing days are no quiet days, and the change against it
    is not available (it read "MAU +0.0%, MSGs +55.0%": 620 messages against 400). With
    September whole, the same months compare: MSGs +3.3% (620 against 600). And an October
    the export missed days of is compared with nothing either."""
    from datetime import timedelta

    def messages(skip):
        lines = ["MessageId,BotId,RouterId,UserIdentity,Direction,Channel,StorageDate"]
        day = date(2026, 9, 1)
        while day <= date(2026, 10, 31):
            if day not in skip:
                lines += [f"m{day:%m%d}{u},bot-a,,+55119999900{u:02d},received,whatsapp,"
                          f"{day}T12:00:00-03:00" for u in range(20)]
            day += timedelta(days=1)
        return "\n".join(lines) + "\n"

    gap = {date(2026, 9, 5) + timedelta(days=i) for i in range(10)}
    october_gap = {date(2026, 10, 5) + timedelta(days=i) for i in range(10)}
    seen = {}
    for name, skip in (("gap", gap), ("whole", set()), ("october_gap", october_gap)):
        b = acme_bundle(tmp_path / name, params_dir, {"bot_messages/b.csv": messages(skip)},
                        "2026-10", date(2026, 11, 20), ("chatbots",))
        report = ChatbotsReport(b, "en")
        f = report.figures()
        seen[name] = (f["mau"], f["msgs"], f["previous_available"], f["msgs_change"],
                      report.monthly().prose[1])
        b.close()
    assert seen["gap"][:4] == (20, 620, False, None)
    assert seen["gap"][4] == ("Against the whole month before (September 1–30, 2026): change "
                              "not available, the data received does not cover that whole "
                              "range.")
    assert seen["whole"][:4] == (20, 620, True, pytest.approx(620 / 600 - 1, abs=1e-4))
    # October itself missing 5–14 October (its coverage block names the run): 420 messages
    # over 21 days of data, compared with nothing (it read "MSGs −30.0%" against September).
    assert seen["october_gap"][:4] == (20, 420, False, None)
    assert seen["october_gap"][4] == (
        "Against the whole month before (September 1–30, 2026): change not available, the "
        "data received does not cover every day of October 1–31, 2026.")


def test_an_export_that_stopped_before_the_period_and_resumed_in_it_is_named(tmp_path,
                                                                             params_dir):
    """Bot messages at 25 a day until 20 Sep 2026, then again from 10 Oct (the export stopped
    and resumed). The source had begun (records before the period: no `begins`), and its
    runs of missing days were only looked for from its first record in the week before the
    period: 1-9 Oct were quiet days of 0, said nowhere (found by a review). They are a run of
    missing days now, named under the title and banded on the chart."""
    days = [*(date(2026, 9, d) for d in range(1, 21)),
            *(date(2026, 10, d) for d in range(10, 32))]
    report = ChatbotsReport(acme_bundle(tmp_path, params_dir, {
        "bot_messages/b.csv": _bot_messages(25, days)}, "2026-10", date(2026, 11, 1),
        ("chatbots",)), "en")
    (coverage,) = report.coverage()
    assert (coverage["begins"], coverage["missing_days"]) == (None, [["2026-10-01",
                                                                      "2026-10-09"]])
    assert report.missing_chart_days(("bot_messages",)) == [(date(2026, 10, 1),
                                                            date(2026, 10, 9))]
    assert report.coverage_lines()[0].endswith("No records from 10/1/2026 to 10/9/2026.")
