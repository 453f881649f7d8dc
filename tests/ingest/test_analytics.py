"""Meta's analytics as Meta returns them: any subset of dimensions, UNKNOWN, half-hour / daily /
monthly points, overlapping files, tiers; consumption figures worked out by hand.

Where an example comes from Meta's documentation, the test says where; Meta's placeholders
(PHONE-NUMBER, WHATSAPP-BUSINESS-ACCOUNT-ID, masked digits) are replaced by the test tenant's
number and WABA, nothing else is changed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from reportlib import ingest
from reportlib.domain import calendar
from reportlib.marts import bundle
from reportlib.marts.bundle import Bundle
from tests.conftest import ACME, write

PHONE = "551140000001"  # ACME's number (+55 11 4000-0001)

# Graph API reference, WhatsApp Business Account > conversation_analytics, "Response"
# (developers.facebook.com/docs/graph-api/reference/whats-app-business-account/
# conversation_analytics/): DAILY, dimensions direction, type, country and phone; no category.
META_REFERENCE_DAILY = {
    "conversation_analytics": {"data": [{"data_points": [
        {"start": 1651698000, "end": 1651784400, "conversation": 281, "phone_number": PHONE,
         "country": "US", "conversation_type": "FREE_TIER",
         "conversation_direction": "BUSINESS_INITIATED", "cost": 0},
        {"start": 1652130000, "end": 1652216400, "conversation": 631, "phone_number": PHONE,
         "country": "US", "conversation_type": "FREE_TIER",
         "conversation_direction": "BUSINESS_INITIATED", "cost": 0},
    ]}]},
    "id": "w-acme",
}

# WhatsApp Business Management API, Analytics guide, conversation analytics example response
# (developers.facebook.com/docs/whatsapp/business-management-api/analytics): a MONTHLY point
# (February 2022) without the country dimension, with Meta's cost; no outer wrapper.
META_GUIDE_MONTHLY = {
    "conversation_analytics": {"data": [{"data_points": [
        {"start": 1643702400, "end": 1646121600, "conversation": 6250, "phone_number": PHONE,
         "conversation_type": "REGULAR", "conversation_direction": "BUSINESS_INITIATED",
         "cost": 55.0204},
    ]}]},
}


def ingest_files(tmp_path, params_dir, files: dict[str, object]):
    for rel, body in files.items():
        write(tmp_path / "sources/acme" / rel, json.dumps(body))
    return ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)


def consumption(tmp_path, period: str, as_of: date) -> dict:
    out = tmp_path / f"bundle-{period}.duckdb"
    bundle.build(tmp_path / "wh.duckdb", ACME, calendar.parse_period(period), as_of, out)
    df = Bundle.open(out).table("consumption_summary")
    return {
        "total": int(df["quantity"].sum()),
        "paid": None if df["paid"].isna().all() else int(df["paid"].sum()),
        "meta_cost": round(float(df["meta_cost_usd"].sum()), 4),
        "our_cost": (None if df["our_cost_usd"].isna().all()
                     else round(float(df["our_cost_usd"].sum()), 4)),
        "initiators": sorted(set(df["initiator"])),
    }


def test_meta_reference_daily_response_without_category(tmp_path, params_dir):
    [result] = ingest_files(tmp_path, params_dir,
                            {"conversation_analytics/meta_reference.json": META_REFERENCE_DAILY})
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 0)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT granularity, dimensions, category FROM conversations "
                       "GROUP BY ALL").fetchall() == [
        ("DAILY", "phone_number,country,conversation_type,conversation_direction", None)]
    con.close()
    # 281 + 631 free-tier conversations, all business-initiated; none paid; Meta's cost 0.
    assert consumption(tmp_path, "2022-05", date(2022, 6, 20)) == {
        "total": 912, "paid": 0, "meta_cost": 0.0, "our_cost": 0.0,
        "initiators": ["business"]}


def test_meta_guide_monthly_response_without_country(tmp_path, params_dir):
    [result] = ingest_files(tmp_path, params_dir,
                            {"conversation_analytics/meta_guide.json": META_GUIDE_MONTHLY})
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 0)
    # 6,250 regular conversations, paid; Meta says US$ 55.0204; without a country there is
    # no market, so our estimate is not available (never zero).
    assert consumption(tmp_path, "2022-02", date(2022, 3, 20)) == {
        "total": 6250, "paid": 6250, "meta_cost": 55.0204, "our_cost": None,
        "initiators": ["business"]}


def point(day: int, n: int, **dims) -> dict:
    start = 1790823600 + (day - 1) * 86400  # 2026-10-01T03:00Z, midnight in São Paulo
    return {"start": start, "end": start + 86400, "volume": n, **dims}


def test_overlapping_views_are_never_added(tmp_path, params_dir):
    """The same October messages by phone and category (daily), by category only (daily), by
    nothing (half-hour) and as a month, none filtered (each day and the month have the same
    total in every view): each day counts once, from its most detailed view."""
    by_phone = [point(1, 10, phone_number=PHONE, pricing_category="MARKETING",
                      pricing_type="REGULAR"),
                point(1, 4, phone_number=PHONE, pricing_category="UTILITY",
                      pricing_type="REGULAR"),
                point(2, 6, phone_number=PHONE, pricing_category="MARKETING",
                      pricing_type="REGULAR")]
    by_category = [point(1, 14, pricing_category="MARKETING"),  # disagrees: not used on day 1
                   point(2, 6, pricing_category="MARKETING"),
                   point(3, 9, pricing_category="UTILITY")]  # day 3 only here
    half_hours = [{"start": 1790823600 + i * 1800, "end": 1790823600 + (i + 1) * 1800,
                   "volume": 1} for i in range(14)]  # day 1 again, 14 in total
    month = [{"start": 1790823600, "end": 1790823600 + 31 * 86400, "volume": 29}]
    results = ingest_files(tmp_path, params_dir, {
        "pricing_analytics/a_by_phone.json": {"data": [{"data_points": by_phone}]},
        "pricing_analytics/b_by_category.json": {"data": [{"data_points": by_category}]},
        "pricing_analytics/c_half_hour.json": {"data": [{"data_points": half_hours}]},
        "pricing_analytics/d_month.json": {"data": [{"data_points": month}]},
    })
    assert [(r.rows_loaded, r.rows_rejected) for r in results] == [(3, 0), (3, 0), (14, 0),
                                                                    (1, 0)]
    # Day 1: by phone 10 + 4; day 2: by phone 6; day 3: by category 9. The half-hour view of
    # day 1 has fewer dimensions; the month's 29 is no more than its days' 14 + 6 + 9 = 29.
    got = consumption(tmp_path, "2026-10", date(2026, 11, 20))
    assert got["total"] == 29
    # Day 3's view has no pricing type: what was paid that day is not known.
    assert got["paid"] == 20


def test_month_only_month_counts_once(tmp_path, params_dir):
    month = [{"start": 1790823600, "end": 1790823600 + 31 * 86400, "volume": 999,
              "pricing_type": "REGULAR", "pricing_category": "MARKETING", "country": "BR"}]
    ingest_files(tmp_path, params_dir,
                 {"pricing_analytics/month.json": {"data": [{"data_points": month}]},
                  "pricing_analytics/month_again.json": {"data": [{"data_points": month}]}})
    # The same month in two files is one point; 999 marketing messages in Brazil at
    # US$ 0.0625 = 62.4375.
    got = consumption(tmp_path, "2026-10", date(2026, 11, 20))
    assert (got["total"], got["paid"], got["our_cost"]) == (999, 999, 62.4375)


def test_tier_is_part_of_a_point_and_referral_conversion_is_known(tmp_path, params_dir):
    day = dict(phone_number=PHONE, country="BR")
    points = [point(5, 5, pricing_type="REGULAR", pricing_category="MARKETING", tier="0:25000",
                    **day),
              point(5, 3, pricing_type="REGULAR", pricing_category="MARKETING",
                    tier="25001:100000", **day),
              point(5, 2, pricing_type="FREE_ENTRY_POINT", pricing_category="REFERRAL_CONVERSION",
                    **day),
              point(5, 1, pricing_type="UNKNOWN", pricing_category="UNKNOWN", **day)]
    [result] = ingest_files(tmp_path, params_dir,
                            {"pricing_analytics/tiers.json": {"data": [{"data_points": points}]}})
    assert (result.rows_loaded, result.rows_rejected) == (4, 0)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT tier, volume FROM pricing_daily WHERE category = 'marketing' "
                       "ORDER BY tier").fetchall() == [("0:25000", 5), ("25001:100000", 3)]
    con.close()
    got = consumption(tmp_path, "2026-10", date(2026, 11, 20))
    # 5 + 3 + 2 + 1 = 11 messages; the two tiers are both counted (8 paid marketing); the
    # referral conversion is free; the UNKNOWN one's payment is not known (not counted).
    assert (got["total"], got["paid"]) == (11, 8)
    assert "not_reported" in got["initiators"]


def test_groups_api_and_dynamic_categories_are_read_not_rejected(tmp_path, params_dir):
    """The `pricing_categories` and `pricing_types` Meta's pricing_analytics may return
    (the Graph API reference of the WABA's pricing_analytics field, and the enums of a client
    generated from Meta's API spec) include GROUP_MARKETING, GROUP_MARKETING_LITE,
    GROUP_UTILITY, GROUP_SERVICE, MARKETING_LITE_DYNAMIC and FREE_GROUP_CUSTOMER_SERVICE.
    They were rejected rows ("unknown category"): 68 of a day's 168 messages and US$ 3.06 of
    its US$ 9.31 lost. Worked out: 100 + 40 + 12 + 5 + 11 = 168 messages; paid are the
    REGULAR ones, 100 + 40 + 5 + 11 = 156 (the free group service window's 12 are free);
    Meta's cost 6.25 + 2.50 + 0 + 0.30 + 0.26 = 9.31."""
    day = dict(country="BR")
    points = [point(5, 100, pricing_type="REGULAR", pricing_category="MARKETING",
                    cost=6.25, **day),
              point(5, 40, pricing_type="REGULAR", pricing_category="GROUP_MARKETING",
                    cost=2.5, **day),
              point(5, 12, pricing_type="FREE_GROUP_CUSTOMER_SERVICE",
                    pricing_category="GROUP_SERVICE", cost=0, **day),
              point(5, 5, pricing_type="REGULAR", pricing_category="MARKETING_LITE_DYNAMIC",
                    cost=0.3, **day),
              point(5, 11, pricing_type="REGULAR", pricing_category="GROUP_UTILITY",
                    cost=0.26, **day)]
    [result] = ingest_files(tmp_path, params_dir,
                            {"pricing_analytics/groups.json": {"data": [{"data_points": points}]}})
    assert (result.rows_loaded, result.rows_rejected) == (5, 0)
    got = consumption(tmp_path, "2026-10", date(2026, 11, 20))
    assert (got["total"], got["paid"], got["meta_cost"]) == (168, 156, 9.31)
    # The free group window is the user's; the rest the business's.
    out = tmp_path / "bundle-2026-10.duckdb"
    df = Bundle.open(out).table("consumption_summary")
    by = df.groupby("category")["quantity"].sum().to_dict()
    assert by == {"marketing": 100, "group_marketing": 40, "group_service": 12,
                  "marketing_lite_dynamic": 5, "group_utility": 11}
    assert set(df.loc[df.category == "group_service", "initiator"]) == {"user"}
    from reportlib.look.i18n import t

    assert (t("group_marketing", "pt-BR"), t("FREE_GROUP_CUSTOMER_SERVICE", "en")) == (
        "Marketing em grupos", "Group customer service window")


def test_absent_or_unknown_dimension_is_not_a_bad_row(tmp_path, params_dir):
    points = [{"start": 1790823600, "end": 1790910000, "conversation": 3,
               "conversation_direction": "UNKNOWN", "conversation_category": "UNKNOWN"},
              {"start": 1790823600, "end": 1790910000, "conversation": 2,
               "conversation_type": "FREE_ENTRY"},
              {"start": 1790823600, "end": 1790910000, "conversation": 1,
               "conversation_type": "WEIRD"}]
    [result] = ingest_files(tmp_path, params_dir, {
        "conversation_analytics/c.json": {"conversation_analytics": {
            "data": [{"data_points": points}],
            "paging": {"cursors": {"before": "MAZDZD", "after": "MjQZD"}}}}})
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT conversation_type FROM conversations WHERE conversations = 2"
                       ).fetchall() == [("FREE_ENTRY_POINT",)]
    assert con.execute("SELECT field FROM rejected_rows").fetchall() == [
        ("data[0].data_points[2].conversation_type",)]
    con.close()


def test_by_phone_section_says_when_meta_gave_no_phone_dimension(tmp_path, params_dir):
    from reportlib.reports.consumption import ConsumptionReport

    month = [{"start": 1790823600, "end": 1790823600 + 31 * 86400, "volume": 999,
              "pricing_type": "REGULAR", "pricing_category": "MARKETING", "country": "BR"}]
    ingest_files(tmp_path, params_dir,
                 {"pricing_analytics/month.json": {"data": [{"data_points": month}]}})
    out = tmp_path / "bundle.duckdb"
    bundle.build(tmp_path / "wh.duckdb", ACME, calendar.parse_period("2026-10"),
                 date(2026, 11, 20), out)
    section = ConsumptionReport(Bundle.open(out)).by_phone()
    text = " ".join(section.prose)
    assert "999" in text and "por número de telefone" in text
    assert section.body == ""


def test_paid_units_without_a_rate_are_counted_apart(tmp_path, params_dir):
    from reportlib.reports.consumption import ConsumptionReport

    # February 2022: 6,250 paid conversations without a country, so without an estimate.
    ingest_files(tmp_path, params_dir,
                 {"conversation_analytics/meta_guide.json": META_GUIDE_MONTHLY})
    out = tmp_path / "bundle.duckdb"
    bundle.build(tmp_path / "wh.duckdb", ACME, calendar.parse_period("2022-02"),
                 date(2022, 3, 20), out)
    report = ConsumptionReport(Bundle.open(out))
    figures = report.figures()
    assert figures["paid_without_estimate"] == 6250
    assert "6.250 pagas não têm custo estimado" in " ".join(report.summary().prose)


def test_review_cases_other_waba_kept_regular_without_category_paid_unknown_said(
        tmp_path, params_dir):
    from reportlib.reports.consumption import ConsumptionReport

    day = point(7, 10, pricing_type="REGULAR", pricing_category="MARKETING", country="BR")
    # Two WABAs' responses for the same day, without the phone dimension: both kept.
    ingest_files(tmp_path, params_dir, {
        "pricing_analytics/waba_a.json": {"pricing_analytics": {"data": [
            {"data_points": [day]}]}, "id": "waba-a"},
        "pricing_analytics/waba_b.json": {"pricing_analytics": {"data": [
            {"data_points": [dict(day, volume=7)]}]}, "id": "waba-b"},
        # A regular message without a category is paid (service is never REGULAR); one
        # without a type has an unknown payment, said in the summary.
        "pricing_analytics/waba_c.json": {"pricing_analytics": {"data": [
            {"data_points": [point(8, 100, pricing_type="REGULAR", country="BR"),
                             point(9, 3, pricing_category="MARKETING", country="BR")]}]},
            "id": "waba-c"},
    })
    out = tmp_path / "bundle.duckdb"
    bundle.build(tmp_path / "wh.duckdb", ACME, calendar.parse_period("2026-10"),
                 date(2026, 11, 20), out)
    report = ConsumptionReport(Bundle.open(out))
    f = report.figures()
    # 10 + 7 on day 7; 100 on day 8; 3 on day 9. Paid: 10 + 7 + 100; 3 of unknown payment.
    assert (f["total"], f["paid"], f["paid_unknown"]) == (120, 117, 3)
    assert "Para 3 delas os dados da Meta não dizem o tipo de cobrança" in " ".join(
        report.summary().prose)


def test_daily_chart_keeps_units_of_unreported_origin(tmp_path, params_dir):
    from reportlib.reports.consumption import ConsumptionReport

    points = [point(3, 4, pricing_type="REGULAR", pricing_category="MARKETING"),
              point(3, 6, pricing_type="UNKNOWN", pricing_category="UNKNOWN")]
    ingest_files(tmp_path, params_dir,
                 {"pricing_analytics/p.json": {"data": [{"data_points": points}]}})
    out = tmp_path / "bundle.duckdb"
    bundle.build(tmp_path / "wh.duckdb", ACME, calendar.parse_period("2026-10"),
                 date(2026, 11, 20), out)
    report = ConsumptionReport(Bundle.open(out))
    # 3 Oct: 4 business-initiated + 6 whose origin Meta does not report = 10, the busiest day.
    assert "com 10 mensagens" in " ".join(report.daily().prose)


# Meta's examples, copied from its Analytics guide
# (developers.facebook.com/documentation/business-messaging/whatsapp/analytics), one file per
# example under meta_examples/: the phone number and the WABA id are the test tenant's (ACME's
# +55 11 4000-0001 and "w-acme"), everything else is as Meta shows it.
#   conversation_monthly_all_breakdowns.json  "Get monthly data, using all breakdowns"
#   conversation_monthly_type.json            "Get monthly data, using conversation type
#                                             breakdowns" (Meta shows it without the wrapper)
#   conversation_half_hour_category_type.json "Get half-hour data broken down by conversation
#                                             category and conversation type"
#   pricing_daily_tier.json                   "Pricing analytics", "Example response" (request
#                                             dimensions(PRICING_CATEGORY,PRICING_TYPE,TIER,
#                                             COUNTRY).country_codes(US,IN)); no outer wrapper
EXAMPLES = Path(__file__).parent / "meta_examples"


def meta_example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def without(body: dict, *names: str) -> dict:
    """The same response with `names` dropped from every data point: what Meta returns when
    those dimensions are not requested and no two points then share their other values."""
    field = next(iter(body))
    points = [{k: v for k, v in p.items() if k not in names}
              for p in body[field]["data"][0]["data_points"]]
    return {field: {"data": [{"data_points": points}]}}


def whole_report(tmp_path, period: str, as_of: date) -> dict:
    """Every section of the consumption report rendered (none may raise), and its figures."""
    from reportlib.reports.consumption import ConsumptionReport

    out = tmp_path / f"whole-{period}.duckdb"
    bundle.build(tmp_path / "wh.duckdb", ACME, calendar.parse_period(period), as_of, out)
    report = ConsumptionReport(Bundle.open(out))
    sections = [report.summary(), report.by_phone(), report.daily(), report.cost(),
                report.projection(), report.reconciliation()]
    report.header()
    report.footnotes()
    figures = report.figures()
    figures["prose"] = " ".join(" ".join(s.prose) for s in sections)
    figures["bodies"] = "".join(s.body for s in sections)
    return figures


def test_meta_monthly_all_breakdowns_is_one_view_of_nine_points(tmp_path, params_dir):
    """Meta's "Get monthly data, using all breakdowns": only the first of its nine points
    carries `conversation_direction` (UNKNOWN). The dimensions are the request's, so all nine
    points are one view and all of them count."""
    [result] = ingest_files(tmp_path, params_dir, {
        "conversation_analytics/all_breakdowns.json":
            meta_example("conversation_monthly_all_breakdowns.json")})
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 9, 0)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT DISTINCT dimensions FROM conversations").fetchall() == [
        ("phone_number,country,conversation_type,conversation_direction,"
         "conversation_category",)]
    con.close()
    f = whole_report(tmp_path, "2023-06", date(2023, 7, 20))
    # June 2023 (the month of the points' middle, in São Paulo).
    # Total: 1558 + 2636 + 2238 + 1782 (REGULAR) + 1568 + 2716 + 2180 + 1465 (FREE_TIER)
    #        + 1433 (FREE_ENTRY_POINT) = 17,576.
    # Meta's cost: 15.58 + 26.36 + 22.38 + 17.82 + 15.68 + 27.16 + 21.80 + 14.65 + 14.33
    #        = 175.76 (Meta's example prices free-tier points too; its figure is its own).
    # Paid: the REGULAR ones, 1558 + 2636 + 2238 + 1782 = 8,214 (the 2,180 FREE_TIER service
    #        conversations already use the month's 1,000 free ones); free 17,576 - 8,214 = 9,362.
    # Initiator: no direction (or UNKNOWN), so it follows the category: service is the
    #        user's, 2238 + 2180 + 1433 = 5,851; the rest the business's, 11,725.
    # Our cost: US (North America) has no rate on the card before 2024-08-01: not available.
    assert (f["total"], f["paid"], f["free"]) == (17576, 8214, 9362)
    assert (f["business_initiated"], f["user_initiated"]) == (11725, 5851)
    assert f["meta_cost_usd.total"] == pytest.approx(175.76)
    assert f["cost_usd.headline"] == pytest.approx(175.76)
    assert f["paid_without_estimate"] == 8214
    assert f["cost_usd.total"] is None


