"""Reconciliation of our delivered templates and cost with Meta's analytics, on hand-made rows
(real warehouse, real bundle); every answer worked out by hand below."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from reportlib.domain import calendar
from reportlib.marts import bundle
from reportlib.marts.bundle import Bundle
from reportlib.reports.consumption import ConsumptionReport, reconciliation
from tests.conftest import ACME, utc

AS_OF = date(2026, 11, 20)  # every October day is final (older than 3 days)


def priced(con, start, category, kind, n, cost):
    """One daily point of Meta's pricing analytics on São Paulo's day (03:00 UTC to 03:00)."""
    con.execute(
        "INSERT INTO pricing_daily VALUES ('acme', 'w-acme', ?, ?::TIMESTAMPTZ + INTERVAL 1 DAY,"
        " '551140000001', 'BR', ?, ?, NULL, ?, ?, 'hand-made', 'DAILY', "
        "'phone_number,country,pricing_type,pricing_category')",
        [utc(start), utc(start), kind, category, n, cost])


def delivered(con, prefix, n, category, at, billed=None):
    """`n` template messages from the tenant's number, delivered at `at` (UTC) to Brazilian
    numbers; `billed`: the category Meta's status webhook gives in its pricing."""
    for i in range(n):
        message_id = f"{prefix}-{i}"
        con.execute(
            "INSERT INTO notifications (tenant_id, message_id, sender, phone_number_id, "
            "recipient, template_name, category, accepted_at, sent_at, delivered_at) VALUES "
            "('acme', ?, 'api', '1001', ?, 'tpl', ?, ?, ?, ?)",
            [message_id, f"+55119{i:08d}", category, utc(at), utc(at), utc(at)])
        if billed:
            con.execute(
                "INSERT INTO message_status_events (tenant_id, message_id, status, ts, "
                "phone_number_id, pricing_billable, pricing_model, pricing_type, "
                "pricing_category) VALUES ('acme', ?, 'delivered', ?, '1001', true, 'PMP', "
                "'regular', ?)", [message_id, utc(at), billed])


@pytest.fixture
def reconciled(tmp_path, empty_warehouse) -> Bundle:
    path, con = empty_warehouse
    # Oct 5: 20 marketing on both sides, Meta's cost 20 x 0.0625 = 1.25: they match.
    delivered(con, "mkt5", 20, "marketing", "2026-10-05T15:00:00+00:00")
    priced(con, "2026-10-05T03:00:00+00:00", "MARKETING", "REGULAR", 20, 1.25)
    # Oct 6: our template says utility for 30 messages, but Meta billed 10 of them as
    # marketing (their status webhooks say so). Meta: utility 20 (20 x 0.0068 = 0.136),
    # marketing 10 (10 x 0.0625 = 0.625).
    delivered(con, "utl6", 20, "utility", "2026-10-06T15:00:00+00:00")
    delivered(con, "mix6", 10, "utility", "2026-10-06T16:00:00+00:00", billed="marketing")
    priced(con, "2026-10-06T03:00:00+00:00", "UTILITY", "REGULAR", 20, 0.136)
    priced(con, "2026-10-06T03:00:00+00:00", "MARKETING", "REGULAR", 10, 0.625)
    # Oct 7: we saw 50 authentication messages delivered, Meta counts 62 (62 x 0.0068 =
    # 0.4216): nothing we know explains the 12 more.
    delivered(con, "aut7", 50, "authentication", "2026-10-07T15:00:00+00:00")
    priced(con, "2026-10-07T03:00:00+00:00", "AUTHENTICATION", "REGULAR", 62, 0.4216)
    # Oct 8: 5 marketing delivered, and Meta's analytics have no point for the day.
    delivered(con, "mkt8", 5, "marketing", "2026-10-08T15:00:00+00:00")
    con.close()
    out = tmp_path / "acme-2026-10.duckdb"
    bundle.build(path, ACME, calendar.parse_period("2026-10"), AS_OF, out)
    return Bundle.open(out)


def test_tolerance_is_five_messages_or_one_percent():
    # 1 % of 300 = 3 < 5 -> 5; 1 % of 2,000 = 20 > 5 -> 20.
    assert reconciliation.tolerance(300) == 5
    assert reconciliation.tolerance(2000) == 20
    # Cost: 5 messages at 0.0625 = 0.3125 > 1 % of 2.00 = 0.02; 1 % of 40.00 = 0.40 > 0.3125;
    # no rate known: US$ 0.05.
    assert reconciliation.tolerance(2.0, "usd", 0.0625) == pytest.approx(0.3125)
    assert reconciliation.tolerance(40.0, "usd", 0.0625) == pytest.approx(0.40)
    assert reconciliation.tolerance(2.0, "usd") == 0.05


