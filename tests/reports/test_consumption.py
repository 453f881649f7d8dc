"""Every consumption metric on hand-made analytics rows, answers worked out by hand."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from reportlib import ingest
from reportlib.domain import calendar
from reportlib.marts import bundle
from reportlib.marts.bundle import Bundle
from reportlib.reports.consumption import ConsumptionReport
from tests.conftest import ACME, BETA, unix, utc, write


def conv(con, tenant, start, category, kind, direction, n, cost=None, phone="551140000001",
         country="BR", waba="w-acme"):
    con.execute(
        "INSERT INTO conversations VALUES (?, ?, ?, ?::TIMESTAMPTZ + INTERVAL 1 DAY, ?, ?, ?, "
        "?, ?, ?, ?, 'hand-made', 'DAILY', 'phone_number,country,conversation_type,"
        "conversation_direction,conversation_category')",
        [tenant, waba, utc(start), utc(start), phone, country, kind, direction, category, n,
         cost])


def priced(con, tenant, start, category, kind, n, cost=None, phone="551140000001",
           country="BR", tier=None):
    con.execute(
        "INSERT INTO pricing_daily VALUES (?, 'w-acme', ?, ?::TIMESTAMPTZ + INTERVAL 1 DAY, ?, "
        "?, ?, ?, ?, ?, ?, 'hand-made', 'DAILY', ?)",
        [tenant, utc(start), utc(start), phone, country, kind, category, tier, n, cost,
         "phone_number,country,pricing_type,pricing_category"])


def build(tmp_path, wh_path, tenant, period, as_of):
    out = tmp_path / f"{tenant.tenant_id}-{period}.duckdb"
    bundle.build(wh_path, tenant, calendar.parse_period(period), as_of, out)
    return Bundle.open(out)


def summary(b: Bundle):
    df = b.table("consumption_summary")
    return {(r.initiator, r.category, r.pricing_type): (r.quantity, r.paid, r.free,
                                                        round(r.our_cost_usd, 4))
            for r in df.itertuples()}


def test_cbp_free_tier_fep_and_paid(tmp_path, empty_warehouse):
    path, con = empty_warehouse
    # March 2024 (CBP, before service became free). São Paulo days start at 03:00 UTC.
    conv(con, "acme", "2024-03-04T03:00:00+00:00", "SERVICE", "REGULAR", "USER_INITIATED", 700)
    conv(con, "acme", "2024-03-05T03:00:00+00:00", "SERVICE", "REGULAR", "USER_INITIATED", 500)
    conv(con, "acme", "2024-03-05T03:00:00+00:00", "SERVICE", "FREE_ENTRY_POINT",
         "USER_INITIATED", 5)
    conv(con, "acme", "2024-03-05T03:00:00+00:00", "MARKETING", "REGULAR",
         "BUSINESS_INITIATED", 10)
    con.close()
    b = build(tmp_path, path, ACME, "2024-03", date(2024, 4, 20))
    s = summary(b)
    # 1,200 service conversations: the first 1,000 of the WABA-month are free -> 200 paid at
    # 0.0300 = 6.00; FEP is free; 10 marketing at 0.0625 = 0.625.
    assert s[("user", "service", "REGULAR")] == (1200, 200, 1000, 6.0)
    assert s[("user", "service", "FREE_ENTRY_POINT")] == (5, 0, 5, 0.0)
    assert s[("business", "marketing", "REGULAR")] == (10, 10, 0, 0.625)
    figures = ConsumptionReport(b, "en").figures()
    assert figures["business_initiated"] == 10
    assert figures["user_initiated"] == 1205
    assert figures["paid"] == 210 and figures["free"] == 1000 + 5
    assert figures["cost_usd.total"] == pytest.approx(6.625)
    assert figures["partial"] is False


def test_cbp_free_tier_labelled_by_meta_counts_against_the_thousand(tmp_path, empty_warehouse):
    path, con = empty_warehouse
    conv(con, "acme", "2024-05-02T03:00:00+00:00", "SERVICE", "FREE_TIER", "USER_INITIATED",
         1000)
    conv(con, "acme", "2024-05-03T03:00:00+00:00", "SERVICE", "REGULAR", "USER_INITIATED", 40)
    con.close()
    s = summary(build(tmp_path, path, ACME, "2024-05", date(2024, 6, 20)))
    assert s[("user", "service", "FREE_TIER")] == (1000, 0, 1000, 0.0)
    assert s[("user", "service", "REGULAR")] == (40, 40, 0, 1.2)  # 40 x 0.0300


def test_cbp_service_free_from_november_2024(tmp_path, empty_warehouse):
    path, con = empty_warehouse
    conv(con, "acme", "2024-11-04T03:00:00+00:00", "SERVICE", "REGULAR", "USER_INITIATED", 50)
    conv(con, "acme", "2024-11-04T03:00:00+00:00", "UTILITY", "REGULAR",
         "BUSINESS_INITIATED", 100)
    con.close()
    s = summary(build(tmp_path, path, ACME, "2024-11", date(2024, 12, 20)))
    assert s[("user", "service", "REGULAR")] == (50, 0, 50, 0.0)
    assert s[("business", "utility", "REGULAR")] == (100, 100, 0, 0.8)  # 100 x 0.0080


def test_pmp_paid_and_free_messages(tmp_path, empty_warehouse):
    path, con = empty_warehouse
    day = "2026-10-05T03:00:00+00:00"
    priced(con, "acme", day, "MARKETING", "REGULAR", 100, cost=6.25)
    priced(con, "acme", day, "MARKETING", "FREE_ENTRY_POINT", 7, cost=0)
    priced(con, "acme", day, "UTILITY", "FREE_CUSTOMER_SERVICE", 20, cost=0)
    priced(con, "acme", day, "AUTHENTICATION", "REGULAR", 1000, cost=6.20, tier="0:1000")
    priced(con, "acme", day, "SERVICE", "FREE_CUSTOMER_SERVICE", 30, cost=0)
    priced(con, "acme", day, "MARKETING", "REGULAR", 10, cost=0.305, country="MX")
    con.close()
    b = build(tmp_path, path, ACME, "2026-10", date(2026, 11, 20))
    s = summary(b)
    # marketing: 100 BR x 0.0625 = 6.25, plus 10 MX x 0.0305 = 0.305 -> 6.555
    assert s[("business", "marketing", "REGULAR")] == (110, 110, 0, 6.555)
    assert s[("user", "marketing", "FREE_ENTRY_POINT")] == (7, 0, 7, 0.0)
    assert s[("user", "utility", "FREE_CUSTOMER_SERVICE")] == (20, 0, 20, 0.0)
    assert s[("user", "service", "FREE_CUSTOMER_SERVICE")] == (30, 0, 30, 0.0)
    # Meta billed authentication in a volume tier: 6.20 instead of 6.80 at the card's rate;
    # our estimate uses the tier's rate Meta applied (6.20 / 1,000), so it is 6.20 too.
    assert s[("business", "authentication", "REGULAR")] == (1000, 1000, 0, 6.2)
    figures = ConsumptionReport(b, "en").figures()
    assert figures["paid"] == 1110 and figures["free"] == 57
    assert figures["cost_usd.total"] == pytest.approx(6.555 + 6.20)
    assert figures["meta_cost_usd.total"] == pytest.approx(6.25 + 6.20 + 0.305)
    cost = b.table("consumption_cost").set_index(["category", "market"])
    assert cost.loc[("authentication", "Brazil"), "meta_cost_usd"] - cost.loc[
        ("authentication", "Brazil"), "our_cost_usd"] == pytest.approx(0, abs=1e-9)
    assert cost.loc[("marketing", "Mexico"), "rate_usd"] == pytest.approx(0.0305)


def test_rate_change_inside_the_period(tmp_path, empty_warehouse):
    path, con = empty_warehouse
    # Brazil utility: 0.0350 until 2024-07-31, 0.0080 from 2024-08-01.
    conv(con, "acme", "2024-07-31T03:00:00+00:00", "UTILITY", "REGULAR",
         "BUSINESS_INITIATED", 10)
    conv(con, "acme", "2024-08-01T03:00:00+00:00", "UTILITY", "REGULAR",
         "BUSINESS_INITIATED", 10)
    con.close()
    b = build(tmp_path, path, ACME, "2024-07-25..2024-08-05", date(2024, 9, 30))
    cost = b.table("consumption_cost")
    rows = sorted((round(r.rate_usd, 4), r.paid, round(r.our_cost_usd, 4),
                   r.rate_effective_from.date()) for r in cost.itertuples())
    assert rows == [(0.008, 10, 0.08, date(2024, 8, 1)), (0.035, 10, 0.35, date(2023, 6, 1))]
    assert ConsumptionReport(b, "en").figures()["cost_usd.utility"] == pytest.approx(0.43)


def test_day_boundaries_follow_the_tenant_time_zone(tmp_path, empty_warehouse):
    path, con = empty_warehouse
    # A half-hour data point at 01:00 UTC on 1 Oct is 30 Sep 22:00 in São Paulo.
    for tenant, phone in (("acme", "551140000001"), ("beta", "552130000002")):
        con.execute(
            "INSERT INTO pricing_daily VALUES (?, 'w', ?, ?, ?, 'BR', 'REGULAR', 'MARKETING', "
            "NULL, 4, NULL, 'hand-made', 'HALF_HOUR', "
            "'phone_number,country,pricing_type,pricing_category')",
            [tenant, utc("2026-10-01T01:00:00+00:00"), utc("2026-10-01T01:30:00+00:00"), phone])
    con.close()
    acme_oct = build(tmp_path, path, ACME, "2026-10", date(2026, 11, 20))
    acme_sep = build(tmp_path, path, ACME, "2026-09", date(2026, 11, 20))
    beta_oct = build(tmp_path, path, BETA, "2026-10", date(2026, 11, 20))
    assert ConsumptionReport(acme_oct, "en").figures()["total"] == 0
    assert ConsumptionReport(acme_sep, "en").figures()["total"] == 4
    assert ConsumptionReport(beta_oct, "en").figures()["total"] == 4
    daily = acme_sep.table("consumption_daily")
    last = daily[(daily.day == "2026-09-30") & (daily.initiator == "business")]
    assert last["quantity"].tolist() == [4]


def test_daily_counts_split_business_and_user(tmp_path, empty_warehouse):
    path, con = empty_warehouse
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "MARKETING", "REGULAR", 3)
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "SERVICE", "FREE_CUSTOMER_SERVICE", 8)
    priced(con, "acme", "2026-10-06T03:00:00+00:00", "UTILITY", "REGULAR", 2)
    con.close()
    daily = build(tmp_path, path, ACME, "2026-10", date(2026, 11, 20)).table(
        "consumption_daily")
    assert len(daily) == 31 * 2  # every day, both initiators, zero-filled
    got = {(str(r.day.date()), r.initiator): r.quantity for r in daily.itertuples()
           if r.quantity}
    assert got == {("2026-10-05", "business"): 3, ("2026-10-05", "user"): 8,
                   ("2026-10-06", "business"): 2}


def test_the_busiest_day_is_named_with_its_own_count(tmp_path, params_dir):
    # November 2026, as of Mon 9: Mon 2 .. Thu 5 carry 100 marketing messages each, Fri 6
    # 104; Meta's analytics already have 150 for the as-of day, Mon 9, which is not complete.
    # The busiest complete day is Fri 6, with 104; the daily mean over the 8 complete days
    # Sun 1 .. Sun 8 is 504 / 8 = 63. The as-of day's 150 is no complete day's count.
    points = [{"start": unix(f"2026-11-{day:02d}T03:00:00+00:00"),
               "end": unix(f"2026-11-{day + 1:02d}T03:00:00+00:00"),
               "phone_number": "551140000001", "country": "BR", "pricing_type": "REGULAR",
               "pricing_category": "MARKETING", "volume": {9: 150, 6: 104}.get(day, 100)}
              for day in (2, 3, 4, 5, 6, 9)]
    write(tmp_path / "sources/acme/pricing_analytics/november.json",
          json.dumps({"data": [{"data_points": points}]}))
    ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    report = ConsumptionReport(build(tmp_path, tmp_path / "wh.duckdb", ACME, "2026-11",
                                     date(2026, 11, 9)), "en")
    prose = report.daily().prose[0]
    assert prose == ("The busiest day was November 6, 2026, with 104 messages; the daily "
                     "mean was 63."), prose


def test_projection_for_an_open_month(tmp_path, empty_warehouse):
    path, con = empty_warehouse
    # November 2026, as of Sat 7 Nov: observed Sun 1 .. Fri 6 (6 days), 24 days remain.
    # Paid marketing per day: Sun 1:10, Mon 2:20, Tue 3:20, Wed 4:20, Thu 5:20, Fri 6:30.
    for day, n in zip(range(1, 7), (10, 20, 20, 20, 20, 30), strict=True):
        priced(con, "acme", f"2026-11-{day:02d}T03:00:00+00:00", "MARKETING", "REGULAR", n)
    con.close()
    b = build(tmp_path, path, ACME, "2026-11", date(2026, 11, 7))
    p = b.table("consumption_projection").set_index("metric")
    # Remaining 7..30 Nov: Saturdays 7,14,21,28 (not seen yet -> overall mean 20, min 10,
    # max 30); Sundays 8,15,22,29 -> 10; Mon 9,16,23,30 -> 20; Tue/Wed/Thu x3 -> 20;
    # Fri 13,20,27 -> 30. Mean: 4*20 + 4*10 + 4*20 + 9*20 + 3*30 = 470; to date 120.
    assert p.loc["paid", "days_observed"] == 6 and p.loc["paid", "days_remaining"] == 24
    assert p.loc["paid", "to_date"] == 120
    assert p.loc["paid", "projected"] == pytest.approx(590)
    # Low: Saturdays use the overall minimum 10 -> 470 - 4*10 = 430 -> 550; high +40 -> 630.
    assert p.loc["paid", "projected_low"] == pytest.approx(550)
    assert p.loc["paid", "projected_high"] == pytest.approx(630)
    assert p.loc["cost_usd", "projected"] == pytest.approx(590 * 0.0625)
    figures = ConsumptionReport(b, "en").figures()
    assert figures["partial"] is True and figures["projection.paid"] == 590


def test_the_projection_carries_the_headline_cost_forward(tmp_path, params_dir):
    # Meta's pricing analytics fetched without the `country` dimension: Meta gives the cost
    # (US$ 6.25 for 100 marketing messages a day, Mon 2 .. Fri 6 November 2026), our estimate
    # has no market to price them (not available). November, as of Mon 9: observed Sun 1 ..
    # Sun 8 (8 days), 22 remain.
    points = [{"start": unix(f"2026-11-{day:02d}T03:00:00+00:00"),
               "end": unix(f"2026-11-{day + 1:02d}T03:00:00+00:00"),
               "phone_number": "551140000001", "pricing_type": "REGULAR",
               "pricing_category": "MARKETING", "volume": 100, "cost": 6.25}
              for day in range(2, 7)]
    write(tmp_path / "sources/acme/pricing_analytics/november.json",
          json.dumps({"data": [{"data_points": points}]}))
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    assert [r.rows_loaded for r in results] == [5]
    report = ConsumptionReport(build(tmp_path, tmp_path / "wh.duckdb", ACME, "2026-11",
                                     date(2026, 11, 9)), "en")
    f = report.figures()
    # The headline so far: Meta's 5 x 6.25 = 31.25 (our estimate: not available).
    assert f["cost_usd.headline"] == pytest.approx(31.25) and f["cost_usd.total"] is None
    # Remaining: Mondays 9, 16, 23, 30 (4) and Tue-Fri x 3 at 6.25 each (their one observed
    # day) = 16 x 6.25 = 100; Sat 14, 21, 28 at 0 (Sat 7); Sun 15, 22, 29 at 0 (Sun 1, 8).
    # 31.25 + 100 = 131.25; one value per weekday, so the band is the same amount.
    assert f["projection.cost_usd"] == pytest.approx(131.25)
    assert f["projection.cost_usd_low"] == f["projection.cost_usd_high"] == pytest.approx(131.25)
    text = " ".join(report.projection().prose)
    assert "$131.25" in text and "So far: $31.25 over 8 complete days; 22 days to go" in text


def test_an_open_month_with_no_complete_day_is_not_said_closed(tmp_path, empty_warehouse):
    # November as of Sun 1: Meta's analytics already hold the as-of day (not complete), no day
    # of the month is complete, so there is no run rate to project: the month is open, and the
    # section said "The period is closed".
    path, con = empty_warehouse
    priced(con, "acme", "2026-11-01T03:00:00+00:00", "MARKETING", "REGULAR", 7)
    con.close()
    report = ConsumptionReport(build(tmp_path, path, ACME, "2026-11", date(2026, 11, 1)), "en")
    assert report.projection().prose == [
        "No day of the period is complete yet: the projection appears once its first day is."]
    assert "projection.cost_usd" not in report.figures()
    # Nor is there a busiest day or a daily mean (it said "the daily mean was 0").
    assert report.daily().prose[0] == ("No day of the period is complete yet; November 1, "
                                       "2026 has 7 messages so far.")


def test_closed_period_has_no_projection(tmp_path, empty_warehouse):
    path, con = empty_warehouse
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "MARKETING", "REGULAR", 3)
    con.close()
    b = build(tmp_path, path, ACME, "2026-10", date(2026, 11, 20))
    assert b.table("consumption_projection").empty
    assert "projection.cost_usd" not in ConsumptionReport(b, "en").figures()


def test_bundle_holds_only_its_tenant(tmp_path, empty_warehouse):
    path, con = empty_warehouse
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "MARKETING", "REGULAR", 3)
    priced(con, "beta", "2026-10-05T00:00:00+00:00", "MARKETING", "REGULAR", 500,
           phone="552130000002")
    con.close()
    b = build(tmp_path, path, ACME, "2026-10", date(2026, 11, 20))
    assert b.table("consumption_by_phone")["phone_number"].unique().tolist() == ["551140000001"]
    assert ConsumptionReport(b, "en").figures()["total"] == 3
    # One number carries the whole volume: named (its label, when the tenant gives one), not
    # "Active numbers: 1; … carries 100.0% of the volume".
    assert ConsumptionReport(b, "en").by_phone().prose[0].startswith("One active number: +55 ")
    assert ConsumptionReport(b, "pt-BR").by_phone().prose[0].startswith("Um número ativo: +55 ")
    import duckdb

    bundle_con = duckdb.connect(str(b.path), read_only=True)
    tables = [r[0] for r in bundle_con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()]
    bundle_con.close()
    assert "pricing_daily" not in tables and "notifications" not in tables


def test_unknown_tenant_in_warehouse_is_refused(tmp_path, empty_warehouse):
    from reportlib.errors import ReportError
    from reportlib.params import TenantParams

    path, con = empty_warehouse
    con.close()
    with pytest.raises(ReportError, match="unknown tenant 'ghost'"):
        build(tmp_path, path, TenantParams("ghost", "Ghost"), "2026-10", date(2026, 11, 20))


def test_headline_cost_is_metas_where_reported_and_our_estimate_elsewhere(tmp_path,
                                                                            empty_warehouse):
    path, con = empty_warehouse
    # Day 5: Meta reports US$ 6.30 for 100 marketing messages (our card says 100 x 0.0625 =
    # 6.25). Day 6: Meta's analytics carry no cost yet; 10 marketing messages -> 0.625.
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "MARKETING", "REGULAR", 100, cost=6.30)
    priced(con, "acme", "2026-10-06T03:00:00+00:00", "MARKETING", "REGULAR", 10)
    con.close()
    report = ConsumptionReport(build(tmp_path, path, ACME, "2026-10", date(2026, 11, 20)))
    f = report.figures()
    assert f["cost_usd.total"] == pytest.approx(6.875)  # our estimate, every day
    assert f["cost_usd.headline"] == pytest.approx(6.925)  # 6.30 (Meta) + 0.625 (ours)
    assert f["cost_usd.headline_estimated"] == pytest.approx(0.625)
    assert f["cost_usd.headline_source"] == "mixed"
    text = " ".join(report.summary().prose)
    assert "US$\xa06,92" in text and "informados pela Meta" in text


def test_headline_cost_is_metas_when_meta_reports_every_day(tmp_path, empty_warehouse):
    path, con = empty_warehouse
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "MARKETING", "REGULAR", 100, cost=6.30)
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "SERVICE", "FREE_CUSTOMER_SERVICE", 5)
    con.close()
    f = ConsumptionReport(build(tmp_path, path, ACME, "2026-10", date(2026, 11, 20))).figures()
    # The free service point has no Meta cost, but nothing to estimate either: still Meta's.
    assert (f["cost_usd.headline"], f["cost_usd.headline_source"]) == (6.3, "meta")


def test_earlier_rate_rows_are_marked_low_confidence(tmp_path, empty_warehouse):
    from reportlib.domain import pricing

    path, con = empty_warehouse
    # August 2025, PMP: 100 marketing messages to the US. The rate card's North America row
    # from 2025-07-01 (secondary sources, confidence low) gives 0.0250 -> 2.50; before those
    # rows it fell back to Other's 0.0604.
    priced(con, "acme", "2025-08-05T03:00:00+00:00", "MARKETING", "REGULAR", 100, country="US")
    con.close()
    rows = pricing.load_rate_card()
    assert {r.confidence for r in rows} == {"high", "low"}
    b = build(tmp_path, path, ACME, "2025-08", date(2025, 9, 20))
    report = ConsumptionReport(b)
    assert report.figures()["cost_usd.total"] == pytest.approx(2.5)
    cost = b.table("consumption_cost")
    assert cost["low_confidence"].tolist() == [True]
    assert "fonte secundária" in report.cost().body


def test_pmp_tier_rates_read_from_metas_analytics(tmp_path, empty_warehouse):
    path, con = empty_warehouse
    # October 2026, Brazil utility (card rate 0.0068). Meta's pricing analytics:
    #   day 5, tier 0:250000, 1,000 messages for US$ 6.80 (0.0068 a message);
    #   day 6, tier 250001:2000000, 3,000 messages for US$ 15.30 (0.0051 a message);
    #   day 7, tier 250001:2000000, 2,000 messages, no cost yet (Meta has not reported it).
    # Our estimate: day 5 = 6.80 and day 6 = 15.30 (Meta's, to the cent); day 7 at the tier's
    # rate Meta applied this month, 15.30 / 3,000 = 0.0051 -> 2,000 x 0.0051 = 10.20.
    # Total 32.30 (the card alone would say 6,000 x 0.0068 = 40.80).
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "UTILITY", "REGULAR", 1000, cost=6.80,
           tier="0:250000")
    priced(con, "acme", "2026-10-06T03:00:00+00:00", "UTILITY", "REGULAR", 3000, cost=15.30,
           tier="250001:2000000")
    priced(con, "acme", "2026-10-07T03:00:00+00:00", "UTILITY", "REGULAR", 2000,
           tier="250001:2000000")
    # Marketing has no tiers: the card's rate (100 x 0.0625 = 6.25).
    priced(con, "acme", "2026-10-07T03:00:00+00:00", "MARKETING", "REGULAR", 100)
    con.close()
    b = build(tmp_path, path, ACME, "2026-10", date(2026, 11, 20))
    daily = b.table("consumption_daily").groupby("day")["our_cost_usd"].sum()
    ours = {day.day: cost for day, cost in daily.items()}
    assert ours[5] == pytest.approx(6.80, abs=0.005)
    assert ours[6] == pytest.approx(15.30, abs=0.005)
    assert ours[7] == pytest.approx(10.20 + 6.25, abs=0.005)
    report = ConsumptionReport(b, "en")
    f = report.figures()
    assert f["cost_usd.total"] == pytest.approx(32.30 + 6.25)
    # Headline: Meta's 22.10 where reported, our 10.20 + 6.25 elsewhere.
    assert f["cost_usd.headline"] == pytest.approx(22.10 + 16.45)
    cost = b.table("consumption_cost")
    tiers = cost[cost.category == "utility"].set_index("tier")
    assert tiers.loc["250001:2000000", "rate_usd"] == pytest.approx(0.0051)
    assert bool(tiers.loc["250001:2000000", "tier_rate"])
    assert tiers.loc["250001:2000000", "meta_cost_usd"] == pytest.approx(15.30)
    # A tier reads as in the volume tiers section ("250,001 to 2,000,000", "2,000 or more").
    assert "Meta, tier 250,001 to 2,000,000" in report.cost().body
    assert "Meta, faixa 250.001 a 2.000.000" in ConsumptionReport(b, "pt-BR").cost().body
    assert report._tier("2000:") == "2,000 or more"


def test_a_shown_cost_difference_is_that_of_the_two_amounts_shown(tmp_path, empty_warehouse):
    """Money is shown in cents, and the difference beside two amounts is theirs: a reader
    subtracts what is shown. By hand: 180 Brazilian utility messages at the card's 0.0068 =
    1.224, shown US$ 1,22; Meta reports 1.226, shown US$ 1,23; the difference shown is
    1,23 − 1,22 = 0,01 (1.226 − 1.224 = 0.002 showed US$ 0,00)."""
    path, con = empty_warehouse
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "UTILITY", "REGULAR", 180, cost=1.226)
    con.close()
    report = ConsumptionReport(build(tmp_path, path, ACME, "2026-10", date(2026, 11, 20)))
    assert report.figures()["cost_usd.total"] == pytest.approx(1.224)
    section = report.cost()
    cell = "<td[^>]*>([^<]*)</td>"
    [row] = re.findall(f"<tr>{cell * 9}</tr>", section.body.replace("\n", ""))
    assert row[-3:] == ("US$\xa01,22", "US$\xa01,23", "US$\xa00,01")
    assert ("Nossa estimativa: US$\xa01,22; custo informado pela Meta: US$\xa01,23 "
            "(diferença de US$\xa00,01).") in " ".join(section.prose)


ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def test_the_notes_write_dates_as_the_readers_locale_does(tmp_path, empty_warehouse):
    """The note on Meta's analytics names the day the pricing changed (per-message from 1 July
    2025) in words, as every other note does, never as 2025-06-30."""
    path, con = empty_warehouse
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "MARKETING", "REGULAR", 3)
    con.close()
    b = build(tmp_path, path, ACME, "2026-10", date(2026, 11, 20))
    english = ConsumptionReport(b, "en").footnotes().notes
    assert ("Counts and Meta's cost come from Meta's analytics (of conversations until June "
            "30, 2025, of per-message pricing from July 1, 2025)") in english[0]
    portuguese = ConsumptionReport(b, "pt-BR").footnotes().notes
    assert ("(de conversas até 30 de junho de 2025, de preços por mensagem a partir de 1º de "
            "julho de 2025)") in portuguese[0]
    for note in english + portuguese:
        assert not ISO_DATE.search(note), note
        assert not re.search(r"\b\d{2}/\d{2}/\d{4}\b", note), note


def test_the_rate_card_note_says_what_the_cost_table_shows(tmp_path, empty_warehouse):
    """The note names the card's sources and the date of its latest price change (1 Jan 2026,
    North America), as that: not as the date since which every rate of the table is in force
    (Brazil's marketing rate dates from 1 June 2023). Secondary sources, and the mark of their
    rates, are named only when the cost table has such a rate: none in October 2026; one in
    August 2025, North America's rate from 1 July 2025 (confidence low)."""
    path, con = empty_warehouse
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "MARKETING", "REGULAR", 100)
    priced(con, "acme", "2025-08-05T03:00:00+00:00", "MARKETING", "REGULAR", 100, country="US")
    con.close()
    october = ConsumptionReport(build(tmp_path, path, ACME, "2026-10", date(2026, 11, 20)),
                                "en")
    assert "rate card, since 6/1/2023" in october.cost().body
    assert "secondary source" not in october.cost().body
    notes = october.footnotes().notes
    assert not any("secondary" in n or "in force since January 1, 2026 (" in n for n in notes)
    [note] = [n for n in notes if n.startswith("Rate source")]
    assert note == ("Rate source: Meta's published rate card, with its price changes up to "
                    "the latest, in force since January 1, 2026; rates exclude the provider's "
                    "mark-up.")
    august = ConsumptionReport(build(tmp_path, path, ACME, "2025-08", date(2025, 9, 20)), "en")
    assert "rate card, since 7/1/2025 (secondary source)" in august.cost().body
    [note] = [n for n in august.footnotes().notes if n.startswith("Rate source")]
    assert note.endswith("rates exclude the provider's mark-up. Rates marked “secondary "
                         "source” in the cost table come from secondary sources, not from "
                         "Meta's published card, and are less certain.")
    portuguese = ConsumptionReport(august.bundle, "pt-BR")
    assert "tabela, desde 01/07/2025 (fonte secundária)" in portuguese.cost().body
    [note] = [n for n in portuguese.footnotes().notes if n.startswith("Fonte das tarifas")]
    assert note == ("Fonte das tarifas: tabela de preços publicada pela Meta, com as mudanças "
                    "de preço até a mais recente, em vigor desde 1º de janeiro de 2026; as "
                    "tarifas não incluem a margem do provedor. As tarifas marcadas “fonte "
                    "secundária” na tabela de custo vêm de fontes secundárias, não da tabela "
                    "publicada pela Meta, e são menos seguras.")