# Responses without `country` (no market, so no estimate) and without other dimensions.
NO_COUNTRY = {
    # Meta's "conversation type breakdowns", as Meta shows it (no wrapper), February 2022:
    # 8,500 REGULAR (paid) + 1,000 FREE_TIER + 250 FREE_ENTRY_POINT = 9,750; Meta's cost
    # 88.1010; no category and no direction, so the initiator is not reported.
    "type_monthly": ("conversation_analytics", "conversation_monthly_type.json", None,
                     "2022-02", date(2022, 3, 20),
                     {"total": 9750, "paid": 8500, "free": 1250, "meta": 88.101}),
    # The same response with the outer wrapper a saved API response has.
    "type_monthly_wrapped": ("conversation_analytics", "conversation_monthly_type.json",
                             "wrap", "2022-02", date(2022, 3, 20),
                             {"total": 9750, "paid": 8500, "free": 1250, "meta": 88.101}),
    # Meta's half-hour example by category and type, 31 May 2023 (07:00-08:00 in São Paulo):
    # 3 marketing + 2 authentication, both REGULAR (paid); Meta's cost 0.0432 + 0.0128 = 0.056.
    "half_hour": ("conversation_analytics", "conversation_half_hour_category_type.json", None,
                  "2023-05", date(2023, 6, 20),
                  {"total": 5, "paid": 5, "free": 0, "meta": 0.056}),
    # Meta's pricing example requested with dimensions(PRICING_CATEGORY,PRICING_TYPE) only:
    # the example's points without `country` and `tier` (no two of them then share day, type
    # and category). 26 messages; REGULAR: 2 + 1 + 1 + 1 + 1 + 1 + 4 + 1 = 12 paid; Meta's
    # cost 4.6 + 10 + 10 + 2.3 + 10 + 10 + 40 + 10 = 96.9.
    "pricing_type_category": ("pricing_analytics", "pricing_daily_tier.json", "no_country",
                              "2025-06", date(2025, 7, 20),
                              {"total": 26, "paid": 12, "free": 14, "meta": 96.9}),
}