def test_mart_counts_both_sides_per_day_and_category(reconciled):
    df = reconciled.table("consumption_reconciliation")
    rows = {(str(r.day)[:10], r.category): r for r in df.itertuples()}
    assert set(rows) == {("2026-10-05", "marketing"), ("2026-10-06", "utility"),
                         ("2026-10-06", "marketing"), ("2026-10-07", "authentication"),
                         ("2026-10-08", "marketing")}
    utility = rows[("2026-10-06", "utility")]
    # ours 30 utility (10 of them billed as marketing: they move away); Meta 20
    assert (utility.delivered, utility.meta_volume) == (30, 20)
    assert (utility.billed_here, utility.billed_away) == (0, 10)
    marketing = rows[("2026-10-06", "marketing")]
    assert (marketing.delivered, marketing.meta_volume, marketing.billed_here) == (0, 10, 10)
    # our cost: 30 utility messages at the card's 0.0068 = 0.204; Meta's 0.136
    assert utility.our_cost_usd == pytest.approx(0.204)
    assert utility.meta_cost_usd == pytest.approx(0.136)
    authentication = rows[("2026-10-07", "authentication")]
    assert (authentication.delivered, authentication.meta_volume) == (50, 62)
    assert authentication.outside_coverage == 0  # the number has our messages that day
    # Oct 8: Meta has no point on the day -> not available (NULL), never 0
    missing = rows[("2026-10-08", "marketing")]
    assert missing.delivered == 5 and pd.isna(missing.meta_volume)


def test_one_explained_and_one_unexplained_difference(reconciled):
    df = reconciled.table("consumption_reconciliation")
    volume = {(d.day.isoformat(), d.category): d
              for d in reconciliation.volume_differences(df, AS_OF)}
    # Oct 5 marketing matches (20 = 20) and Oct 8 has no Meta figure: neither is listed.
    assert set(volume) == {("2026-10-06", "utility"), ("2026-10-06", "marketing"),
                           ("2026-10-07", "authentication")}
    # Explained: utility 20 - 30 = -10, beyond the tolerance max(5, 1 % of 20) = 5; the 10
    # messages Meta billed as marketing account for all of it (0 - 10 = -10).
    utility = volume[("2026-10-06", "utility")]
    assert utility.difference == -10
    assert utility.causes == {"category_mismatch": -10} and utility.unexplained == 0
    assert volume[("2026-10-06", "marketing")].causes == {"category_mismatch": 10}
    # Unexplained: 62 - 50 = 12 > 5, no cause has a part -> 12 unexplained.
    authentication = volume[("2026-10-07", "authentication")]
    assert authentication.causes == {} and authentication.unexplained == 12
    cost = {(d.day.isoformat(), d.category): d
            for d in reconciliation.cost_differences(df, AS_OF)}
    # Utility cost: 0.136 - 0.204 = -0.068, beyond 5 x 0.0068 = 0.034. Meta's rates:
    # 0.136 - 20 x 0.0068 = 0 (no part); counted differently: 0.136 - 0.204 = -0.068 over a
    # paid difference of 20 - 30 = -10 messages, 0.0068 each; the category moves are -10 of
    # them -> -0.068.
    assert cost[("2026-10-06", "utility")].causes == {
        "category_mismatch": pytest.approx(-0.068)}
    assert cost[("2026-10-06", "utility")].unexplained == 0
    # Authentication cost: 0.4216 - 50 x 0.0068 = 0.4216 - 0.34 = 0.0816 > 5 x 0.0068 = 0.034,
    # unexplained.
    assert cost[("2026-10-07", "authentication")].unexplained == pytest.approx(0.0816)
    # Oct 5 marketing: 1.25 - 20 x 0.0625 = 0, no difference.
    assert ("2026-10-05", "marketing") not in cost
    totals = reconciliation.by_category(df, AS_OF).set_index("category")
    # marketing: ours on Meta's days 20 + 0 = 20, Meta 20 + 10 = 30; 5 more on Oct 8 apart
    assert totals.loc["marketing", "delivered"] == 20
    assert totals.loc["marketing", "meta_volume"] == 30
    assert totals.loc["marketing", "delivered_without_meta"] == 5
    assert totals.loc["authentication", "unexplained_volume"] == 12
    assert totals.loc["utility", "unexplained_volume"] == 0
    # The manifest's figures: 3 differences in messages, 1 unexplained (authentication); in
    # cost, utility and marketing on Oct 6 (explained) and authentication on Oct 7 (not).
    figures = ConsumptionReport(reconciled, "en").figures()
    assert (figures["reconciliation.differences"], figures["reconciliation.unexplained"]) == (3, 1)
    assert (figures["reconciliation.cost_differences"],
            figures["reconciliation.cost_unexplained"]) == (3, 1)


