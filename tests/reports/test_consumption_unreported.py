"""What Meta's analytics do not cover yet (docs/metrics.md, "Days Meta has not reported yet"):
hand-made analytics and messages, real warehouse and bundles, answers worked out by hand.

São Paulo (UTC-3) unless said; Meta's daily points start at the tenant's midnight (03:00 UTC)
unless said; every message goes to a Brazilian number, marketing at the card's US$ 0.0625."""

from __future__ import annotations

from datetime import date

import pytest

from reportlib.reports.consumption import ConsumptionReport
from tests.conftest import ACME, utc
from tests.reports.test_consumption import build, conv, priced
from tests.reports.test_reconciliation import delivered


def ten_a_day(con, last: int = 10, hour: str = "03") -> None:
    """Meta: 10 paid marketing messages a day at US$ 0.625, 1 November 2026 to `last`."""
    for day in range(1, last + 1):
        priced(con, "acme", f"2026-11-{day:02d}T{hour}:00:00+00:00", "MARKETING", "REGULAR", 10,
               cost=0.625)


def on_number(con, prefix: str, n: int, at: str, number: str) -> None:
    """`n` marketing messages delivered at `at` from the tenant's number `number`."""
    for i in range(n):
        con.execute(
            "INSERT INTO notifications (tenant_id, message_id, sender, phone_number_id, "
            "recipient, template_name, category, accepted_at, sent_at, delivered_at) VALUES "
            "('acme', ?, 'api', ?, ?, 'tpl', 'marketing', ?, ?, ?)",
            [f"{prefix}-{i}", number, f"+55117{i:08d}", utc(at), utc(at), utc(at)])


def test_days_meta_has_not_reported_are_not_zeros_and_our_estimate_covers_them(
        tmp_path, empty_warehouse):
    """Meta reaches Tue 10 November; as of Fri 13 our records hold 4 messages delivered on
    Wed 11 and 3 on Thu 12. Before, Wed 11 and Thu 12 were zeros: daily mean 100 / 12 = 8,
    headline Meta's 6.25 alone. Now:
    - daily mean of Meta's days: 100 / 10 = 10;
    - our estimate: 7 x 0.0625 = 0.4375; headline 6.25 + 0.4375 = 6.6875 (mixed);
    - projection of paid messages, the headline's way: observed 1 .. 12 = 100 + 4 + 3 = 107,
      2 of them estimated; to come 13 .. 30 at each weekday's mean: Wed (10, 4) 7 x 2 = 14,
      Thu (10, 3) 6.5 x 2 = 13, the 14 other days 10 each = 140: 107 + 167 = 274, cost
      274 x 0.0625 = 17.125; band: Wed 4 and Thu 3 at their lowest, 107 + 140 + 8 + 6 = 261,
      highest 107 + 140 + 20 + 20 = 287;
    - all messages (Meta's alone): observed 1 .. 10, 20 days to come."""
    path, con = empty_warehouse
    ten_a_day(con)
    delivered(con, "wed", 4, "marketing", "2026-11-11T15:00:00+00:00")
    delivered(con, "thu", 3, "marketing", "2026-11-12T15:00:00+00:00")
    con.close()
    b = build(tmp_path, path, ACME, "2026-11", date(2026, 11, 13))
    p = b.table("consumption_projection").set_index("metric")
    assert (p.loc["paid", "days_observed"], p.loc["paid", "days_estimated"],
            p.loc["paid", "days_remaining"], p.loc["paid", "to_date"]) == (12, 2, 18, 107)
    assert p.loc["paid", "projected"] == pytest.approx(274)
    assert (p.loc["paid", "projected_low"], p.loc["paid", "projected_high"]) == (261, 287)
    assert (p.loc["quantity", "days_observed"], p.loc["quantity", "days_remaining"]) == (10, 20)
    report = ConsumptionReport(b, "en")
    f = report.figures()
    assert f["projection.cost_usd"] == pytest.approx(17.125, abs=0.006)
    assert f["cost_usd.headline"] == pytest.approx(6.6875)
    assert (f["cost_usd.headline_source"], f["unreported.cost_usd"]) == ("mixed", 0.4375)
    assert f["unreported.days"] == [["2026-11-11", "2026-11-12"]]
    assert report.summary().prose[2] == (
        "Meta's analytics do not cover 7 template messages of ours yet, delivered from "
        "11/11/2026 to 11/12/2026 (7 paid): we estimate their cost at $0.44.")
    daily = report.daily().prose
    assert daily[0] == ("The busiest day was November 1, 2026, with 10 messages; the daily "
                        "mean was 10."), daily
    assert daily[1] == ("Meta's analytics have no figures yet from 11/11/2026 to 11/12/2026, "
                        "when our records hold template messages delivered: those days are "
                        "left out of the daily mean, not counted as zero.")
    assert ("So far: $6.69 over 12 complete days, with our estimate where Meta has not "
            "reported yet (2 of them); 18 days to go.") in report.projection().prose
    # Named under the title and in the manifest, as days without a record of the source.
    assert report.coverage_lines() == [
        "Meta's pricing analytics: 10 records on 10 days (11/1/2026 to 11/10/2026). No records "
        "from 11/11/2026 to 11/12/2026."]
    pt = ConsumptionReport(b, "pt-BR")
    assert pt.summary().prose[2] == (
        "As análises da Meta ainda não cobrem 7 mensagens de modelo nossas, entregues de "
        "11/11/2026 a 12/11/2026 (7 pagas): estimamos seu custo em US$\xa00,44.")