@pytest.mark.parametrize("case", sorted(NO_COUNTRY))
def test_report_without_country_says_not_available_and_never_crashes(tmp_path, params_dir,
                                                                      case):
    kind, name, variant, period, as_of, want = NO_COUNTRY[case]
    body = meta_example(name)
    if variant == "wrap":
        body = {kind: body, "id": "w-acme"}
    elif variant == "no_country":
        body = without(body, "country", "tier")
    [result] = ingest_files(tmp_path, params_dir, {f"{kind}/{case}.json": body})
    assert (result.status, result.rows_rejected) == ("loaded", 0)
    f = whole_report(tmp_path, period, as_of)
    assert (f["total"], f["paid"], f["free"]) == (want["total"], want["paid"], want["free"])
    assert f["meta_cost_usd.total"] == pytest.approx(want["meta"])
    assert f["cost_usd.headline"] == pytest.approx(want["meta"])  # Meta's, where it gives one
    # Without a country there is no market: every paid unit lacks an estimate, and our
    # estimate is not available (None), never zero.
    assert f["paid_without_estimate"] == want["paid"]
    assert f["cost_usd.total"] is None
    # So is each category's that has paid units; one with free units only costs nothing.
    for category in ("marketing", "utility", "authentication", "authentication_international",
                     "marketing_lite"):
        if f.get(f"paid.{category}"):
            assert f[f"cost_usd.{category}"] is None
    assert f.get("cost_usd.service", 0.0) == 0.0
    assert "nossa estimativa: não disponível" in f["prose"]