@pytest.mark.parametrize("locale, words", [
    ("en", ("10 messages billed by Meta in another category", "not available",
            "Unexplained")),
    ("pt-BR", ("10 mensagens cobradas pela Meta em outra categoria", "não disponível",
               "Sem explicação")),
])
def test_section_reads_in_both_languages_without_internal_names(reconciled, locale, words):
    section = ConsumptionReport(reconciled, locale).reconciliation()
    html = section._repr_html_()
    text = " ".join(section.prose) + section.body
    for word in words:
        assert word in text, (word, text)
    for internal in ("category_mismatch", "meta_volume", "delivered_on_meta_day", "webhook",
                     "free_classification", "consumption_reconciliation"):
        assert internal not in text.lower(), internal
    assert html


def test_the_tolerance_is_said_plainly_with_percentages_as_the_reports_write_them(
        reconciled):
    """The rule of reconciliation.tolerance in words a reader follows: a difference counts
    when it passes both 5 messages and 1 % of Meta's figure (for cost, the cost of 5 messages
    and 1 % of Meta's cost); the percentage written as every other one of the reports ("1%",
    like "97,2%"), never "1 %", which a line may break before its sign."""
    english = " ".join(ConsumptionReport(reconciled, "en").reconciliation().prose)
    assert ("On each day and category, a difference counts only when it is more than 5 "
            "messages and more than 1% of Meta's count; for cost, more than the cost of 5 "
            "messages and more than 1% of Meta's cost.") in english
    portuguese = " ".join(ConsumptionReport(reconciled, "pt-BR").reconciliation().prose)
    assert ("Em cada dia e categoria, a diferença só conta quando passa de 5 mensagens e de "
            "1% da contagem da Meta; no custo, quando passa do custo de 5 mensagens e de 1% "
            "do custo da Meta.") in portuguese
    for text in (english, portuguese):
        assert not re.search(r"\d\s%", text), text


def cost_rows(section) -> list[list[str]]:
    """The cells of the section's table of cost differences, as text."""
    table = section.body.split("Cost differences beyond the tolerance:", 1)[1]
    body = table.split("<tbody>", 1)[1]
    return [[re.sub("<[^>]+>", "", cell) for cell in re.findall("<td[^>]*>(.*?)</td>", row)]
            for row in re.findall("<tr>(.*?)</tr>", body)]


def test_a_cost_row_shows_the_difference_of_its_amounts_and_parts_adding_up_to_it(reconciled):
    """Money is shown in cents, so a row's difference is that of its two amounts as shown,
    and its causes' parts add up to it. By hand, Oct 6 utility: ours 0.204 (shown $0.20),
    Meta's 0.136 ($0.14): $0.14 − $0.20 = −$0.06, all of it the category moves (precisely
    −0.068, which showed −$0.07 in both places). Oct 7 authentication: 0.34 ($0.34) and
    0.4216 ($0.42): $0.08, all of it unexplained."""
    rows = {row[1]: row[2:] for row in cost_rows(ConsumptionReport(reconciled, "en")
                                                 .reconciliation())}
    assert rows["Utility"] == ["$0.20", "$0.14", "−$0.06", "messages billed by Meta in "
                               "another category than the template&#x27;s (−$0.06)", "–"]
    assert rows["Authentication"] == ["$0.34", "$0.42", "$0.08", "–", "$0.08"]