def test_a_quiet_day_stays_a_zero(tmp_path, empty_warehouse):
    """Meta Sun 1 .. Tue 10 November, no message of ours after it: Wed 11 and Thu 12 are quiet
    days, counted as 0 (mean 100 / 12 = 8.33, shown 8). A sender that sends on weekdays only:
    Meta Mon 2 .. Fri 6, ours on Mon 9 only (5 messages), as of Tue 10: Mon 9 is not reported,
    Sat 7 and Sun 8 are quiet days."""
    path, con = empty_warehouse
    ten_a_day(con)
    con.close()
    b = build(tmp_path, path, ACME, "2026-11", date(2026, 11, 13))
    assert b.table("consumption_unreported").empty
    assert b.table("consumption_projection").set_index("metric").loc["paid", "days_observed"] \
        == 12
    assert ConsumptionReport(b, "en").daily().prose[0].endswith("the daily mean was 8.")

    weekdays = tmp_path / "weekdays"
    weekdays.mkdir()
    from reportlib import warehouse

    con = warehouse.create(weekdays / "wh.duckdb")
    con.execute("INSERT INTO tenants VALUES ('acme', 'Acme', 'America/Sao_Paulo', 'en', 'USD')")
    con.execute("INSERT INTO phone_numbers VALUES ('acme', '1001', '+55 11 4000-0001', "
                "'w-acme', 'Vendas')")
    for day in range(2, 7):
        priced(con, "acme", f"2026-11-{day:02d}T03:00:00+00:00", "MARKETING", "REGULAR", 10,
               cost=0.625)
    delivered(con, "mon", 5, "marketing", "2026-11-09T15:00:00+00:00")
    con.close()
    b = build(weekdays, weekdays / "wh.duckdb", ACME, "2026-11", date(2026, 11, 10))
    assert ConsumptionReport(b, "en").figures()["unreported.days"] == [
        ["2026-11-09", "2026-11-09"]]


def test_meta_s_day_boundary_is_an_instant_not_a_local_day(tmp_path, empty_warehouse):
    """Meta's points on UTC days (00:00 UTC), 1 .. 10 November: Meta reaches 11 November
    00:00 UTC, 21:00 on the 10th in São Paulo. Our 5 messages at 01:00 UTC on the 11th (22:00
    local on the 10th) are not in Meta's figures: they are estimated, with the 4 of the 11th,
    9 x 0.0625 = 0.5625; the 10th keeps Meta's figure (Meta has a point on it), the 11th is
    not reported. Cut on local days, the 5 were in neither Meta's figure nor the estimate."""
    path, con = empty_warehouse
    ten_a_day(con, hour="00")
    delivered(con, "late", 5, "marketing", "2026-11-11T01:00:00+00:00")
    delivered(con, "next", 4, "marketing", "2026-11-11T15:00:00+00:00")
    con.close()
    f = ConsumptionReport(build(tmp_path, path, ACME, "2026-11", date(2026, 11, 13)),
                          "en").figures()
    assert (f["unreported.delivered"], f["unreported.cost_usd"]) == (9, 0.5625)
    assert f["unreported.days"] == [["2026-11-11", "2026-11-11"]]
    assert f["cost_usd.headline"] == pytest.approx(6.25 + 0.5625)