def test_tier_and_no_tier_responses_of_the_same_days_count_once(tmp_path, params_dir):
    """Meta's pricing example (dimensions with TIER) and the same request without TIER (Meta
    then omits `tier` on every point): two views of the same days, never added."""
    tiers = meta_example("pricing_daily_tier.json")
    results = ingest_files(tmp_path, params_dir, {
        "pricing_analytics/a_with_tier.json": tiers,
        "pricing_analytics/b_without_tier.json": without(tiers, "tier")})
    assert [(r.rows_loaded, r.rows_rejected) for r in results] == [(14, 0), (14, 0)]
    got = consumption(tmp_path, "2025-06", date(2025, 7, 20))
    # As the example alone: 2+2+2+1+1+6+1+1+2+1+1+1+4+1 = 26 messages; REGULAR (paid)
    # 2+1+1+1+1+1+4+1 = 12; Meta's cost 4.6+10+10+2.3+10+10+40+10 = 96.9. Every paid point
    # has a tier with Meta's cost, so our estimate is Meta's tier rate: 96.9 as well.
    assert (got["total"], got["paid"], got["meta_cost"], got["our_cost"]) == (
        26, 12, 96.9, 96.9)


def test_tier_response_loaded_after_the_one_without_tier_counts_once(tmp_path, params_dir):
    tiers = meta_example("pricing_daily_tier.json")
    ingest_files(tmp_path, params_dir, {
        "pricing_analytics/a_without_tier.json": without(tiers, "tier"),
        "pricing_analytics/b_with_tier.json": tiers})
    got = consumption(tmp_path, "2025-06", date(2025, 7, 20))
    assert (got["total"], got["paid"], got["meta_cost"], got["our_cost"]) == (
        26, 12, 96.9, 96.9)