def test_the_cost_sentence_shows_the_difference_of_its_amounts(tmp_path, empty_warehouse):
    """By hand: 180 utility messages delivered on Oct 5 on both sides; ours at the card's
    0.0068 = 1.224, shown $1.22; Meta's 1.226, shown $1.23; within the tolerance (no row),
    and the difference shown is $1.23 − $1.22 = $0.01 (1.226 − 1.224 = 0.002 showed
    $0.00 between two different amounts)."""
    path, con = empty_warehouse
    delivered(con, "utl5", 180, "utility", "2026-10-05T15:00:00+00:00")
    priced(con, "2026-10-05T03:00:00+00:00", "UTILITY", "REGULAR", 180, 1.226)
    con.close()
    out = tmp_path / "acme-2026-10.duckdb"
    bundle.build(path, ACME, calendar.parse_period("2026-10"), AS_OF, out)
    section = ConsumptionReport(Bundle.open(out), "en").reconciliation()
    assert ("Cost of the messages we recorded, at the rate card: $1.22; cost Meta reports for "
            "the same days: $1.23 (difference $0.01).") in section.prose
    assert "Cost differences beyond the tolerance" not in section.body


def test_without_records_of_ours_the_reconciliation_is_not_available(tmp_path,
                                                                     empty_warehouse):
    # Meta counts 120 marketing messages on Oct 5 and we have no message records at all: the
    # section says the reconciliation is not available, and lists no difference of 120.
    path, con = empty_warehouse
    priced(con, "2026-10-05T03:00:00+00:00", "MARKETING", "REGULAR", 120, 7.5)
    con.close()
    out = tmp_path / "acme-2026-10.duckdb"
    bundle.build(path, ACME, calendar.parse_period("2026-10"), AS_OF, out)
    for locale, words in (("en", "not available"), ("pt-BR", "não está disponível")):
        section = ConsumptionReport(Bundle.open(out), locale).reconciliation()
        assert words in section.prose[0] and section.body == ""
    assert ConsumptionReport(Bundle.open(out), "en").figures()[
        "reconciliation.differences"] is None


def test_day_boundary_and_numbers_outside_coverage_explain_differences(tmp_path,
                                                                       empty_warehouse):
    path, con = empty_warehouse

    def utc_point(day, category, n, phone="551140000001"):
        # Meta's daily points on UTC days (00:00 to 00:00 UTC); the middle (12:00 UTC = 09:00
        # in São Paulo) puts each on the same local date.
        con.execute(
            "INSERT INTO pricing_daily VALUES ('acme', 'w-acme', ?, ?::TIMESTAMPTZ + INTERVAL "
            "1 DAY, ?, 'BR', 'REGULAR', ?, NULL, ?, NULL, 'hand-made', 'DAILY', "
            "'phone_number,country,pricing_type,pricing_category')",
            [utc(f"{day}T00:00:00+00:00"), utc(f"{day}T00:00:00+00:00"), phone, category, n])

    # Oct 10 in São Paulo: 30 utility delivered at 12:00 UTC and 10 at 22:00 local (01:00 UTC
    # on Oct 11). Meta, on UTC days: 30 on Oct 10, 10 on Oct 11.
    delivered(con, "day", 30, "utility", "2026-10-10T12:00:00+00:00")
    delivered(con, "night", 10, "utility", "2026-10-11T01:00:00+00:00")
    utc_point("2026-10-10", "UTILITY", 30)
    utc_point("2026-10-11", "UTILITY", 10)
    # Oct 12: 20 marketing on the tenant's number on both sides, and 25 more Meta counts on a
    # number our records never see.
    delivered(con, "mkt12", 20, "marketing", "2026-10-12T15:00:00+00:00")
    utc_point("2026-10-12", "MARKETING", 20)
    utc_point("2026-10-12", "MARKETING", 25, phone="552130000009")
    con.close()
    out = tmp_path / "acme-2026-10.duckdb"
    bundle.build(path, ACME, calendar.parse_period("2026-10"), AS_OF, out)
    df = Bundle.open(out).table("consumption_reconciliation")
    found = {(d.day.isoformat(), d.category): d
             for d in reconciliation.volume_differences(df, AS_OF)}
    # Oct 10: ours 40 (local day), Meta 30: -10 > 5; on Meta's UTC day ours are 30, so the
    # boundary part is 30 - 40 = -10: explained.
    assert found[("2026-10-10", "utility")].causes == {"day_boundary": -10}
    # Oct 11: ours 0, Meta 10; on Meta's day ours are 10: +10, explained, and not counted
    # again as outside coverage (the number has our messages on Meta's Oct 11).
    assert found[("2026-10-11", "utility")].causes == {"day_boundary": 10}
    # Oct 12: ours 20, Meta 45: +25, the other number's 25 messages: explained.
    oct12 = found[("2026-10-12", "marketing")]
    assert oct12.causes == {"outside_coverage": 25} and oct12.explained
    assert all(d.explained for d in found.values())