def test_an_account_meta_reports_later_than_the_other(tmp_path, empty_warehouse):
    """Two business accounts: w-acme (number 1001) reported to the 12th, w-acme2 (number 1002)
    to the 10th at 5 messages a day (US$ 0.3125). Ours: 10 messages of 1001 on the 11th (in
    Meta's figures), 8 of 1002 on each of the 11th and 12th (not): estimate 16 x 0.0625 = 1.00,
    and the 11th and 12th are not reported (Meta has no point of w-acme2 on them). Headline:
    12 x 0.625 + 10 x 0.3125 + 1.00 = 11.625."""
    path, con = empty_warehouse
    ten_a_day(con, last=12)
    con.execute("INSERT INTO phone_numbers VALUES ('acme', '1002', '+55 11 4000-0002', "
                "'w-acme2', 'SAC')")
    for day in range(1, 11):
        con.execute(
            "INSERT INTO pricing_daily VALUES ('acme', 'w-acme2', ?, ?::TIMESTAMPTZ + INTERVAL 1 "
            "DAY, '551140000002', 'BR', 'REGULAR', 'MARKETING', NULL, 5, 0.3125, 'hand-made', "
            "'DAILY', 'phone_number,country,pricing_type,pricing_category')",
            [utc(f"2026-11-{day:02d}T03:00:00+00:00"), utc(f"2026-11-{day:02d}T03:00:00+00:00")])
    on_number(con, "a11", 10, "2026-11-11T15:00:00+00:00", "1001")
    on_number(con, "b11", 8, "2026-11-11T15:00:00+00:00", "1002")
    on_number(con, "b12", 8, "2026-11-12T15:00:00+00:00", "1002")
    con.close()
    f = ConsumptionReport(build(tmp_path, path, ACME, "2026-11", date(2026, 11, 13)),
                          "en").figures()
    assert (f["unreported.delivered"], f["unreported.cost_usd"]) == (16, 1.0)
    assert f["unreported.days"] == [["2026-11-11", "2026-11-12"]]
    assert f["cost_usd.headline"] == pytest.approx(11.625)


def test_the_estimate_uses_the_tier_in_force_and_the_billed_category(tmp_path, empty_warehouse):
    """Meta to the 10th, with 20 utility messages on the 10th in the tier 25,001-100,000 at
    US$ 0.10 (Meta's rate for that tier: 0.005, below the card's 0.0068). Ours: 4 marketing on
    the 11th; 6 utility on the 12th; 8 on the 12th whose template says utility but which Meta
    bills as marketing (their status webhooks). Estimate: 4 x 0.0625 + 6 x 0.005 + 8 x 0.0625
    = 0.25 + 0.03 + 0.5 = 0.78. Headline: 10 x 0.625 + 0.10 + 0.78 = 7.13, of which 0.78
    estimated."""
    path, con = empty_warehouse
    ten_a_day(con)
    priced(con, "acme", "2026-11-10T03:00:00+00:00", "UTILITY", "REGULAR", 20, cost=0.10,
           tier="25001:100000")
    delivered(con, "wed", 4, "marketing", "2026-11-11T15:00:00+00:00")
    delivered(con, "thu", 6, "utility", "2026-11-12T15:00:00+00:00")
    delivered(con, "moved", 8, "utility", "2026-11-12T16:00:00+00:00", billed="marketing")
    con.close()
    b = build(tmp_path, path, ACME, "2026-11", date(2026, 11, 13))
    report = ConsumptionReport(b, "en")
    f = report.figures()
    assert f["unreported.cost_usd"] == pytest.approx(0.78)
    assert f["cost_usd.headline"] == pytest.approx(7.13)
    assert f["cost_usd.headline_estimated"] == pytest.approx(0.78)
    assert report.summary().prose[1] == (
        "Cost: $7.13, of which $6.35 reported by Meta and $0.78 estimated by us for what Meta "
        "has not reported yet.")