def tier_update(region: str, category: str, tier: str, month: str, reached: str) -> str:
    """A volume tier update of Acme's account, in the shape of Meta's account_update example
    (tests/ingest/test_webhook_fields.py)."""
    return json.dumps({"object": "whatsapp_business_account", "entry": [{
        "id": "w-acme", "time": unix(reached), "changes": [{
            "field": "account_update",
            "value": {"event": "VOLUME_BASED_PRICING_TIER_UPDATE",
                      "volume_tier_info": {"effective_month": month, "pricing_category": category,
                                           "region": region, "tier": tier,
                                           "tier_update_time": unix(reached)}}}]}]})


def table_rows(body: str) -> list[tuple[str, ...]]:
    cell = "<td[^>]*>([^<]*)</td>"
    return re.findall(f"<tr>{cell * 4}</tr>", body.replace("\n", ""))


def test_volume_tiers_reached_in_the_month_in_the_readers_words(tmp_path, empty_warehouse,
                                                                params_dir):
    """Acme (São Paulo, UTC-3) reached three tiers in October 2026, one in November. By hand:
    Brazil utility 250001:2000000 at 02:30 UTC on 13 October is 23:30 on the 12th in São Paulo;
    Meta's REST_OF_LATIN_AMERICA is the card's Rest of Latin America, its open tier
    2000001:MAX is "2,000,001 or more"; INDIA, a market the card does not have, is India (Índia
    in pt-BR). A
    month without tier updates (September) shows nothing; a range of days from 15 October
    leaves out what was reached before it."""
    path, con = empty_warehouse
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "UTILITY", "REGULAR", 1000, cost=6.80,
           tier="0:250000")
    con.close()
    write(tmp_path / "sources/acme/whatsapp_webhooks/account.jsonl", "\n".join([
        tier_update("BRAZIL", "UTILITY", "250001:2000000", "2026-10", "2026-10-13T02:30:00+00:00"),
        tier_update("REST_OF_LATIN_AMERICA", "AUTHENTICATION", "2000001:MAX", "2026-10",
                    "2026-10-20T15:00:00+00:00"),
        tier_update("INDIA", "UTILITY", "25000001:50000000", "2026-10",
                    "2026-10-25T12:00:00+00:00"),
        tier_update("BRAZIL", "UTILITY", "2000001:10000000", "2026-11",
                    "2026-11-03T12:00:00+00:00")]) + "\n")
    [result] = ingest.ingest(tmp_path / "sources", path, params_dir)
    assert (result.rows_loaded, result.rows_rejected) == (4, 0)
    october = build(tmp_path, path, ACME, "2026-10", date(2026, 11, 20))
    portuguese = ConsumptionReport(october, "pt-BR").volume_tiers()
    assert portuguese.title == "Faixas de volume alcançadas"
    assert portuguese.prose == [
        "Neste período a Meta informou 3 mudanças de faixa de volume: quanto mais mensagens "
        "entregues no mês num mercado e categoria, menor a tarifa das seguintes.",
        "Cada linha dá a faixa alcançada, em mensagens entregues no mês, e o dia em que foi "
        "alcançada (fuso de São Paulo)."]
    assert re.findall("<th[^>]*>([^<]*)</th>", portuguese.body) == [
        "Mercado", "Categoria", "Faixa (mensagens entregues no mês)", "Alcançada em"]
    assert table_rows(portuguese.body) == [
        ("Brasil", "Utilidade", "250.001 a 2.000.000", "12/10/2026"),
        ("Resto da América Latina", "Autenticação", "2.000.001 ou mais", "20/10/2026"),
        ("Índia", "Utilidade", "25.000.001 a 50.000.000", "25/10/2026")]
    english = ConsumptionReport(october, "en").volume_tiers()
    assert english.title == "Volume tiers reached"
    assert english.prose[1] == ("Each row gives the tier reached, in messages delivered in the "
                                "month, and the day it was reached (Sao Paulo time zone).")
    assert table_rows(english.body) == [
        ("Brazil", "Utility", "250,001 to 2,000,000", "10/12/2026"),
        ("Rest of Latin America", "Authentication", "2,000,001 or more", "10/20/2026"),
        ("India", "Utility", "25,000,001 to 50,000,000", "10/25/2026")]
    for section in (portuguese, english):  # no code of Meta's or ours reaches the reader
        text = " ".join([*section.prose, *(c for row in table_rows(section.body) for c in row)])
        for internal in ("BRAZIL", "REST_OF", "INDIA", "UTILITY", "MAX", "25000001", "_"):
            assert internal not in text, internal
    november = ConsumptionReport(build(tmp_path, path, ACME, "2026-11", date(2026, 12, 20)),
                                 "en").volume_tiers()
    assert english.prose[0].startswith("In this period Meta reported 3 volume tier changes")
    assert november.prose[0].startswith("In this period Meta reported one volume tier change:")
    assert table_rows(november.body) == [("Brazil", "Utility", "2,000,001 to 10,000,000",
                                          "11/3/2026")]
    # A range of days lists the tiers reached in it: not Brazil's of 12 October, reached
    # before the range starts in the same month.
    span = ConsumptionReport(build(tmp_path, path, ACME, "2026-10-15..2026-11-14",
                                   date(2026, 12, 20)), "en").volume_tiers()
    assert [row[3] for row in table_rows(span.body)] == ["10/20/2026", "10/25/2026", "11/3/2026"]
    assert span.prose[0].startswith("In this period Meta reported 3 volume tier changes")
    # September: no tier update, no section (the notebook's cell shows nothing).
    assert ConsumptionReport(build(tmp_path, path, ACME, "2026-09", date(2026, 10, 20)),
                             "pt-BR").volume_tiers() is None