def test_cost_split_is_not_available_without_metas_country(tmp_path, empty_warehouse):
    """Pricing analytics without the country dimension: Meta's paid volume has no market, so
    it cannot be priced at the rate card, and the part of a cost difference due to Meta's own
    rates is not available (never Meta's whole cost against a card price of zero)."""
    path, con = empty_warehouse
    delivered(con, "aut7", 50, "authentication", "2026-10-07T15:00:00+00:00")
    con.execute(
        "INSERT INTO pricing_daily VALUES ('acme', 'w-acme', ?, ?::TIMESTAMPTZ + INTERVAL 1 DAY,"
        " NULL, NULL, 'REGULAR', 'AUTHENTICATION', NULL, 62, 0.4216, 'hand-made', 'DAILY', "
        "'pricing_type,pricing_category')",
        [utc("2026-10-07T03:00:00+00:00"), utc("2026-10-07T03:00:00+00:00")])
    con.close()
    out = tmp_path / "acme-2026-10.duckdb"
    bundle.build(path, ACME, calendar.parse_period("2026-10"), AS_OF, out)
    b = Bundle.open(out)
    df = b.table("consumption_reconciliation")
    assert df["meta_paid_at_card_usd"].isna().all()
    # Ours: 50 x 0.0068 = 0.34 (our messages go to Brazilian numbers); Meta's: 0.4216. The
    # difference 0.0816 passes the tolerance (5 messages x 0.0068 = 0.034) and no known cause
    # explains it: all of it is unexplained.
    [d] = reconciliation.cost_differences(df, AS_OF)
    assert (d.ours, d.meta) == (pytest.approx(0.34), pytest.approx(0.4216))
    assert "meta_rates" not in d.causes
    assert d.unexplained == pytest.approx(0.0816)
    ConsumptionReport(b).reconciliation()  # renders


def test_an_explained_cost_row_shows_the_cent_the_tolerance_let_pass(reconciled):
    """An explained row whose causes, rounded, miss its difference by a cent: Meta $10.00
    against ours 10.6236 ($10.62) is -$0.62; Meta's tier rates explain -0.6274 (-$0.63); the
    +0.0038 left is within the tolerance and takes the missing cent (largest remainder).
    Every amount the row shows adds up to its difference (before: -$0.62 beside a cause of
    -$0.63, the cent hidden behind "–")."""
    from reportlib.reports.consumption import reconciliation

    report = ConsumptionReport(reconciled, "en")
    found = [reconciliation.Difference(date(2026, 10, 20), "utility", ours=10.6236, meta=10.0,
                                       causes={"meta_rates": -0.6274})]
    html = report._differences_table(found, money=True)
    [row] = [[re.sub("<[^>]+>", "", c) for c in re.findall("<td[^>]*>(.*?)</td>", r)]
             for r in re.findall("<tr>(.*?)</tr>", html.split("<tbody>", 1)[1])]
    assert row[4] == "−$0.62"
    amounts = [float(a.replace("$", "").replace("−", "-"))
               for a in re.findall(r"−?\$\d+\.\d\d", row[5] + row[6])]
    assert round(sum(amounts), 2) == -0.62, row


def test_our_cost_without_a_rate_is_not_available_never_a_zero(reconciled, tmp_path):
    """The same rows for a tenant billed in reais, with the shipped card in dollars only: our
    messages have no rate, so our cost is not available (it read R$ 0,00 against Meta's, and
    every day became a 'difference' of Meta's whole cost). Nothing is reconciled on cost, and
    the prose says how many paid messages of ours have no rate: 20 marketing on Oct 5, 20 + 10
    utility on Oct 6, 50 authentication on Oct 7 (Oct 8 has no point of Meta's) = 100."""
    import dataclasses

    out = tmp_path / "reais.duckdb"
    bundle.build(reconciled.path.parent / "warehouse.duckdb",
                 dataclasses.replace(ACME, currency="BRL"), calendar.parse_period("2026-10"),
                 AS_OF, out)
    b = Bundle.open(out)
    df = b.table("consumption_reconciliation")
    # Oct 6 marketing: no message of ours (a real zero) against Meta's 10 billed as such.
    assert (df["our_cost_usd"].isna() == (df["our_paid"] > 0)).all()
    differences = reconciliation.cost_differences(df, AS_OF)
    assert [(str(d.day), d.category, d.ours) for d in differences] == [
        ("2026-10-06", "marketing", 0.0)]
    totals = reconciliation.by_category(df, AS_OF).set_index("category")
    assert totals["our_cost_usd"].isna().tolist() == [True, False, True]  # auth, mkt, util
    assert totals.loc["marketing", "meta_cost_usd"] == pytest.approx(0.625)  # Oct 6 only
    section = ConsumptionReport(b).reconciliation()
    text = " ".join(section.prose)
    assert ("100 das nossas mensagens pagas não têm tarifa na tabela de preços: os dias e "
            "categorias delas ficam fora da conciliação de custo.") in text
    assert "não disponível" in section.body