def test_without_a_rate_the_estimate_is_not_available(tmp_path, empty_warehouse):
    """Three messages of the platform's event log on the 11th name no category (no template
    category, no pricing in a webhook): paid, without a rate. Their cost is not available,
    never US$ 0.00, and the headline stays Meta's."""
    path, con = empty_warehouse
    ten_a_day(con)
    for i in range(3):
        for event, minute in (("accepted", 0), ("received", 2)):
            con.execute(
                "INSERT INTO notification_events (tenant_id, platform_id, bot_id, event, ts, "
                "phone_number_id, recipient, template_name, source_file) VALUES "
                "('acme', ?, 'acme-bot', ?, ?, '1001', ?, 'promo', 'events.csv')",
                [f"log-{i}", event, utc(f"2026-11-11T16:0{minute}:00+00:00"),
                 f"+55118{i:08d}"])
    con.close()
    report = ConsumptionReport(build(tmp_path, path, ACME, "2026-11", date(2026, 11, 13)), "en")
    f = report.figures()
    assert (f["unreported.cost_usd"], f["unreported.paid_without_rate"]) == (None, 3)
    assert f["cost_usd.headline"] == pytest.approx(6.25)
    assert f["cost_usd.headline_source"] == "meta"
    assert report.summary().prose[2] == (
        "Meta's analytics do not cover 3 template messages of ours yet, delivered on 11/11/2026 "
        "(3 paid): their cost is not available, as none of the paid ones has a rate (a market "
        "or category without one).")


def test_days_across_the_end_of_conversation_based_pricing(tmp_path, empty_warehouse):
    """Period 25 June .. 5 July 2025, as of 4 July: conversation analytics to 30 June (the
    last day of conversation-based pricing), no pricing analytics yet. Ours: 5 marketing a day
    on 1 .. 3 July, per-message pricing: 15 x 0.0625 = 0.9375, days of the pricing analytics."""
    path, con = empty_warehouse
    for day in range(25, 31):
        conv(con, "acme", f"2025-06-{day:02d}T03:00:00+00:00", "MARKETING", "REGULAR",
             "BUSINESS_INITIATED", 5, cost=0.3125)
    for day in (1, 2, 3):
        delivered(con, f"jul{day}", 5, "marketing", f"2025-07-0{day}T15:00:00+00:00")
    con.close()
    report = ConsumptionReport(build(tmp_path, path, ACME, "2025-06-25..2025-07-05",
                                     date(2025, 7, 4)), "en")
    f = report.figures()
    assert f["unreported.cost_usd"] == pytest.approx(0.9375)
    assert f["unreported.days"] == [["2025-07-01", "2025-07-03"]]
    assert report._unreported_runs("pricing_analytics") == [(date(2025, 7, 1), date(2025, 7, 3))]


def test_a_closed_month_says_part_of_its_cost_is_our_estimate(tmp_path, empty_warehouse):
    """October alone, Meta to the 20th; ours 4 messages on the 28th, as of 13 November: the
    28th is not reported (the 21st to the 27th are quiet days), estimate 0.25, no projection,
    and the figures are not called final: the header said 'Consolidated on November 9, 2026'
    and the projection 'the figures above are the period's final figures'."""
    path, con = empty_warehouse
    for day in range(1, 21):
        priced(con, "acme", f"2026-10-{day:02d}T03:00:00+00:00", "MARKETING", "REGULAR", 10,
               cost=0.625)
    delivered(con, "oct", 4, "marketing", "2026-10-28T15:00:00+00:00")
    con.close()
    b = build(tmp_path, path, ACME, "2026-10", date(2026, 11, 13))
    report = ConsumptionReport(b, "en")
    assert report.figures()["unreported.days"] == [["2026-10-28", "2026-10-28"]]
    assert b.table("consumption_projection").empty
    assert report.projection().prose == [
        "The period is closed: there is no projection. Part of the cost above is our estimate "
        "until Meta reports its last days."]
    # October was consolidated on 9 November, but not with these messages: not called final.
    header = report.header()
    assert header.badge == "Partial consumption"
    assert ("Consolidated on November 9, 2026, but Meta's analytics do not cover its last "
            "messages yet: part of the cost is our estimate.") in header.lines