def test_a_tenant_billed_in_reais_sees_metas_cost_in_reais_and_no_dollar_estimate(
        tmp_path, empty_warehouse):
    """Meta's analytics report cost in the currency Meta bills the account in. A tenant
    billed in BRL: day 5, Meta reports R$ 31,25 for 100 marketing messages; day 6, 10
    messages without cost yet. The shipped card is in US dollars only, so nothing is
    estimated (no rate in reais: not available, never US$ 0,0625 read as reais) and Meta's
    amount shows as R$, never as US$."""
    import dataclasses

    path, con = empty_warehouse
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "MARKETING", "REGULAR", 100, cost=31.25)
    priced(con, "acme", "2026-10-06T03:00:00+00:00", "MARKETING", "REGULAR", 10)
    con.close()
    reais = dataclasses.replace(ACME, currency="BRL")
    b = build(tmp_path, path, reais, "2026-10", date(2026, 11, 20))
    report = ConsumptionReport(b)
    f = report.figures()
    assert f["cost_usd.total"] is None and f["paid_without_estimate"] == 110
    assert f["meta_cost_usd.total"] == pytest.approx(31.25)
    body = report.cost().body + report.summary().body
    assert "R$\xa031,25" in body and "US$" not in body
    assert "Tarifa (R$)" in report.cost().body
    [note] = [n for n in report.footnotes().notes if n.startswith("Fonte das tarifas")]
    assert "não tem tarifas em real brasileiro (R$)" in note
    assert report.published_figures()["currency"] == "BRL"
    prose = " ".join(report.cost().prose + report.summary().prose)
    assert ("Fora da comparação: 110 pagas sem custo estimado, pelas quais a Meta informou "
            "R$\xa031,25.") in prose
    assert "a tabela de preços não tem tarifas em real brasileiro (R$)" in prose
    # The same account with a card that has a rate in reais (0,3125 a message): estimated
    # 110 x 0,3125 = R$ 34,375; a tenant billed in dollars is still priced at US$ 0.0625.
    from reportlib.domain import pricing

    card = pricing.load_rate_card() + [pricing.RateRow(
        "Brazil", "marketing", date(2025, 7, 1), 0.3125, True, "Meta rate card", "high", "BRL")]
    out = tmp_path / "reais.duckdb"
    bundle.build(path, reais, calendar.parse_period("2026-10"), date(2026, 11, 20), out,
                 rate_card=card)
    assert ConsumptionReport(Bundle.open(out)).figures()["cost_usd.total"] == pytest.approx(
        34.375)
    out = tmp_path / "dollars.duckdb"
    bundle.build(path, ACME, calendar.parse_period("2026-10"), date(2026, 11, 20), out,
                 rate_card=card)
    assert ConsumptionReport(Bundle.open(out)).figures()["cost_usd.total"] == pytest.approx(
        6.875)