def _unknown_day(tmp_path, empty_warehouse, meta_marketing: int):
    """Oct 12: 20 marketing messages of the wide export and 10 of the platform's event log that
    name no category (no template category, no pricing in a webhook: `unknown`); Meta counts
    `meta_marketing` marketing messages at US$ 0.0625."""
    path, con = empty_warehouse
    delivered(con, "mkt12", 20, "marketing", "2026-10-12T15:00:00+00:00")
    for i in range(10):
        for event, minute in (("accepted", 0), ("dispatched", 1), ("received", 2)):
            con.execute(
                "INSERT INTO notification_events (tenant_id, platform_id, bot_id, event, ts, "
                "phone_number_id, recipient, template_name, source_file) VALUES "
                "('acme', ?, 'acme-bot', ?, ?, '1001', ?, 'promo', 'events.csv')",
                [f"log-{i}", event, utc(f"2026-10-12T16:0{minute}:00+00:00"),
                 f"+55118{i:08d}"])
    priced(con, "2026-10-12T03:00:00+00:00", "MARKETING", "REGULAR", meta_marketing,
           meta_marketing * 0.0625)
    con.close()
    out = tmp_path / "acme-2026-10.duckdb"
    bundle.build(path, ACME, calendar.parse_period("2026-10"), AS_OF, out)
    return Bundle.open(out)


def test_our_messages_of_unknown_category_are_compared_in_their_day_only(tmp_path,
                                                                         empty_warehouse):
    """Meta counts 30 marketing: the 10 of unknown category are those 10 more. Before, the day
    read as two unexplained differences: marketing 30 - 20 = +10 and "unknown" 0 - 10 = -10, a
    category Meta never has, and the cost of marketing (30 x 0.0625 - 20 x 0.0625 = 0.625)
    unexplained too. Now the 10 explain +10 of marketing's count and its cost, and the whole
    -10 of theirs."""
    b = _unknown_day(tmp_path, empty_warehouse, 30)
    df = b.table("consumption_reconciliation")
    rows = {r.category: (r.delivered, r.meta_volume) for r in df.itertuples()}
    assert rows == {"marketing": (20, 30), "unknown": (10, 0)}
    volume = {d.category: d for d in reconciliation.volume_differences(df, AS_OF)}
    assert volume["marketing"].causes == {"category_unknown": 10}
    assert volume["marketing"].explained
    assert volume["unknown"].causes == {"category_unknown": -10} and volume["unknown"].explained
    cost = {d.category: d for d in reconciliation.cost_differences(df, AS_OF)}
    assert cost["marketing"].causes == {"category_unknown": pytest.approx(0.625)}
    assert cost["marketing"].explained
    report = ConsumptionReport(b, "en")
    text = " ".join(report.reconciliation().prose)
    assert "2 day-and-category pairs go beyond the tolerance: 2 explained by a known cause, " \
           "0 unexplained." in text, text
    assert "no rate" not in text
    assert "10 messages of ours whose category no source names" in report.reconciliation().body


def test_messages_of_unknown_category_no_category_takes_stay_unexplained(tmp_path,
                                                                         empty_warehouse):
    """Meta counts 20 marketing, as we do: nothing on Meta's side is left for the 10 of unknown
    category, so the day's total differs by 10 that no cause explains (their row: -10,
    unexplained)."""
    b = _unknown_day(tmp_path, empty_warehouse, 20)
    df = b.table("consumption_reconciliation")
    volume = {d.category: d for d in reconciliation.volume_differences(df, AS_OF)}
    assert set(volume) == {"unknown"}
    assert volume["unknown"].causes == {} and volume["unknown"].unexplained == -10