def pages(body: dict) -> tuple[dict, dict]:
    """`body` as if Meta had answered in two pages, the second holding free points only (Meta
    leaves `tier` out of free points, so that page carries no `tier` at all)."""
    field = next(iter(body))
    points = body[field]["data"][0]["data_points"]
    free = [p for p in points if p["pricing_type"] != "REGULAR"]
    second = free[len(free) // 2:]
    first = [p for p in points if p not in second]
    return ({field: {"data": [{"data_points": first}], "paging": {"cursors": {
                "after": "MTAxNTExOTQ1MjAwNzI5NDE="}, "next": "https://graph.facebook.com/"}}},
            {field: {"data": [{"data_points": second}]}})


def test_a_response_saved_page_by_page_counts_every_page(tmp_path, params_dir):
    """Meta's pricing example (with TIER) saved as two pages, the second of free points only:
    its file has no `tier`, and it was taken for another view of the same days, so of each
    day only one page counted. Both pages are one response: the example's 26 messages, 12
    paid, Meta's 96.9. Saved again whole beside them, every point still counts once."""
    tiers = meta_example("pricing_daily_tier.json")
    first, second = pages(tiers)
    assert all("tier" not in p for p in second["pricing_analytics"]["data"][0]["data_points"])
    ingest_files(tmp_path, params_dir, {"pricing_analytics/page_2.json": second,
                                        "pricing_analytics/page_1.json": first})
    got = consumption(tmp_path, "2025-06", date(2025, 7, 20))
    assert (got["total"], got["paid"], got["meta_cost"]) == (26, 12, 96.9)
    ingest_files(tmp_path, params_dir, {"pricing_analytics/whole.json": tiers})
    got = consumption(tmp_path, "2025-06", date(2025, 7, 20))
    assert (got["total"], got["paid"], got["meta_cost"]) == (26, 12, 96.9)


# Filtered requests. Meta's analytics accept filters (`country_codes`, `phone_numbers`,
# `conversation_types`, `pricing_categories`, ...) and a filtered response does not say so: it
# just has fewer points. Meta's pricing example above is one (`country_codes(US,IN)`). A filter
# only removes volume, so of the views of a day the one with the largest total is used (then the
# one with more dimensions), and a month's view is used instead of the finer ones of its month
# when its total is larger than theirs.

def plus(body: dict, start: int, pricing_type: str, category: str, volume: int,
         cost: float) -> dict:
    """`body` with `volume` messages (Meta's `cost`) more on the day starting at `start`, of
    the type and category given: added to that day's point of the same type and category, or
    a point of its own. What a response without `country` shows of the WABA's other countries."""
    field = next(iter(body))
    points = [dict(p) for p in body[field]["data"][0]["data_points"]]
    for p in points:
        if (p["start"], p.get("pricing_type"), p.get("pricing_category")) == (
                start, pricing_type, category):
            p["volume"] += volume
            p["cost"] = round(p["cost"] + cost, 6)
            break
    else:
        points.append({"start": start, "end": start + 86400, "pricing_type": pricing_type,
                       "pricing_category": category, "volume": volume, "cost": cost})
    return {field: {"data": [{"data_points": points}]}}


def test_filtered_response_with_more_dimensions_never_replaces_a_complete_one(tmp_path,
                                                                               params_dir):
    """Meta's pricing example is filtered to the US and India; the same days requested by
    type and category only, with no filter, also count the WABA's messages to Brazil. The
    complete file gives the totals, and the split by country is not available on those days
    (never the US and India alone shown as the whole)."""
    filtered = meta_example("pricing_daily_tier.json")
    complete = without(filtered, "country", "tier")
    # Brazil's messages of each of the example's days (Meta's days start at 07:00 UTC).
    for start, kind, category, volume, cost in [
            (1748761200, "REGULAR", "MARKETING", 100, 6.25),              # 1 June
            (1748847600, "REGULAR", "UTILITY", 50, 0.40),                 # 2 June
            (1748934000, "REGULAR", "MARKETING", 20, 1.25),               # 3 June
            (1749106800, "FREE_CUSTOMER_SERVICE", "SERVICE", 30, 0.0),    # 5 June
            (1749193200, "REGULAR", "MARKETING", 10, 0.625)]:             # 6 June
        complete = plus(complete, start, kind, category, volume, cost)
    ingest_files(tmp_path, params_dir, {
        "pricing_analytics/a_complete.json": complete,
        "pricing_analytics/b_us_and_india.json": filtered})
    f = whole_report(tmp_path, "2025-06", date(2025, 7, 20))
    # Each day the complete file has more: 1 June 10 + 100 = 110 against 10; 2 June 9 + 50 =
    # 59 against 9; 3 June 1 + 20 = 21 against 1; 5 June 4 + 30 = 34 against 4; 6 June 2 + 10
    # = 12 against 2. Total 26 + 210 = 236; paid 12 + 100 + 50 + 20 + 10 = 192; Meta's cost
    # 96.9 + 6.25 + 0.40 + 1.25 + 0.625 = 105.425. (The filtered file alone: 26, 12, 96.9.)
    assert (f["total"], f["paid"]) == (236, 192)
    assert f["meta_cost_usd.total"] == pytest.approx(105.425)
    # Without `country` no paid message has a market: our estimate is not available, and no
    # row of the cost table names a market (none shows the US and India as if they were all).
    assert f["paid_without_estimate"] == 192
    assert f["cost_usd.total"] is None
    cost = Bundle.open(tmp_path / "whole-2025-06.duckdb").table("consumption_cost")
    assert cost["market"].isna().all()


def test_finer_view_with_the_same_totals_is_used(tmp_path, params_dir):
    """Meta's pricing example and the same request without COUNTRY and TIER (and the same
    filter): the same total every day, so nothing was filtered out of the finer view, and the
    finer one is used, with its split by country."""
    example = meta_example("pricing_daily_tier.json")
    ingest_files(tmp_path, params_dir, {
        "pricing_analytics/a_by_type.json": without(example, "country", "tier"),
        "pricing_analytics/b_by_country.json": example})
    got = consumption(tmp_path, "2025-06", date(2025, 7, 20))
    # As the example alone: 26 messages, 12 paid, Meta's cost 96.9, and our estimate 96.9
    # (Meta's tier rates, which need the country: the view without it has none).
    assert (got["total"], got["paid"], got["meta_cost"], got["our_cost"]) == (
        26, 12, 96.9, 96.9)


# February 2022 in São Paulo (UTC-3): each day starts at 03:00 UTC.
FEBRUARY_2022 = {day: 1643684400 + (day - 1) * 86400 for day in range(1, 29)}


def conversation_day(day: int, n: int, kind: str, cost: float) -> dict:
    start = FEBRUARY_2022[day]
    return {"start": start, "end": start + 86400, "conversation": n, "country": "BR",
            "conversation_type": kind, "cost": cost}


def test_complete_month_beats_a_filtered_daily_file_inside_it(tmp_path, params_dir):
    """Meta's "conversation type breakdowns" month (February 2022, 9,750 conversations) and a
    daily file of two days of that month by type and country, filtered to REGULAR
    conversations (`conversation_types(["REGULAR"])`): the month is used, never both."""
    filtered = {"conversation_analytics": {"data": [{"data_points": [
        conversation_day(10, 40, "REGULAR", 0.4), conversation_day(11, 35, "REGULAR", 0.35)]}]},
        "id": "w-acme"}
    ingest_files(tmp_path, params_dir, {
        "conversation_analytics/a_month.json": meta_example("conversation_monthly_type.json"),
        "conversation_analytics/b_filtered_days.json": filtered})
    got = consumption(tmp_path, "2022-02", date(2022, 3, 20))
    # The month, 8,500 + 1,000 + 250 = 9,750, against the days' 40 + 35 = 75: the month.
    # Paid: its 8,500 REGULAR; Meta's cost 88.101. (Both added would be 9,825.)
    assert (got["total"], got["paid"], got["meta_cost"]) == (9750, 8500, 88.101)


def test_complete_daily_files_are_used_instead_of_their_month(tmp_path, params_dir):
    """The same month and two daily files (1-14 and 15-28 February) by type and country that
    add up to the month's 9,750: the days are used, each on its own day, never added to the
    month."""
    first = [conversation_day(1, 4000, "REGULAR", 40.0),
             conversation_day(1, 1000, "FREE_TIER", 0.0),
             conversation_day(14, 100, "FREE_ENTRY_POINT", 0.0)]
    second = [conversation_day(15, 4500, "REGULAR", 48.101),
              conversation_day(28, 150, "FREE_ENTRY_POINT", 0.0)]
    ingest_files(tmp_path, params_dir, {
        "conversation_analytics/a_month.json": meta_example("conversation_monthly_type.json"),
        "conversation_analytics/b_first_half.json": {"conversation_analytics": {
            "data": [{"data_points": first}]}, "id": "w-acme"},
        "conversation_analytics/c_second_half.json": {"conversation_analytics": {
            "data": [{"data_points": second}]}, "id": "w-acme"}})
    got = consumption(tmp_path, "2022-02", date(2022, 3, 20))
    # 4,000 + 1,000 + 100 + 4,500 + 150 = 9,750, the month's total: the days are used.
    # Paid 4,000 + 4,500 = 8,500; Meta's cost 40 + 48.101 = 88.101. (Both: 19,500.)
    assert (got["total"], got["paid"], got["meta_cost"]) == (9750, 8500, 88.101)
    daily = Bundle.open(tmp_path / "bundle-2022-02.duckdb").table("consumption_daily")
    by_day = {d.date(): q for d, q in daily.groupby("day")["quantity"].sum().items()}
    # On their own days (the month would stand on 1 February alone): 1 Feb 5,000, 15 Feb 4,500.
    assert by_day[date(2022, 2, 1)] == 5000 and by_day[date(2022, 2, 15)] == 4500
    # and with the days' country: Brazil is the market of every row of the cost table.
    cost = Bundle.open(tmp_path / "bundle-2022-02.duckdb").table("consumption_cost")
    assert set(cost["market"]) == {"Brazil"}


def test_a_file_saved_again_replaces_its_old_points_of_the_days_it_spans(tmp_path, params_dir):
    """The same request saved again to the same file, later: Meta now gives day 2's 8
    messages as marketing only (its first answer said 6 marketing and 2 utility). By hand:
    day 1 = 10, day 2 = 8, total 18 (keeping the old utility point said 20). A later file
    overwritten with other days (day 5) is another answer: days 1 and 2 stay."""
    def body(*points):
        return {"data": [{"data_points": list(points)}]}

    first = body(point(1, 10, pricing_category="MARKETING"),
                 point(2, 6, pricing_category="MARKETING"),
                 point(2, 2, pricing_category="UTILITY"))
    ingest_files(tmp_path, params_dir, {"pricing_analytics/october.json": first})
    assert consumption(tmp_path, "2026-10", date(2026, 11, 20))["total"] == 18
    again = body(point(1, 10, pricing_category="MARKETING"),
                 point(2, 8, pricing_category="MARKETING"))
    [result] = ingest_files(tmp_path, params_dir, {"pricing_analytics/october.json": again})
    assert (result.status, result.rows_loaded) == ("loaded", 2)
    assert consumption(tmp_path, "2026-10", date(2026, 11, 20))["total"] == 18
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM pricing_daily WHERE category = 'utility'"
                       ).fetchone()[0] == 0
    con.close()
    ingest_files(tmp_path, params_dir,
                 {"pricing_analytics/october.json": body(point(5, 3, pricing_category="UTILITY"))})
    assert consumption(tmp_path, "2026-10", date(2026, 11, 20))["total"] == 21