def test_the_estimate_is_set_against_metas_cost_of_the_same_rows_only(tmp_path,
                                                                      empty_warehouse):
    """Like for like. Brazil: 100 marketing messages, our 100 x 0.0625 = 6.25 against Meta's
    6.30. 20 more with no country in Meta's data (no market, so no rate): Meta says 2.00. The
    comparison is 6.25 against 6.30 (difference 0.05), and the 20 are said apart, never 6.25
    against 8.30 (a difference of 2.05 that is only the rows we could not price)."""
    path, con = empty_warehouse
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "MARKETING", "REGULAR", 100, cost=6.30)
    priced(con, "acme", "2026-10-05T03:00:00+00:00", "MARKETING", "REGULAR", 20, cost=2.00,
           country=None)
    con.close()
    b = build(tmp_path, path, ACME, "2026-10", date(2026, 11, 20))
    prose = " ".join(ConsumptionReport(b, "en").cost().prose)
    assert ("Where both exist: our estimate $6.25; cost reported by Meta $6.30 (difference "
            "$0.05).") in prose
    assert ("Left out of the comparison: 20 paid units with no estimated cost, for which Meta "
            "reported $2.00.") in prose
    assert "8.30" not in prose and "2.05" not in prose
    pt = " ".join(ConsumptionReport(b, "pt-BR").cost().prose)
    assert "Fora da comparação: 20 pagas sem custo estimado, pelas quais a Meta informou " \
           "US$\xa02,00." in pt


def test_the_projection_table_names_its_rows_as_the_report_counts_them(tmp_path,
                                                                      empty_warehouse):
    """varejo_sul's November projection read "Custo (US$)" beside "US$ 362,43" and "Unidades
    pagas" / "Unidades (todas)" where every other table and sentence of the report counts
    "mensagens": a period priced per message names its rows in messages, and the cost row
    does not repeat the currency its amounts carry."""
    path, con = empty_warehouse
    for day, n in zip(range(1, 7), (10, 20, 20, 20, 20, 30), strict=True):
        priced(con, "acme", f"2026-11-{day:02d}T03:00:00+00:00", "MARKETING", "REGULAR", n)
    con.close()
    b = build(tmp_path, path, ACME, "2026-11", date(2026, 11, 7))
    for locale, labels in (("pt-BR", ["Custo", "Mensagens pagas", "Mensagens (todas)"]),
                           ("en", ["Cost", "Paid messages", "All messages"])):
        body = ConsumptionReport(b, locale).projection().body
        rows = re.findall(r"<tr><td[^>]*>(.*?)</td>", body)
        assert [re.sub(r"<[^>]+>", "", r) for r in rows] == labels
