"""Anomaly flags per tenant-day (docs/metrics.md, "Anomaly flags"), on a hand-made warehouse.

Tenant beta (UTC, so local days are UTC days). Eight Tuesdays before 10 Nov 2026 (15 Sep ..
3 Nov) each send 300 messages at 12:00, of which 6, 6, 7, 7, 8, 8, 9 and 9 fail with 131049 and
the rest are delivered and read 30 minutes later. On Tuesday 10 Nov the same 300 messages fail
60 times (the spike), 7 times (a quiet day), or the day sends only 100 messages with 20
failures (too small to judge).

Worked by hand, failure rate of 131049:
  baseline values 6,6,7,7,8,8,9,9 / 300 -> median 7.5/300 = 0.025
  deviations |v - 7.5| = 1.5,1.5,0.5,0.5,0.5,0.5,1.5,1.5 -> MAD 1.0/300 = 0.00333
  scale = max(1.4826 x 0.00333 = 0.00494, floor 0.01) = 0.01
  spike: 60/300 = 0.20 -> robust z = (0.20 - 0.025) / 0.01 = 17.5 > 3.5: one flag
  quiet: 7/300 = 0.02333 -> z = -0.167: no flag
  small: 100 messages < 200: not judged
Read rate within 24 h is 100 % every day (z = 0). (Those 300 messages are not a campaign's,
so they have a cost too; the campaigns report does not judge cost.)

Cost (the estimated cost of the messages not sent by a campaign) is worked by hand further down.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from reportlib import deliver
from reportlib.domain import calendar
from reportlib.marts import bundle
from reportlib.marts.bundle import Bundle
from reportlib.reports.campaigns import CampaignsReport
from reportlib.reports.consumption import ConsumptionReport
from tests.conftest import ACME, BETA

AS_OF = date(2026, 11, 20)
SPIKE_DAY = date(2026, 11, 10)
BASELINE_FAILURES = (6, 6, 7, 7, 8, 8, 9, 9)  # 15 Sep, 22 Sep, ..., 3 Nov


def _send(con, day: date, messages: int, failures: int, start: int) -> None:
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    rows = []
    for n in range(messages):
        failed = n < failures
        rows.append(["beta", f"m{start + n}", None, "api", None, None, "2001",
                     f"+5521999{start + n:06d}", "aviso", "marketing", at, at,
                     None if failed else at + timedelta(minutes=1),
                     None if failed else at + timedelta(minutes=30),
                     at + timedelta(minutes=1) if failed else None,
                     131049 if failed else None, None, "hand-made", n + 1])
    con.executemany("INSERT INTO notifications VALUES (" + ", ".join(["?"] * 19) + ")", rows)


def _warehouse(empty_warehouse, spike_messages: int, spike_failures: int):
    path, con = empty_warehouse
    start = 0
    for weeks, failures in zip(range(8, 0, -1), BASELINE_FAILURES, strict=True):
        _send(con, SPIKE_DAY - timedelta(weeks=weeks), 300, failures, start)
        start += 300
    _send(con, SPIKE_DAY, spike_messages, spike_failures, start)
    con.close()
    return path


def _report(path, tmp_path, report=CampaignsReport, name: str = "campaigns"):
    out = tmp_path / f"{name}.duckdb"
    bundle.build(path, BETA, calendar.parse_period("2026-11"), AS_OF, out, (name,))
    return report(Bundle.open(out))


def test_a_planted_failure_spike_is_flagged_with_its_likely_cause(empty_warehouse, tmp_path):
    report = _report(_warehouse(empty_warehouse, 300, 60), tmp_path)
    flags = report.flags()
    assert [(f["day"], f["metric"], f["subject"], f["cause"]) for f in flags] == [
        ("2026-11-10", "failure_rate", "131049", "marketing_limit")]
    flag = flags[0]
    assert flag["value"] == pytest.approx(0.2)
    assert flag["baseline"] == pytest.approx(0.025)
    assert flag["robust_z"] == pytest.approx(17.5)
    assert flag["volume"] == 300 and flag["baseline_days"] == 8
    # At the top of the report (its header), naming metric, day, value, baseline and cause.
    header = report.header()
    assert len(header.alerts) == 1
    alert = header.alerts[0]
    assert "November 10, 2026" in alert and "131049" in alert and "20.0%" in alert \
        and "2.5%" in alert and "per-user marketing message limit" in alert
    assert header._repr_html_().index("Alert") < header._repr_html_().index("Data up to")
    # The manifest's list.
    assert report.published_figures()["flags"] == flags


def test_a_quiet_month_has_no_flag(empty_warehouse, tmp_path):
    report = _report(_warehouse(empty_warehouse, 300, 7), tmp_path)
    assert report.flags() == []
    header = report.header()
    assert header.alerts == []
    assert report.published_figures()["flags"] == []
    # November seen on 20 Nov: every send day of it is within 30 days, so statuses may move
    # until 30 Nov + 30 days = 30 Dec; final on 31 Dec. Its header says so, under the badge.
    assert header.badge == "Partial data"
    assert "Provisional: delivery and read statuses of messages sent from November 1, 2026 can " \
        "still change (up to 30 days after each send); the figures are final on December 31, " \
        "2026." in header.lines
    assert not any(line.startswith("Consolidated") for line in header.lines)
    assert report.published_figures()["provisional_until"] == "2026-12-30"


def test_a_small_day_never_flags(empty_warehouse, tmp_path):
    # 20 % failures, but on 100 messages: below the 200-message minimum.
    report = _report(_warehouse(empty_warehouse, 100, 20), tmp_path)
    assert report.flags() == []


def test_the_subject_carries_the_flag(tmp_path):
    import json

    flag = {"day": "2026-11-10", "metric": "failure_rate", "subject": "131049",
            "value": 0.2, "baseline": 0.025, "robust_z": 17.5, "volume": 300,
            "baseline_days": 8, "cause": "marketing_limit", "cause_detail": None}
    base = "Campaigns · Beta · November 2026 · partial"
    assert deliver.subject(BETA, "campaigns", "2026-11", partial=True, flags=[]) == base
    one = deliver.subject(BETA, "campaigns", "2026-11", partial=True, flags=[flag])
    # The code as the report names it: a bare "131049 failures" left the reader guessing.
    assert one == f"{base} · alert: error 131049 failures on Nov 10"
    assert deliver.subject(ACME, "campaigns", "2026-11", partial=True, flags=[flag]) == (
        "Campanhas · Acme <Lojas> · novembro de 2026 · parcial · "
        "alerta: falhas pelo erro 131049 em 10/11")
    two = deliver.subject(BETA, "campaigns", "2026-11", partial=True,
                          flags=[flag, {**flag, "day": "2026-11-11"}])
    assert two == f"{base} · 2 alerts"
    # The message built from a published output reads the flags from its manifest entry.
    out = tmp_path / "beta" / "2026-11"
    out.mkdir(parents=True)
    (out / "campaigns.html").write_text("<html><body><h1>Campaigns</h1></body></html>")
    (out / "campaigns.pdf").write_bytes(b"%PDF-1.4 hand-made")
    (out / "manifest.json").write_text(json.dumps({"reports": {"campaigns": {
        "status": "ok", "figures": {"partial": True}, "flags": [flag]}}}))
    message = deliver.build_message(BETA, "2026-11", "campaigns", out, ["a@b.example"],
                                    "reports@example.com")
    assert message["Subject"] == one


# ---------------------------------------------------------------------------------------------
# Cost: the estimated cost of the messages not sent by a campaign.
#
# Tenant beta (UTC). On the eight Tuesdays before 10 Nov 2026 (15 Sep .. 3 Nov) agents send
# 90, 90, 100, 100, 100, 100, 110 and 110 utility templates to Brazilian numbers, all delivered
# and billable (no webhook says free, no user message opened a window). Rate card, Brazil,
# utility from 2025-07-01: US$ 0.0068. Meta's analytics report the same, so that the report
# has data (they play no part in the flag).
#
#   baseline values 90..110 x 0.0068 = 0.612, 0.612, 0.68, 0.68, 0.68, 0.68, 0.748, 0.748
#   median 0.68; deviations 0.068, 0.068, 0, 0, 0, 0, 0.068, 0.068 -> MAD 0.034
#   scale = max(1.4826 x 0.034 = 0.0504, max(US$ 1, 5 % of 0.68)) = 1.0
# Every other day costs 0 (never US$ 5 on the day or in its baseline: not judged).

COST_BASELINE = (90, 90, 100, 100, 100, 100, 110, 110)  # 15 Sep, 22 Sep, ..., 3 Nov
UTILITY_RATE = 0.0068  # Brazil, utility, from 2025-07-01 (reportlib/domain/data/rate_card.csv)
MARKETING_RATE = 0.0625  # Brazil, marketing


def _deliver(con, day: date, messages: int, start: int, category: str, sender: str,
             campaign: str | None = None) -> None:
    """`messages` templates of `category` sent by `sender` (a campaign's when it names one) at
    12:00 UTC on `day`, each to its own Brazilian number and delivered a minute later."""
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    con.execute(
        "INSERT INTO notifications SELECT 'beta', 'c' || (? + i), ?, ?, "
        "CASE WHEN ? = 'agent' THEN 'ana@beta' END, NULL, '2001', "
        "'+55219' || lpad((? + i)::VARCHAR, 8, '0'), 'aviso', ?, ?, ?, "
        "?::TIMESTAMPTZ + INTERVAL 1 MINUTE, NULL, NULL, NULL, NULL, 'hand-made', i + 1 "
        "FROM range(?) r(i)",
        [start, campaign, sender, sender, start, category, at, at, at, messages])


def _meta(con, day: date, category: str, volume: int, rate: float,
          tier: str | None = None) -> None:
    """Meta's pricing analytics for the day: `volume` paid messages of `category` (in `tier`,
    a volume tier, when given)."""
    con.execute(
        "INSERT INTO pricing_daily VALUES ('beta', 'w-beta', ?, ?, '552130000002', 'BR', "
        "'REGULAR', ?, ?, ?, ?, 'hand-made', 'DAILY', "
        "'phone_number,country,pricing_type,pricing_category')",
        [datetime(day.year, day.month, day.day, tzinfo=UTC),
         datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1),
         category.upper(), tier, volume, round(volume * rate, 6)])


def _cost_warehouse(empty_warehouse, agent_templates: int, campaign: int = 0,
                    answering: bool = False):
    """The baseline Tuesdays, then Tuesday 10 Nov: `agent_templates` utility templates sent by
    agents (`answering`: each to a user who wrote an hour before) and a campaign of `campaign`
    marketing templates."""
    path, con = empty_warehouse
    start = 0
    for weeks, sent in zip(range(8, 0, -1), COST_BASELINE, strict=True):
        day = SPIKE_DAY - timedelta(weeks=weeks)
        _deliver(con, day, sent, start, "utility", "agent")
        _meta(con, day, "utility", sent, UTILITY_RATE)
        start += sent
    _deliver(con, SPIKE_DAY, agent_templates, start, "utility", "agent")
    if answering:
        con.execute(
            "INSERT INTO inbound_messages SELECT 'beta', 'in' || i, "
            "'55219' || lpad((? + i)::VARCHAR, 8, '0'), TIMESTAMPTZ '2026-11-10 11:00:00+00', "
            "'text', NULL, NULL, NULL, '2001', 'hand-made', i + 1, NULL, NULL, NULL, NULL "
            "FROM range(?) r(i)", [start, agent_templates])
    if not answering:  # inside a customer-service window, Meta bills nothing
        _meta(con, SPIKE_DAY, "utility", agent_templates, UTILITY_RATE)
    if campaign:
        con.execute("INSERT INTO campaigns VALUES ('beta', 'black-friday', 'Black Friday', "
                    "'beta-bot', 'oferta', 'pt_BR', 'marketing', 'Sent', ?, ?, 'ana', 0, "
                    "'hand-made', 1)",
                    [datetime(2026, 11, 10, 12, tzinfo=UTC)] * 2)
        _deliver(con, SPIKE_DAY, campaign, start + agent_templates, "marketing", "campaign",
                 "black-friday")
        _meta(con, SPIKE_DAY, "marketing", campaign, MARKETING_RATE)
    con.close()
    return path


def _consumption(path, tmp_path) -> ConsumptionReport:
    return _report(path, tmp_path, ConsumptionReport, "consumption")


def test_a_planned_campaign_day_raises_no_cost_flag(empty_warehouse, tmp_path):
    # Tuesday 10 Nov: agents send their usual 100 utility templates (US$ 0.68) and a campaign
    # sends 2,000 marketing templates (2,000 x 0.0625 = US$ 125.00). The day's cost in Meta's
    # analytics is US$ 125.68 against a usual US$ 0.68 (z = 125.0 on the day's cost alone).
    # Outside campaigns: 125.68 less the campaign's estimate 125.00 = 0.68 -> z = 0: no flag.
    report = _consumption(_cost_warehouse(empty_warehouse, 100, campaign=2000), tmp_path)
    assert report.flags() == []
    assert report.header().alerts == []
    assert report.published_figures()["flags"] == []


def test_a_spike_of_agent_templates_is_one_cost_flag(empty_warehouse, tmp_path):
    # Tuesday 10 Nov: agents send 1,000 utility templates: 1,000 x 0.0068 = US$ 6.80, and a
    # campaign 500 marketing templates, 500 x 0.0625 = US$ 31.25. Meta's cost of the day is
    # 38.05; less the campaign's estimate 31.25: 6.80 outside campaigns (at least US$ 5:
    # judged). scale = max(US$ 1, 5 % of 0.68, 5 % of the campaign's 31.25 = 1.5625) = 1.5625;
    # z = (6.80 - 0.68) / 1.5625 = 3.92 > 3.5: one flag. Likely cause: the agents' utility
    # templates (the only sender and category outside campaigns), US$ 6.80 against 0.68.
    report = _consumption(_cost_warehouse(empty_warehouse, 1000, campaign=500), tmp_path)
    flags = report.flags()
    assert [(f["day"], f["metric"], f["subject"], f["cause"]) for f in flags] == [
        ("2026-11-10", "cost", None, "agents")]
    flag = flags[0]
    assert flag["value"] == pytest.approx(6.80)
    assert flag["baseline"] == pytest.approx(0.68)
    assert flag["robust_z"] == pytest.approx(3.92)
    assert flag["baseline_days"] == 8
    assert flag["cause_detail"] == {"category": "utility", "messages": 1000,
                                    "value": pytest.approx(6.80), "baseline": pytest.approx(0.68)}
    assert report.header().alerts == [
        "Alert, November 10, 2026: the cost outside campaigns (the day's cost less the "
        "estimated cost of its campaigns) was $6.80, against $0.68 on the same weekday of the "
        "previous weeks. Likely cause: utility messages sent by agents: 1,000, costing $6.80 "
        "(usually $0.68)."]
    assert report.published_figures()["flags"] == flags


def test_a_cost_only_meta_reports_is_flagged_without_a_cause(empty_warehouse, tmp_path):
    # Tuesday 10 Nov: our records have the usual 100 agent templates (US$ 0.68), but Meta's
    # analytics also bill 200 marketing messages we have no record of (another system sending
    # through the account): 200 x 0.0625 = US$ 12.50. The day's cost is 13.18, no campaign:
    # 13.18 outside campaigns; z = (13.18 - 0.68) / 1.0 = 12.5: one flag, with no cause in
    # our records.
    from reportlib import warehouse

    path = _cost_warehouse(empty_warehouse, 100)
    con = warehouse.connect(path)
    _meta(con, SPIKE_DAY, "marketing", 200, MARKETING_RATE)
    con.close()
    (flag,) = _consumption(path, tmp_path).flags()
    assert (flag["day"], flag["metric"], flag["cause"]) == ("2026-11-10", "cost", None)
    assert flag["value"] == pytest.approx(13.18)
    assert flag["robust_z"] == pytest.approx(12.5)


def test_a_utility_campaign_is_taken_out_at_the_rate_meta_applied_that_month(empty_warehouse,
                                                                             tmp_path):
    # The campaign's estimate is priced as the campaigns report prices it: at the rate Meta
    # applied that month across its tiers where its analytics give one. Agents send 900, 900,
    # 1,000 x 4, 1,100 and 1,100 utility templates on the baseline Tuesdays (Meta: the card's
    # 0.0068, no tier): baseline 6.80 a day, MAD 0.34. Tuesday 10 Nov: agents' usual 1,000 and a
    # utility campaign of 20,000, which Meta bills in a volume tier at 0.0051: 21,000 x 0.0051 =
    # US$ 107.10, November's only tier point, so November's rate is 0.0051. The campaign at that
    # rate: 102.00; outside campaigns 5.10; scale max(US$ 1, 5 % of 6.80, 5 % of 102.00 = 5.10)
    # -> z = (5.10 - 6.80) / 5.10 = -0.33: no flag. (At the card's 0.0068 the campaign would be
    # 136.00, the outside -28.90 and z = -5.25: a false flag that the agents' cost fell.)
    path, con = empty_warehouse
    start = 0
    for weeks, sent in zip(range(8, 0, -1), COST_BASELINE, strict=True):
        day = SPIKE_DAY - timedelta(weeks=weeks)
        _deliver(con, day, sent * 10, start, "utility", "agent")
        _meta(con, day, "utility", sent * 10, UTILITY_RATE)
        start += sent * 10
    _deliver(con, SPIKE_DAY, 1000, start, "utility", "agent")
    con.execute("INSERT INTO campaigns VALUES ('beta', 'aviso-geral', 'Aviso geral', "
                "'beta-bot', 'aviso', 'pt_BR', 'utility', 'Sent', ?, ?, 'ana', 0, "
                "'hand-made', 1)", [datetime(2026, 11, 10, 12, tzinfo=UTC)] * 2)
    _deliver(con, SPIKE_DAY, 20000, start + 1000, "utility", "campaign", "aviso-geral")
    _meta(con, SPIKE_DAY, "utility", 21000, 0.0051, tier="0:100000")
    con.close()
    assert _consumption(path, tmp_path).flags() == []


def test_agent_templates_inside_customer_service_windows_cost_nothing(empty_warehouse,
                                                                        tmp_path):
    # The same 1,000 utility templates, each answering a user who wrote an hour before: a
    # utility template inside a customer-service window is free (not billable). The day costs
    # 0 outside campaigns (z = (0 - 0.68) / 1.0 = -0.68; and under US$ 5): no flag.
    report = _consumption(_cost_warehouse(empty_warehouse, 1000, answering=True), tmp_path)
    assert report.flags() == []


def test_a_cost_spike_under_five_dollars_never_flags(empty_warehouse, tmp_path):
    # 700 utility templates: 700 x 0.0068 = US$ 4.76, z = 4.08, but neither the day nor its
    # baseline reaches US$ 5: not judged.
    report = _consumption(_cost_warehouse(empty_warehouse, 700), tmp_path)
    assert report.flags() == []


def test_a_cost_flag_in_words():
    from reportlib.look.i18n import Formatter
    from reportlib.reports import trust

    flag = {"day": "2026-11-10", "metric": "cost", "subject": None, "value": 40.12,
            "baseline": 0.52, "robust_z": 39.6, "volume": 40.12, "baseline_days": 8,
            "cause": "api", "cause_detail": {"category": "authentication", "messages": 5823,
                                             "value": 39.6, "baseline": 0.3}}
    assert trust.alert_lines([flag], Formatter("en")) == [
        "Alert, November 10, 2026: the cost outside campaigns (the day's cost less the "
        "estimated cost of its campaigns) was $40.12, against $0.52 on the same weekday of "
        "the previous weeks. Likely cause: "
        "authentication messages sent through the API (integrations): 5,823, costing $39.60 "
        "(usually $0.30)."]
    assert trust.alert_lines([flag], Formatter("pt-BR")) == [
        "Alerta, 10 de novembro de 2026: o custo fora de campanhas (o custo do dia menos o "
        "custo estimado das suas campanhas) foi de US$\xa040,12, contra US$\xa00,52 no mesmo dia "
        "da semana das semanas anteriores. Causa provável: mensagens de autenticação "
        "enviadas pela API (integrações): 5.823, que custaram US$\xa039,60 (normalmente "
        "US$\xa00,30)."]
    assert trust.subject_words([flag], "pt-BR") == \
        "alerta: custo fora de campanhas em 10/11"


def test_a_failure_flag_in_words():
    from reportlib.look.i18n import Formatter
    from reportlib.reports import trust

    flag = {"day": "2026-11-10", "metric": "failure_rate", "subject": "131049", "value": 0.28,
            "baseline": 0.015, "robust_z": 26.5, "volume": 954, "baseline_days": 5,
            "cause": "marketing_limit", "cause_detail": None}
    (line,) = trust.alert_lines([flag], Formatter("pt-BR"))
    # It read "taxa de falha pelo erro 131049 de 28,0%, contra 1,5%".
    assert line.startswith("Alerta, 10 de novembro de 2026: 28,0% das mensagens falharam com o "
                           "erro 131049, contra 1,5% no mesmo dia da semana das semanas "
                           "anteriores (954 mensagens). Erro 131049: ")
    assert line.endswith(". Causa provável: o limite da Meta de mensagens de marketing por "
                         "usuário.")
    assert line.count("(") == line.count(")") <= 2  # the meaning's own, and the volume's
    (english,) = trust.alert_lines([flag], Formatter("en"))
    assert english.startswith("Alert, November 10, 2026: 28.0% of the messages failed with "
                              "error 131049, against 1.5% on the same weekday of the previous "
                              "weeks (954 messages). Error 131049: ")


def test_a_read_rate_flag_in_words():
    # It read "taxa de leitura em 24 h de marketing de 40,0%, contra 55,0%" and "read rate
    # within 24 h of marketing of 40.0%": the value hung on a second "de" / "of".
    from reportlib.look.i18n import Formatter
    from reportlib.reports import trust

    flag = {"day": "2026-11-10", "metric": "read_rate", "subject": "marketing", "value": 0.4,
            "baseline": 0.55, "robust_z": -6.0, "volume": 800, "baseline_days": 8,
            "cause": None, "cause_detail": None}
    assert trust.alert_lines([flag], Formatter("pt-BR")) == [
        "Alerta, 10 de novembro de 2026: a taxa de leitura em 24 h de marketing foi de 40,0%, "
        "contra 55,0% no mesmo dia da semana das semanas anteriores (800 mensagens "
        "recebidas)."]
    assert trust.alert_lines([flag], Formatter("en")) == [
        "Alert, November 10, 2026: the read rate within 24 h of marketing messages was 40.0%, "
        "against 55.0% on the same weekday of the previous weeks (800 received messages)."]