def test_an_error_answer_saved_instead_of_data_says_so(tmp_path, params_dir):
    """The Graph API's error body saved as the file was "no pricing_analytics.data[] list in
    the response body", which does not tell the operator the token had expired; the line now
    quotes Meta's message and code, on one line, and the other files still load."""
    error = {"error": {"message": "Error validating access token:\nSession has expired",
                       "type": "OAuthException", "code": 190, "fbtrace_id": "AbC"}}
    results = ingest_files(tmp_path, params_dir, {
        "pricing_analytics/expired.json": error,
        "conversation_analytics/good.json": META_REFERENCE_DAILY})
    by_file = {Path(r.file).name: r for r in results}
    assert by_file["good.json"].status == "loaded"
    expired = by_file["expired.json"]
    assert expired.status == "unreadable" and expired.failed
    assert expired.line() == (
        "acme/pricing_analytics/expired.json: unreadable: the file holds the Graph API's error "
        "answer, not data: 'Error validating access token:\\nSession has expired' (code 190); "
        "request the pricing_analytics again and save it")


def test_a_response_of_another_tenants_account_is_rejected(tmp_path, params_dir):
    """The outer wrapper's `id` names the WhatsApp Business Account the response is of: one of
    another tenant's (beta's w-beta) is not acme's consumption, even without the phone number
    dimension that would name it per point. Its points are rejected rows naming `id`; an account
    no tenant declares is still kept (test_review_cases_other_waba_kept_…)."""
    day = point(7, 10, pricing_type="REGULAR", pricing_category="MARKETING", country="BR")
    [other, own] = ingest_files(tmp_path, params_dir, {
        "pricing_analytics/beta_account.json": {"pricing_analytics": {"data": [
            {"data_points": [day, point(8, 5, pricing_type="REGULAR", country="BR")]}],
            "paging": {"cursors": {"before": "QVFIUk", "after": "QVFIUl"}}}, "id": "w-beta"},
        "pricing_analytics/own_account.json": {"pricing_analytics": {"data": [
            {"data_points": [day]}]}, "id": "w-acme"},
    })
    assert (other.status, other.rows_read, other.rows_loaded, other.rows_rejected) == (
        "loaded", 2, 0, 2)
    assert "field id: WhatsApp Business Account belongs to another tenant" in other.message
    assert (own.rows_loaded, own.rows_rejected) == (1, 0)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT waba_id, volume FROM pricing_daily").fetchall() == [("w-acme", 10)]
    assert con.execute("SELECT line, field, value FROM rejected_rows ORDER BY line").fetchall() \
        == [(1, "id", "w-beta"), (2, "id", "w-beta")]


def test_a_response_saved_with_another_currency_than_the_tenants_is_rejected(tmp_path,
                                                                             params_dir):
    """A WhatsApp Business Account has a `currency` (Graph API reference, WhatsApp Business
    Account: `currency`), and a response saved with `?fields=currency,pricing_analytics...`
    carries it beside the data. Costs in BRL for a tenant whose settings say USD would be shown
    as dollars: the points are rejected rows naming `currency` (kept, with their reason), and a
    response in the tenant's own currency loads."""
    day = point(7, 10, pricing_type="REGULAR", pricing_category="MARKETING", country="BR")
    [reais, dollars] = ingest_files(tmp_path, params_dir, {
        "pricing_analytics/a_reais.json": {"currency": "BRL", "pricing_analytics": {
            "data": [{"data_points": [day]}]}, "id": "w-acme"},
        "pricing_analytics/b_dollars.json": {"currency": "usd", "pricing_analytics": {
            "data": [{"data_points": [day]}]}, "id": "w-acme"},
    })
    assert (reais.rows_read, reais.rows_loaded, reais.rows_rejected) == (1, 0, 1)
    assert ("field currency: the account's costs are in BRL, the tenant's settings say "
            "currency: USD") in reais.message
    assert (dollars.rows_loaded, dollars.rows_rejected) == (1, 0)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT field, value FROM rejected_rows").fetchall() == [
        ("currency", "BRL")]


def test_marketing_optimized_delivery_is_read_as_marketing_lite(tmp_path, params_dir):
    """MARKETING_OPTIMIZED_DELIVERY is a conversation category of Meta's conversation_analytics
    (the `conversation_categories` enum of Meta's own SDKs, github.com/facebook/
    facebook-php-business-sdk, src/FacebookAds/Object/WhatsAppBusinessAccount.php,
    getConversationAnalytics): marketing messages with optimized delivery, which Meta calls
    MARKETING_LITE since. Its points were rejected rows ("unknown category"): in this day of a
    CBP month, 40 of 50 conversations and US$ 2.50 of US$ 3.125 lost. Now it is marketing lite
    (priced as marketing): 40 + 10 = 50 conversations, Meta's cost 2.5 + 0.625 = 3.125."""
    start = 1740798000  # 2025-03-01T03:00Z, midnight in São Paulo
    day = dict(start=start, end=start + 86400, country="BR", conversation_type="REGULAR",
               conversation_direction="BUSINESS_INITIATED")
    [result] = ingest_files(tmp_path, params_dir, {
        "conversation_analytics/optimized.json": {"conversation_analytics": {"data": [
            {"data_points": [
                {**day, "conversation": 40, "conversation_category":
                 "MARKETING_OPTIMIZED_DELIVERY", "cost": 2.5},
                {**day, "conversation": 10, "conversation_category": "MARKETING",
                 "cost": 0.625}]}]}}})
    assert (result.rows_loaded, result.rows_rejected) == (2, 0), result.line()
    got = consumption(tmp_path, "2025-03", date(2025, 4, 20))
    assert (got["total"], got["meta_cost"]) == (50, 3.125)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT category, conversations FROM conversations ORDER BY 1"
                       ).fetchall() == [("marketing", 10), ("marketing_lite", 40)]


# Graph API reference, WhatsApp Business Account Analytics (developers.facebook.com/docs/
# graph-api/reference/waba-analytics/), "Response": messaging analytics (field `analytics`),
# its data points straight under the field, no `data[]`.
META_MESSAGING_ANALYTICS = {
    "analytics": {"phone_numbers": [PHONE], "granularity": "DAY", "data_points": [
        {"start": 1647327600, "end": 1647414000, "sent": 1, "delivered": 1},
        {"start": 1648710000, "end": 1648796400, "sent": 4, "delivered": 4}]},
    "id": "w-acme"}
# WhatsApp Business Platform, Analytics guide, template analytics "Example response"
# (developers.facebook.com/documentation/business-messaging/whatsapp/analytics/): no wrapper.
META_TEMPLATE_ANALYTICS = {
    "data": [{"granularity": "DAILY", "product_type": "cloud_api", "data_points": [
        {"template_id": "1924084211297547", "start": 1689379200, "end": 1689465600, "sent": 0,
         "delivered": 0, "read": 0,
         "clicked": [{"type": "quick_reply_button", "button_content": "Tell me more",
                      "count": 3}],
         "cost": [{"type": "amount_spent", "value": 0.00}, {"type": "cost_per_delivered"},
                  {"type": "cost_per_url_button_click"}]}]}],
    "paging": {"cursors": {"before": "MAZDZD", "after": "MjQZD"}}}


def table_rows(tmp_path, sql: str) -> list:
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_response_in_the_other_analytics_folder_is_read_as_what_it_is(tmp_path, params_dir):
    """Meta's conversation_analytics saved in pricing_analytics/ was unreadable ("no
    pricing_analytics.data[] list in the response body"), and a pricing_analytics response saved
    without its wrapper in conversation_analytics/ had every point rejected ("conversation: not
    a whole number"): the wrapper's key, else what the points count, says which it is."""
    pricing = meta_example("pricing_daily_tier.json")
    results = ingest_files(tmp_path, params_dir, {
        "pricing_analytics/conversations.json": META_REFERENCE_DAILY,
        "conversation_analytics/pricing.json": pricing["pricing_analytics"]})
    by_file = {Path(r.file).name: r for r in results}
    points = pricing["pricing_analytics"]["data"][0]["data_points"]
    assert (by_file["conversations.json"].status, by_file["conversations.json"].rows_loaded,
            by_file["conversations.json"].rows_rejected) == ("loaded", 2, 0)
    assert "a conversation_analytics response, not pricing_analytics: read as " \
           "conversation_analytics" in by_file["conversations.json"].message
    assert (by_file["pricing.json"].rows_loaded, by_file["pricing.json"].rows_rejected) == (
        len(points), 0)
    assert table_rows(tmp_path, "SELECT sum(conversations) FROM conversations") == [(912,)]
    assert table_rows(tmp_path, "SELECT sum(volume) FROM pricing_daily") == [
        (sum(p["volume"] for p in points),)]


def test_one_request_for_both_fields_reads_both(tmp_path, params_dir):
    """`?fields=conversation_analytics...,pricing_analytics...` answers both in one body: the
    folder's field alone was read and the other one dropped without a word."""
    body = {**META_REFERENCE_DAILY, **meta_example("pricing_daily_tier.json"),
            "analytics": META_MESSAGING_ANALYTICS["analytics"]}
    [result] = ingest_files(tmp_path, params_dir, {"pricing_analytics/both.json": body})
    assert result.status == "loaded" and result.rows_rejected == 0
    assert "both read" in result.message
    assert ("also holds messaging analytics (field analytics: messages sent and delivered): no "
            "report reads it, not read") in result.message
    assert table_rows(tmp_path, "SELECT sum(conversations) FROM conversations") == [(912,)]
    assert table_rows(tmp_path, "SELECT count(*) > 0 FROM pricing_daily") == [(True,)]


def test_metas_other_analytics_are_named_and_an_empty_answer_is_no_data(tmp_path, params_dir):
    """Messaging and template analytics saved in an analytics folder were 'unreadable: no
    pricing_analytics.data[] list' or a point rejected for its volume; in a folder of their
    own, 'unknown sub-folder'. Each now says what it is, and that no report reads it (not a
    failure). A response of only the account's id (Meta leaves a field without data out) was
    unreadable; it is a response without points."""
    results = ingest_files(tmp_path, params_dir, {
        "pricing_analytics/messaging.json": META_MESSAGING_ANALYTICS,
        "conversation_analytics/templates.json": META_TEMPLATE_ANALYTICS,
        "template_analytics/templates.json": META_TEMPLATE_ANALYTICS,
        "pricing_analytics/october.json": {"id": "w-acme"}})
    lines = sorted(r.line() for r in results)
    assert lines == [
        "acme/conversation_analytics/templates.json: skipped: Meta's template analytics (field "
        "template_analytics: each template's sent, delivered, read and clicks), not "
        "conversation_analytics: no report reads it, not read",
        "acme/pricing_analytics/messaging.json: skipped: Meta's messaging analytics (field "
        "analytics: messages sent and delivered), not pricing_analytics: no report reads it, "
        "not read",
        "acme/pricing_analytics/october.json: loaded, 0 loaded, 0 rejected (the response holds "
        "no pricing_analytics: Meta leaves it out when the period has no data)",
        "acme/template_analytics: skipped: Meta's template analytics (field template_analytics: "
        "each template's sent, delivered, read and clicks): no report reads it, not read"]
    assert not any(r.failed for r in results)
    assert table_rows(tmp_path, "SELECT count(*) FROM pricing_daily") == [(0,)]
    assert table_rows(tmp_path, "SELECT count(*) FROM conversations") == [(0,)]


def test_pages_appended_to_one_file_are_one_response(tmp_path, params_dir):
    """A loop that follows `paging.next` appending each answer to one file (`>> file.json`)
    left the file unreadable ('not valid JSON (Extra data ...)'): Meta's pricing example (with
    TIER) so saved in two pages is read whole, 26 messages, 12 paid, Meta's 96.9. Two
    documents that are not pages of one response (two accounts) stay one clear reason."""
    first, second = pages(meta_example("pricing_daily_tier.json"))
    first["id"] = second["id"] = "w-acme"
    write(tmp_path / "sources/acme/pricing_analytics/june.json",
          json.dumps(first, indent=2) + "\n" + json.dumps(second, indent=2) + "\n")
    write(tmp_path / "sources/acme/pricing_analytics/mixed.json",
          json.dumps(first) + json.dumps({**second, "id": "w-other"}))
    results = {Path(r.file).name: r for r in ingest.ingest(
        tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)}
    june = results["june.json"]
    assert (june.status, june.rows_rejected) == ("loaded", 0)
    assert "2 pages of one response, one after another: read together" in june.message
    got = consumption(tmp_path, "2025-06", date(2025, 7, 20))
    assert (got["total"], got["paid"], got["meta_cost"]) == (26, 12, 96.9)
    assert results["mixed.json"].line() == (
        "acme/pricing_analytics/mixed.json: unreadable: 2 JSON documents one after another "
        "that are not pages of one response (the same field and account): save each response "
        "in a file of its own")


def test_webhooks_and_analytics_in_each_others_folder_say_where_they_belong(tmp_path,
                                                                            params_dir):
    """Meta's conversation analytics example saved as whatsapp_webhooks/*.json was a rejected
    row 'entry: not a list' (exit 0, nothing said of where it belongs); webhook bodies in
    pricing_analytics/ were 'not valid JSON (Extra data ...)' or 'no pricing_analytics.data[]
    list'. Each is now one reason naming the folder it belongs in; the other files load."""
    body = {"object": "whatsapp_business_account", "entry": [{"id": "w-acme", "changes": [
        {"field": "messages", "value": {"metadata": {"phone_number_id": "1001"}, "statuses": [
            {"id": "wamid.A", "status": "sent", "timestamp": "1790856000",
             "recipient_id": "5511999990001"}]}}]}]}
    write(tmp_path / "sources/acme/whatsapp_webhooks/analytics.json",
          json.dumps(META_REFERENCE_DAILY, indent=2))
    write(tmp_path / "sources/acme/whatsapp_webhooks/good.jsonl", json.dumps(body) + "\n")
    write(tmp_path / "sources/acme/pricing_analytics/hooks.json",
          json.dumps(body) + "\n" + json.dumps(body) + "\n")
    results = {Path(r.file).name: r for r in ingest.ingest(
        tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)}
    assert results["analytics.json"].line() == (
        "acme/whatsapp_webhooks/analytics.json: unreadable: a conversation_analytics response "
        "of Meta's analytics, not webhook bodies: it belongs in conversation_analytics/")
    assert results["hooks.json"].line() == (
        "acme/pricing_analytics/hooks.json: unreadable: Meta webhook bodies, not an analytics "
        "response: they belong in whatsapp_webhooks/")
    assert (results["good.jsonl"].status, results["good.jsonl"].rows_loaded) == ("loaded", 1)
    assert table_rows(tmp_path, "SELECT count(*) FROM rejected_rows") == [(0,)]


def test_a_cost_only_response_says_how_to_request_the_count(tmp_path, params_dir):
    """`metric_types(["COST"])` (a common request for Meta's spend) answers points with `cost`
    and no `volume` / `conversation`: each was rejected as 'not a whole number ≥ 0', which
    reads as a broken number. The rejected row now says what was asked and what to ask."""
    cost_only = {"pricing_analytics": {"data": [{"data_points": [
        {"start": 1790812800, "end": 1790899200, "pricing_category": "MARKETING",
         "cost": 12.5}]}]}, "id": "w-acme"}
    [result] = ingest_files(tmp_path, params_dir, {"pricing_analytics/spend.json": cost_only})
    assert (result.rows_loaded, result.rows_rejected) == (0, 1)
    assert table_rows(tmp_path, "SELECT field, reason FROM rejected_rows") == [(
        "data[0].data_points[0].volume",
        "missing: a response requested with metric_types COST alone has Meta's cost without "
        "the count; request it with VOLUME too (metric_types([\"COST\",\"VOLUME\"]), or no "
        "metric_types)")]
