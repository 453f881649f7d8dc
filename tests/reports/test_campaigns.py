"""reportlib/reports/campaigns: metrics, failures, costs, buttons, send hours, variants,
opt-outs, the heatmap and the CSV export on hand-made messages, answers worked by hand."""

from __future__ import annotations

import csv
import json
import re
from datetime import date, datetime, timedelta

import duckdb
import pandas as pd
import pytest

from reportlib import demo, ingest
from reportlib import params as params_mod
from reportlib.domain import calendar
from reportlib.domain.metrics import button_clicks, opt_out_trend
from reportlib.domain.pricing import RateRow
from reportlib.look.safe import csv_cell, slug
from reportlib.marts import bundle
from reportlib.marts.bundle import Bundle
from reportlib.reports.campaigns import CampaignsReport, variant_pairs, write_campaign_csvs
from tests.conftest import ACME, unix, webhook, write
from tests.reports.campaign_data import (
    NOTIFICATIONS,
    T0,
    built_bundle,
    ingest_whole,
    make_sources,
    status,
)
from tests.reports.help_desk_data import table_cells


def test_campaign_metrics_by_hand(campaign_bundle):
    s = campaign_bundle.table("campaign_summary").set_index("campaign_id")
    c1 = s.loc["c1"]
    # audience 6 (m1..m6); pending m5; failed m4 (after sent) and m6 (before sent);
    # received m1, m2 (read without delivered), m3; read m1, m2; replied m3 (within 24 h).
    assert (c1.audience, c1.pending, c1.sent, c1.failed, c1.received, c1.read, c1.replied,
            c1.tickets) == (6, 1, 5, 2, 3, 2, 1, 1)
    assert c1.delivery_rate == pytest.approx(3 / 5)
    assert c1.read_rate == pytest.approx(2 / 3)
    assert c1.failure_rate == pytest.approx(2 / 6)
    assert c1.reply_rate == pytest.approx(1 / 3)
    # Opted out within 7 days of receiving: m1's recipient only (m3's after 8 days, m6 failed).
    assert c1.opted_out == 1 and c1.opt_out_rate == pytest.approx(1 / 3)
    assert c1.ticket_rate == pytest.approx(1 / 3)
    # Time to read: m1 10 min, m2 30 min -> median 20, p90 = 10 + 0.9 * 20 = 28.
    assert c1.minutes_to_read_median == pytest.approx(20)
    assert c1.minutes_to_read_p90 == pytest.approx(28)
    assert bool(s.loc["c3", "scheduled_only"]) and s.loc["c3", "audience"] == 0
    failures = campaign_bundle.table("campaign_failures")
    assert sorted(failures[failures.campaign_id == "c1"]["error_code"]) == [131049, 132001]


def test_a_campaign_belongs_to_the_period_of_its_first_message_only(tmp_path, params_dir):
    # The export says the campaign was sent on Sat 31 Oct 23:59 (São Paulo); its two messages
    # were accepted on Sun 1 Nov 00:01 and 00:02: its first message is November's, so it is a
    # November campaign of 2 messages, and October has no campaign (not one of 0 messages).
    # A campaign with no message yet (c2, scheduled on 31 Oct) is October's by its schedule.
    base = tmp_path / "sources" / "acme"
    write(base / "campaigns" / "c.csv",
          "CampaignId,CampaignName,BotId,TemplateName,Category,Status,ScheduledAt,SentAt\n"
          "c1,Virada,acme-bot,promo_a,marketing,Sent,2026-10-31T23:59:00-03:00,"
          "2026-10-31T23:59:00-03:00\n"
          "c2,Natal,acme-bot,natal,marketing,Scheduled,2026-10-31T12:00:00-03:00,\n")
    write(base / "notifications" / "n.csv", NOTIFICATIONS +
          "m1,c1,campaign,,acme-bot,1001,+5511999990001,promo_a,marketing,"
          "2026-11-01T00:01:00-03:00\n"
          "m2,c1,campaign,,acme-bot,1001,+5511999990002,promo_a,marketing,"
          "2026-11-01T00:02:00-03:00\n")
    ingest_whole(tmp_path, params_dir)
    october = CampaignsReport(built_bundle(tmp_path, "2026-10", date(2026, 12, 20),
                                           name="october"), "en").figures()
    november = CampaignsReport(built_bundle(tmp_path, "2026-11", date(2026, 12, 20),
                                            name="november"), "en").figures()
    assert (october["campaigns"], october["scheduled_only"], october["audience"]) == (0, 1, 0)
    assert "campaign.c1.audience" not in october
    assert (november["campaigns"], november["audience"]) == (1, 2)
    assert november["campaign.c1.audience"] == 2



def test_failures_show_meta_details_beside_the_code(campaign_bundle):
    from reportlib.reports.campaigns import CampaignsReport

    failures = campaign_bundle.table("campaign_failures").set_index("error_code")
    assert failures.loc[131049, "details"].startswith("In order to maintain a healthy")
    assert failures.loc[132001, "details"] is None or failures.loc[132001, "details"] != \
        failures.loc[132001, "details"]  # no details given: none shown
    body = CampaignsReport(campaign_bundle).failures().body
    # Meta's words are English: a pt-BR reader is told so.
    assert "Meta, em inglês: “In order to maintain a healthy ecosystem engagement" in body
    assert "Meta: “In order to maintain" in CampaignsReport(campaign_bundle, "en").failures().body


def test_meta_details_that_only_point_to_its_docs_are_not_shown(campaign_bundle):
    # "See Cloud API error codes" (what Meta's webhooks often carry) tells the reader nothing
    # and was English in a pt-BR table: only our meaning is shown.
    for locale in ("pt-BR", "en"):
        report = CampaignsReport(campaign_bundle, locale)
        report.failures_df = pd.DataFrame({
            "campaign_id": ["c1", "c1"], "error_code": [131026, 131049], "messages": [3, 1],
            "details": ["See Cloud API error codes", "In order to maintain a healthy"]})
        body = report.failures().body
        assert "See Cloud API" not in body and "In order to maintain a healthy" in body



def test_report_figures_and_filters(campaign_bundle):
    report = CampaignsReport(campaign_bundle, "en")
    figures = report.figures()
    assert figures["campaign.c1.audience"] == 6 and figures["campaign.c1.read"] == 2
    assert figures["scheduled_only"] == 1 and "campaign.c3.audience" not in figures
    only = CampaignsReport(campaign_bundle, "en", campaign_filter="PROMO")
    assert list(only.summary_df["campaign_id"]) == ["c2"]
    scheduled = CampaignsReport(campaign_bundle, "en", scheduled_only=True)
    assert list(scheduled.summary_df["campaign_id"]) == ["c3"]
    html = report.campaigns()._repr_html_()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html



def test_variant_pairs_only_between_true_variants_sent_together():
    import pandas as pd

    t = pd.Timestamp("2026-10-05T13:00:00Z")
    hours = pd.Timedelta(hours=1)
    summary = pd.DataFrame({
        "campaign_id": ["a", "b", "c", "d", "e", "f", "g", "h", "i"],
        "campaign_name": ["VIP – A", "VIP – B", "Black Friday #24", "Black Friday #25",
                          "Boleto v1", "Boleto v2", "Natal controle", "Natal teste", "Solo"],
        "audience": [10] * 9,
        "sent_at": [t, t + 2 * hours, t, t + 72 * hours, t, t + 25 * hours, t, t + 24 * hours,
                    t]})
    # VIP A/B 2 h apart: a pair. Black Friday #24/#25 share a prefix but "#24" is no variant
    # marker (and they are 3 days apart): never a pair. Boleto v1/v2 25 h apart: too far.
    # Natal controle/teste exactly 24 h apart: a pair.
    assert variant_pairs(summary) == [("a", "b"), ("g", "h")]
    # A declared experiment is compared whatever its names and dates; its campaigns are not
    # paired again by name.
    assert variant_pairs(summary, [["c", "d"], ["i", "a"]]) == [("c", "d"), ("i", "a"),
                                                                ("g", "h")]
    # Without a send time, nothing says they went out together: no pair.
    assert variant_pairs(summary.drop(columns="sent_at")) == []



def test_heatmap_bins_in_the_tenant_zone_with_and_without_dst(tmp_path, params_dir):
    from dataclasses import replace

    new_york = replace(ACME, tenant_id="acme", timezone="America/New_York")
    reads = ["2026-01-05T14:30:00+00:00", "2026-07-06T14:30:00+00:00"]  # Mondays
    base = tmp_path / "sources" / "acme"
    write(base / "notifications" / "n.csv", NOTIFICATIONS + "".join(
        f"r{i},c9,campaign,,acme-bot,1001,+551199999000{i},t,marketing,{at}\n"
        for i, at in enumerate(reads)))
    write(base / "whatsapp_webhooks" / "w.jsonl", "\n".join(
        webhook("1001", [status(f"r{i}", "sent", at), status(f"r{i}", "read", at)])
        for i, at in enumerate(reads)) + "\n")
    ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    cells = {}
    for tenant in (ACME, new_york):
        out = tmp_path / f"{tenant.timezone.replace('/', '_')}.duckdb"
        bundle.build(tmp_path / "wh.duckdb", tenant, calendar.parse_period(
            "2026-01-01..2026-12-31"), date(2027, 1, 1), out, ("campaigns",))
        heat = Bundle.open(out).table("engagement_heatmap")
        cells[tenant.timezone] = sorted((r.weekday, r.hour, r.reads) for r in heat.itertuples())
    # São Paulo (UTC-3 all year): both at 11 h. New York: 9 h in January (EST, UTC-5),
    # 10 h in July (EDT, UTC-4).
    assert cells["America/Sao_Paulo"] == [(1, 11, 2)]
    assert cells["America/New_York"] == [(1, 9, 1), (1, 10, 1)]



def test_csv_export_is_safe(tmp_path, campaign_bundle):
    folder = tmp_path / "csv"
    written = write_campaign_csvs(campaign_bundle, folder, "en")
    names = sorted(p.name for p in written)
    assert all(p.parent == folder for p in written)
    assert not (tmp_path / "etc").exists()
    assert any(name.startswith("etc-passwd-") for name in names)
    with open(folder / "c2.csv", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][0] == "'=1+2"  # a formula-looking message id is neutralised
    assert rows[1][2] == "'+55 ••• ••••-0009"  # masked, and neutralised too
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)" and csv_cell("-2") == "'-2"
    assert csv_cell("ok") == "ok" and csv_cell(None) == ""
    assert slug("../../x") != "../../x" and "/" not in slug("../../x") and slug("..") != ".."



def stop(user: dict, at: str, waba: str = "w-acme", phone_id: str = "1001") -> str:
    """A `user_preferences` "stop" as Meta posts it, for `{"wa_id": ...}` or, from a user with
    a username (business-scoped user ids, developers.facebook.com/documentation/business-
    messaging/whatsapp/business-scoped-user-ids), `{"user_id": ...}` only."""
    return json.dumps({"object": "whatsapp_business_account", "entry": [{
        "id": waba, "changes": [{"field": "user_preferences", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "551140000001", "phone_number_id": phone_id},
            "contacts": [dict(user)],
            "user_preferences": [{**user, "category": "marketing_messages", "value": "stop",
                                  "timestamp": unix(at),
                                  "detail": "User requested to stop marketing messages"}]}}]}]})


def promo_campaign(base, recipients: dict[str, str]) -> None:
    """Campaign c1 "Promo" (marketing, sent at T0) with one notification per message id ->
    recipient, written under the tenant's sources `base`."""
    write(base / "campaigns" / "c.csv",
          "CampaignId,CampaignName,BotId,TemplateName,Category,Status,ScheduledAt,SentAt\n"
          f"c1,Promo,acme-bot,promo_a,marketing,Sent,{T0},{T0}\n")
    write(base / "notifications" / "n.csv", NOTIFICATIONS + "".join(
        f"{mid},c1,campaign,,acme-bot,1001,{to},promo_a,marketing,{T0}\n"
        for mid, to in recipients.items()))


def test_opt_outs_by_business_scoped_user_id(tmp_path, params_dir):
    """A stop that names only the user id counts for the number its tenant's webhooks paired
    it with; an id no status or message of the tenant paired (beta's pair does not count for
    acme) matches no one."""
    base = tmp_path / "sources" / "acme"
    promo_campaign(base, {f"m{i}": f"+551199999000{i}" for i in (2, 3, 4)})
    delivered = "2026-10-05T13:00:09+00:00"
    day_after = "2026-10-06T13:00:00+00:00"
    write(base / "whatsapp_webhooks" / "w.jsonl", "\n".join([
        # m4's delivered status names both ids: BR.4444 is +5511999990004.
        webhook("1001", [status("m4", "delivered", delivered, recipient_id="5511999990004",
                                recipient_user_id="BR.4444")]),
        webhook("1001", [status("m2", "delivered", delivered, recipient_id="5511999990002")]),
        webhook("1001", [status("m3", "delivered", delivered, recipient_id="5511999990003")]),
        stop({"user_id": "BR.4444"}, day_after),  # m4's recipient, by id: counts
        stop({"user_id": "BR.2222"}, day_after),  # an id acme never paired: no one
        stop({"wa_id": "5511999990003"}, day_after),  # m3's recipient, by number: counts
    ]) + "\n")
    # In beta, BR.2222 is +5511999990002: that says nothing of acme's users.
    write(tmp_path / "sources" / "beta" / "whatsapp_webhooks" / "w.jsonl", webhook(
        "2001", [status("x1", "delivered", delivered, recipient_id="5511999990002",
                        recipient_user_id="BR.2222")], waba="w-beta") + "\n")
    ingest_whole(tmp_path, params_dir)
    b = built_bundle(tmp_path)
    c1 = b.table("campaign_summary").set_index("campaign_id").loc["c1"]
    # Received m2, m3, m4; opted out m3 (by number) and m4 (by id): 2 of 3.
    assert (c1.received, c1.opted_out) == (3, 2)
    assert c1.opt_out_rate == pytest.approx(2 / 3)
    assert dict(b.table("campaign_messages")[["message_id", "opted_out_7d"]].values
                ) == {"m2": False, "m3": True, "m4": True}



@pytest.mark.slow
def test_campaigns_and_desk_notebooks_run_under_papermill(tmp_path, campaign_bundle,
                                                          params_dir):
    from reportlib.render import Job, notebook_path, publish, render

    params_mod.dump_tenant(params_dir, ACME)
    for report in ("campaigns", "desk_followup"):
        job = Job("acme", "2026-10", report, "2026-11-20", "en", str(campaign_bundle.path),
                  "h", str(notebook_path(report)), str(tmp_path / "out"), "Acme")
        output = render(job)
        result = output.result
        assert result.status == "ok", result.error
        publish(tmp_path / "out", output)
        page = (tmp_path / "out" / f"{report}.html").read_text()
        assert "<script" not in page.lower()
        if report == "campaigns":
            assert result.figures["campaign.c1.received"] == 3
            assert "&lt;script&gt;" in page
            assert result.files["csv"] and (tmp_path / "out" / "campaigns" / "c1.csv").is_file()
        else:
            assert result.figures["total"] == 0
    json.dumps(result.figures)



# -- cost, buttons, send hours, honest A/B (docs/metrics.md, "Metrics of the campaigns report")
BR_MARKETING_ONLY = [RateRow("Brazil", "marketing", date(2025, 7, 1), 0.0625, True, "test")]



def make_cost_sources(tmp_path):
    """Campaign "Cupom" (cp) to Brazil and "Mexico" (mx) to a market without a rate."""
    base = tmp_path / "sources" / "acme"
    write(base / "campaigns" / "c.csv",
          "CampaignId,CampaignName,BotId,TemplateName,Category,Status,ScheduledAt,SentAt\n"
          f"cp,Cupom,acme-bot,cupom,marketing,Sent,{T0},{T0}\n"
          f"mx,Mexico,acme-bot,cupom_mx,marketing,Sent,{T0},{T0}\n")
    rows = [f"p{i},cp,campaign,,acme-bot,1001,+551199999100{i},cupom,marketing,{T0}"
            for i in range(1, 6)]
    rows.append(f"q1,mx,campaign,,acme-bot,1001,+5215512341234,cupom_mx,marketing,{T0}")
    write(base / "notifications" / "n.csv", NOTIFICATIONS + "\n".join(rows) + "\n")
    s, later = "2026-10-05T13:00:05+00:00", "2026-10-05T13:05:00+00:00"
    regular = {"pricing": {"billable": "true", "pricing_model": "PMP", "type": "regular",
                           "category": "marketing"}}
    free = {"pricing": {"billable": "false", "pricing_model": "PMP",
                        "type": "free_customer_service", "category": "marketing"}}

    def click(n, mid, text, at):
        return {"from": f"551199999100{mid[1]}", "id": f"b{n}", "type": "button",
                "timestamp": str(unix(at)), "context": {"id": mid},
                "button": {"text": text, "payload": text.upper()}}

    lines = [
        webhook("1001", [status("p1", "sent", s, **regular),
                         status("p1", "delivered", later, **regular)]),
        webhook("1001", [status("p2", "sent", s, **regular), status("p2", "read", later)]),
        webhook("1001", [status("p3", "sent", s, **regular), status("p3", "read", later)]),
        # p4: the webhooks say it was free (customer-service window): costs nothing.
        webhook("1001", [status("p4", "sent", s, **free),
                         status("p4", "delivered", later, **free)]),
        webhook("1001", [status("p5", "failed", s, errors=[{"code": 131026}])]),
        webhook("1001", [status("q1", "sent", s, **regular), status("q1", "read", later)]),
        # Quick-reply clicks: "Quero" on p1, p2 and p3 (p3 twice: one click per message and
        # button); "Parar" on p3.
        webhook("1001", messages=[click(1, "p1", "Quero", "2026-10-05T13:10:00+00:00"),
                                  click(2, "p2", "Quero", "2026-10-05T13:11:00+00:00"),
                                  click(3, "p3", "Quero", "2026-10-05T13:12:00+00:00"),
                                  click(4, "p3", "Quero", "2026-10-05T13:13:00+00:00"),
                                  click(5, "p3", "Parar", "2026-10-05T13:14:00+00:00")]),
    ]
    write(base / "whatsapp_webhooks" / "w.jsonl", "\n".join(lines) + "\n")



@pytest.fixture
def cost_bundle(tmp_path, params_dir):
    make_cost_sources(tmp_path)
    ingest_whole(tmp_path, params_dir)
    return built_bundle(tmp_path, name="cost", rate_card=BR_MARKETING_ONLY)



def test_campaign_cost_per_read_and_reply_by_hand(cost_bundle):
    s = cost_bundle.table("campaign_summary").set_index("campaign_id")
    cp = s.loc["cp"]
    # Received p1..p4; p4 free (webhook pricing type free_customer_service); p5 failed: billed
    # p1, p2, p3 at Brazil's marketing rate on 2026-10-05, US$ 0.0625 each = US$ 0.1875.
    assert (cp.received, cp.billable, cp.free_messages, cp.cost_not_available) == (4, 3, 1, 0)
    assert cp.cost_usd == pytest.approx(0.1875)
    # Read p2, p3: 0.1875 / 2. Replied within 24 h (the button clicks answer p1, p2, p3):
    # 0.1875 / 3.
    assert (cp.read, cp.replied) == (2, 3)
    assert cp.cost_per_read == pytest.approx(0.09375)
    assert cp.cost_per_reply == pytest.approx(0.0625)
    # Mexico (+52): no rate for Mexico, Rest of Latin America or Other on this card: not
    # available, never zero; no cost per read either.
    mx = s.loc["mx"]
    assert (mx.billable, mx.cost_not_available) == (1, 1)
    assert pd.isna(mx.cost_usd) and pd.isna(mx.cost_per_read)
    messages = cost_bundle.table("campaign_messages").set_index("message_id")
    assert messages.loc["q1", "market"] == "Mexico" and messages.loc["p1", "market"] == "Brazil"
    assert messages.loc["p5", "cost_usd"] == 0 and messages.loc["p4", "cost_usd"] == 0

    report = CampaignsReport(cost_bundle, "pt-BR")
    figures = report.figures()
    assert figures["campaign.cp.cost_per_read"] == pytest.approx(0.09375)
    assert figures["campaign.mx.cost_usd"] is None and figures["cost_not_available"] == 1
    section = report.costs()
    text = " ".join(section.prose)
    assert "US$\xa00,19 + 1 sem preço" in text  # the Mexico message is counted apart
    assert "não disponível" in section.body and "US$\xa00,09" in section.body
    assert "estimado" in section.title.lower()
    en = CampaignsReport(cost_bundle, "en").costs()
    assert "not available" in en.body and "$0.09" in en.body


def test_a_number_sharing_plus_one_is_priced_in_its_own_countrys_market(tmp_path, params_dir):
    # Two marketing messages delivered on Mon 5 Oct 2026 (per-message pricing, the shipped
    # rate card): +1 809 is the Dominican Republic (Rest of Latin America, US$ 0.0740), +1 212
    # New York (North America, US$ 0.0250). Both were priced as North America: the
    # recipient's market read +1 alone. Campaign cost 0.0740 + 0.0250 = 0.0990.
    base = tmp_path / "sources" / "acme"
    promo_campaign(base, {"do1": "+18095550100", "us1": "+12125550100"})
    delivered = "2026-10-05T13:00:09+00:00"
    write(base / "whatsapp_webhooks" / "w.jsonl", "\n".join(
        webhook("1001", [status(mid, "sent", T0), status(mid, "delivered", delivered)])
        for mid in ("do1", "us1")) + "\n")
    ingest_whole(tmp_path, params_dir)
    b = built_bundle(tmp_path)
    messages = b.table("campaign_messages").set_index("message_id")
    assert messages.loc["do1", "market"] == "Rest of Latin America"
    assert messages.loc["us1", "market"] == "North America"
    assert messages.loc["do1", "cost_usd"] == pytest.approx(0.0740)
    assert messages.loc["us1", "cost_usd"] == pytest.approx(0.0250)
    assert CampaignsReport(b, "en").figures()["campaign.c1.cost_usd"] == pytest.approx(0.0990)


# A campaign's messages priced like consumption's (docs/metrics.md, "Cost of a campaign"): at
# the rate Meta applied that month where its pricing analytics give one, else the rate card.
BR_CARD = [RateRow("Brazil", "marketing", date(2025, 7, 1), 0.0625, True, "test"),
           RateRow("Brazil", "utility", date(2025, 7, 1), 0.0068, True, "test")]
# Meta's October 2026, Brazil utility: 1,000 messages in tier 0:1000 for US$ 6.80 (0.0068
# each) and 3,000 in tier 1001:10000 for US$ 15.30 (0.0051 each). A message has no tier of
# its own: the month's rate across tiers, 22.10 / 4,000 = 0.005525 a message.
OCTOBER_UTILITY_RATE = (6.80 + 15.30) / (1000 + 3000)
TIERED_SENDS = {  # campaign: template, category, send (UTC), its messages
    "u1": ("aviso", "utility", "2026-10-14T13:00:00+00:00", ("a1", "a2", "a3", "a4")),
    "mk": ("promo", "marketing", "2026-10-14T13:00:00+00:00", ("k1", "k2")),
    # 22:00 on October 31 in São Paulo: October's rate, though November in UTC.
    "u3": ("virada", "utility", "2026-11-01T01:00:00+00:00", ("v1",)),
    "u2": ("lembrete", "utility", "2026-11-10T13:00:00+00:00", ("l1", "l2")),
}


def make_tiered_sources(tmp_path):
    """Four campaigns to Brazil, every delivered message billed (regular pricing in its
    webhooks); a4 fails (not billed)."""
    base = tmp_path / "sources" / "acme"
    campaigns, rows, lines = [], [], []
    for n, (cid, (template, category, at, ids)) in enumerate(TIERED_SENDS.items()):
        campaigns.append(f"{cid},{template.title()},acme-bot,{template},{category},Sent,{at},{at}")
        sent = datetime.fromisoformat(at) + timedelta(seconds=5)
        later = (sent + timedelta(minutes=1)).isoformat()
        regular = {"pricing": {"billable": "true", "pricing_model": "PMP", "type": "regular",
                               "category": category}}
        for i, mid in enumerate(ids):
            rows.append(f"{mid},{cid},campaign,,acme-bot,1001,+55119999920{n}{i},{template},"
                        f"{category},{at}")
            final = ("failed", {"errors": [{"code": 131026}]}) if mid == "a4" else (
                "read" if mid == "a3" else "delivered", regular)
            lines.append(webhook("1001", [status(mid, "sent", sent.isoformat(), **regular),
                                          status(mid, final[0], later, **final[1])]))
    write(base / "campaigns" / "c.csv",
          "CampaignId,CampaignName,BotId,TemplateName,Category,Status,ScheduledAt,SentAt\n"
          + "\n".join(campaigns) + "\n")
    write(base / "notifications" / "n.csv", NOTIFICATIONS + "\n".join(rows) + "\n")
    write(base / "whatsapp_webhooks" / "w.jsonl", "\n".join(lines) + "\n")


def meta_point(con, day, category, pricing_type, volume, cost=None, tier=None):
    """One daily point of Meta's pricing analytics for Brazil (a São Paulo day: 03:00 UTC)."""
    con.execute(
        "INSERT INTO pricing_daily VALUES ('acme', 'w-acme', ?::TIMESTAMPTZ, "
        "?::TIMESTAMPTZ + INTERVAL 1 DAY, '551140000001', 'BR', ?, ?, ?, ?, ?, 'hand-made', "
        "'DAILY', 'phone_number,country,pricing_type,pricing_category')",
        [f"{day}T03:00:00+00:00", f"{day}T03:00:00+00:00", pricing_type, category, tier,
         volume, cost])


@pytest.fixture
def tiered_bundle(tmp_path, params_dir):
    make_tiered_sources(tmp_path)
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    assert not [r for r in results if r.failed or r.rows_rejected], [r.line() for r in results]
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    try:
        # October: the two tiers above, both before the period's first day (the month's rate
        # reads the whole month, not the period's days); 2,000 messages of October 16 in the
        # second tier that Meta has not priced yet, and free messages: neither in the rate.
        meta_point(con, "2026-10-02", "UTILITY", "REGULAR", 1000, 6.80, "0:1000")
        meta_point(con, "2026-10-09", "UTILITY", "REGULAR", 3000, 15.30, "1001:10000")
        meta_point(con, "2026-10-16", "UTILITY", "REGULAR", 2000, None, "1001:10000")
        meta_point(con, "2026-10-16", "UTILITY", "FREE_CUSTOMER_SERVICE", 400, 0)
        # Marketing has no tiers: Meta's 0.05 a message here is no rate of a tier.
        meta_point(con, "2026-10-14", "MARKETING", "REGULAR", 100, 5.00)
        # November: volume in a tier but no cost (billed through a provider).
        meta_point(con, "2026-11-03", "UTILITY", "REGULAR", 500, None, "0:1000")
    finally:
        con.close()
    return built_bundle(tmp_path, "2026-10-10..2026-11-30", name="tiered", rate_card=BR_CARD)


def test_a_tenant_billed_in_reais_has_no_dollar_price_for_its_campaigns(cost_bundle,
                                                                         tmp_path):
    """The same campaigns for a tenant Meta bills in reais, with a card in dollars only: no
    message is priced (never US$ 0.0625 shown as R$ 0,06), the 4 billed messages (p1..p3
    and the Mexican q1) are counted apart, and the sentence says the currency is why."""
    import dataclasses

    b = built_bundle(tmp_path, name="reais", rate_card=BR_MARKETING_ONLY,
                     tenant=dataclasses.replace(ACME, currency="BRL"))
    assert b.table("campaign_summary")["cost_usd"].isna().all()
    report = CampaignsReport(b, "pt-BR")
    assert report.figures()["cost_not_available"] == 4
    text = " ".join(report.costs().prose)
    assert ("4 mensagens pagas não têm preço (a tabela de preços não tem tarifas em real "
            "brasileiro (R$), a moeda em que a Meta cobra esta conta") in text
    assert "US$" not in text + report.costs().body


def test_campaign_cost_uses_the_rate_meta_applied_that_month(tiered_bundle):
    messages = tiered_bundle.table("campaign_messages").set_index("message_id")
    s = tiered_bundle.table("campaign_summary").set_index("campaign_id")
    # Aviso: a1, a2, a3 billed (a4 failed) at October's rate across tiers, not the card's
    # 0.0068: 3 x 0.005525 = US$ 0.016575 (the card would say 0.0204).
    assert s.loc["u1", "billable"] == 3
    assert s.loc["u1", "cost_usd"] == pytest.approx(3 * OCTOBER_UTILITY_RATE)
    assert s.loc["u1", "cost_usd"] == pytest.approx(0.016575)
    assert messages.loc[["a1", "a2", "a3"], "rate_source"].tolist() == ["meta_month"] * 3
    assert messages.loc["a4", "cost_usd"] == 0 and pd.isna(messages.loc["a4", "rate_source"])
    # Virada: sent on October 31 in the tenant's zone, so October's rate.
    assert messages.loc["v1", "cost_usd"] == pytest.approx(OCTOBER_UTILITY_RATE)
    # Lembrete: Meta gave November's utility no cost: the rate card, 2 x 0.0068 = 0.0136.
    assert s.loc["u2", "cost_usd"] == pytest.approx(0.0136)
    assert messages.loc[["l1", "l2"], "rate_source"].tolist() == ["rate_card"] * 2
    # Promo: marketing has no tiers, so the card as in the consumption report: 2 x 0.0625.
    assert s.loc["mk", "cost_usd"] == pytest.approx(0.125)
    assert messages.loc[["k1", "k2"], "rate_source"].tolist() == ["rate_card"] * 2
    assert (s["cost_not_available"] == 0).all()

    report = CampaignsReport(tiered_bundle, "en")
    assert report.figures()["campaign.u1.cost_usd"] == pytest.approx(0.016575)
    detail = " ".join(report.costs().prose)
    assert "the rate Meta applied in the send month" in detail
    assert "else at Meta's rate card on the send day" in detail
    detail = " ".join(CampaignsReport(tiered_bundle, "pt-BR").costs().prose)
    assert "tarifa que a Meta aplicou no mês do envio" in detail
    assert "senão, pela tabela de preços da Meta no dia do envio" in detail


@pytest.mark.slow
def test_demo_campaign_utility_cost_agrees_with_the_consumption_estimate(tmp_path):
    """The reader's case: the English demo tenant Banco Aurora, November 2026. Its campaigns
    sent 2,582 billed utility messages, which the campaigns report priced at the card's
    0.0068 ($17.56) while the consumption report priced the month's utility at the rates Meta
    applied in its tiers. Now each campaign message is priced at the month's rate across
    tiers, which is what the consumption estimate gives a message on average: its estimate for
    the month's paid utility messages (Meta's cost to the cent where Meta reports it, here
    every point) / those messages. So the campaigns' total is that share of it ($17.11); the
    two agree exactly when Meta reported a cost for every paid utility point of the month."""
    demo.generate(tmp_path / "sources", tmp_path / "params", date(2026, 11, 20), tenants=2,
                  months=3)
    ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", tmp_path / "params")
    tenant = params_mod.load_tenant(tmp_path / "params", "banco_aurora")
    b = built_bundle(tmp_path, "2026-11", reports=("campaigns", "consumption"), tenant=tenant,
                     name="aurora")
    messages = b.table("campaign_messages")
    utility = messages[(messages.category == "utility") & messages.billable]
    assert len(utility) > 1000 and set(utility.market) == {"Brazil"}
    # Consumption's November utility, Brazil: Meta gave a cost on every paid point, in more
    # than one tier, so its estimate is Meta's cost.
    cost = b.table("consumption_cost")
    tiers = cost[(cost.category == "utility") & (cost.market == "Brazil")]
    assert len(tiers) >= 2 and tiers.tier_rate.all()
    assert tiers.points_without_meta_cost.sum() == 0
    assert tiers.our_cost_usd.sum() == pytest.approx(tiers.meta_cost_usd.sum(), abs=1e-5)
    per_message = tiers.our_cost_usd.sum() / tiers.paid.sum()
    ours = utility.cost_usd.sum()
    # (consumption rounds each point's estimate to 6 decimals: equal to a millionth)
    assert ours == pytest.approx(len(utility) * per_message, rel=1e-6)
    assert set(utility.rate_source) == {"meta_month"}
    # ... and no longer the card's figure (0.0068 a message).
    assert round(ours, 2) != round(len(utility) * 0.0068, 2)
    report = CampaignsReport(b, "en")
    summary = b.table("campaign_summary")
    shown = summary[summary.category == "utility"].cost_usd.sum()
    assert report.fmt.money(shown) == report.fmt.money(len(utility) * per_message)



def test_button_click_through_rate_by_hand(cost_bundle):
    report = CampaignsReport(cost_bundle, "en")
    clicks = button_clicks(report.messages_df)
    got = {(r.template_name, r.button_text): (r.clicks, r.delivered, r.ctr)
           for r in clicks.itertuples()}
    # Template cupom: received p1..p4 = 4. "Quero" clicked on p1, p2, p3 (p3's second click
    # counts once): 3 / 4. "Parar" on p3: 1 / 4. cupom_mx: no click, no row.
    assert got == {("cupom", "Quero"): (3, 4, 0.75), ("cupom", "Parar"): (1, 4, 0.25)}
    section = report.buttons()
    assert "“Quero” of cupom: 3 clicks, 75.0% (3/4)" in section.prose[0]
    assert "25,0%" in CampaignsReport(cost_bundle, "pt-BR").buttons().body



def hour_messages(spec, category="marketing"):
    """Hand-made campaign_messages rows: (send hour, count, final status, replied), all of one
    category."""
    rows = []
    for hour, count, final, replied in spec:
        rows += [{"send_hour": hour, "final_status": final, "replied_24h": replied,
                  "category": category,
                  "template_name": "t", "buttons": [], "recipient": "+5511", "send_week":
                  date(2026, 10, 5), "opted_out_7d": False, "error_code": None}] * count
    return pd.DataFrame(rows)



def test_send_hour_rates_with_a_minimum_volume(campaign_bundle):
    # 10h: 100 received (60 read, 10 of them replied; 40 delivered); 14h: 120 received (90
    # read, 6 replied); 20h: 99 received, all read: below the minimum of 100, "too few".
    # Failed messages are no part of any rate.
    messages = hour_messages([
        (10, 50, "read", False), (10, 10, "read", True), (10, 40, "delivered", False),
        (10, 30, "failed", False),
        (14, 84, "read", False), (14, 6, "read", True), (14, 30, "delivered", False),
        (20, 99, "read", False)])
    report = CampaignsReport(campaign_bundle, "pt-BR")
    report.messages_df = messages
    hours = report.hour_rates().set_index("hour")
    assert hours.loc[10, "read_rate"] == pytest.approx(0.60)
    assert hours.loc[10, "reply_rate"] == pytest.approx(0.10)
    assert hours.loc[14, "read_rate"] == pytest.approx(0.75)
    assert hours.loc[14, "reply_rate"] == pytest.approx(0.05)
    assert not hours.loc[20, "enough"] and pd.isna(hours.loc[20, "read_rate"])
    section = report.peaks()
    # Best by read rate: 14h then 10h (20h, at 100 %, has too few to say); by reply: 10h.
    assert "Marketing — melhores horas para enviar, pela taxa de leitura: 14h (75,0%), " \
        "10h (60,0%)" in section.prose[0]
    assert "10h (10,0%), 14h (5,0%)" in section.prose[1]
    assert "poucas" in section.body and "100,0%" not in section.body
    # In English an hour reads "14:00", never the Portuguese "14h".
    english = CampaignsReport(campaign_bundle, "en")
    english.messages_df = messages
    section = english.peaks()
    assert "Marketing: best hours to send, by read rate: 14:00 (75.0%), 10:00 (60.0%)" \
        in section.prose[0]
    assert ">14:00<" in section.body and "14h" not in section.body + "".join(section.prose)
    few = CampaignsReport(campaign_bundle, "en")
    few.messages_df = hour_messages([(9, 99, "read", False)])
    assert "too few" in few.peaks().prose[0]



def test_the_heatmap_comes_under_a_heading_and_sentence_of_its_own(campaign_bundle,
                                                                   monkeypatch):
    # The heatmap followed the hours' table, introduced by the section's last sentence
    # ("After the table, ...") above that table: a page break between the table and the chart
    # left the chart alone at the top of a page, away from its heading.
    report = CampaignsReport(campaign_bundle, "pt-BR")
    report.messages_df = hour_messages([(10, 80, "read", False), (10, 20, "delivered", False)])
    monkeypatch.setattr(report, "heatmap", lambda category: '<img class="chart" alt="mapa"/>')
    section = report.peaks()
    assert section.body.endswith(
        '<div class="chart-block"><h3>Taxa de leitura por dia da semana e hora do envio</h3>'
        "<p>Marketing, a categoria com mais mensagens recebidas; células com menos de 30 "
        'recebidas ficam em cinza.</p><img class="chart" alt="mapa"/></div>')
    assert not any("tabela" in sentence for sentence in section.prose)


def test_best_send_hours_are_ranked_within_a_category(campaign_bundle):
    # Utility at 9h: 100 received, 80 read (80 %). Marketing at 10h: 100 received, 50 read
    # (50 %); at 14h: 100 received, 60 read (60 %). Across categories 9h would "win" with a
    # rate only utility messages reach; within each: marketing 14h then 10h, utility 9h.
    # Marketing has 200 received, so it comes first.
    messages = pd.concat([
        hour_messages([(9, 80, "read", False), (9, 20, "delivered", False)], "utility"),
        hour_messages([(10, 50, "read", False), (10, 50, "delivered", False),
                       (14, 60, "read", True), (14, 40, "delivered", False)], "marketing"),
    ], ignore_index=True)
    report = CampaignsReport(campaign_bundle, "pt-BR")
    report.messages_df = messages
    section = report.peaks()
    assert section.prose[0] == ("Marketing — melhores horas para enviar, pela taxa de leitura: "
                                "14h (60,0%), 10h (50,0%) (fuso de São Paulo).")
    assert section.prose[1] == "Marketing — pela taxa de resposta: 14h (60,0%), 10h (0,0%)."
    assert section.prose[2].startswith("Utilidade — melhores horas para enviar, pela taxa de "
                                       "leitura: 9h (80,0%)")
    assert "9h (80,0%), 14h" not in " ".join(section.prose)
    # The table says each hour's category; an hour sent in two categories is two rows.
    assert section.body.count(">Marketing<") == 2 and section.body.count(">Utilidade<") == 1


def test_the_funnel_does_not_repeat_the_campaigns_table(campaign_bundle):
    # The funnel's steps per campaign are the campaigns section's columns: the funnel shows its
    # charts and points there instead of a second table of the same numbers.
    report = CampaignsReport(campaign_bundle, "pt-BR")
    funnel, campaigns = report.funnel(), report.campaigns()
    assert "<table" not in funnel.body
    assert "na seção “Campanhas”" in funnel.prose[-1]
    for step in ("Público", "Enviadas", "Recebidas", "Lidas", "Respondidas", "Tickets"):
        assert f">{step}<" in campaigns.body, step


def test_with_no_message_sent_yet_the_delivery_rate_is_not_available(tmp_path, params_dir):
    # Two messages accepted on Mon 5 Oct, no status from WhatsApp yet (both pending): sent =
    # audience - pending = 0, so received / sent has no denominator. The funnel said
    # "0 arrived (0.0%)"; the rates table already said "–".
    base = tmp_path / "sources" / "acme"
    promo_campaign(base, {f"m{i}": f"+551199999000{i}" for i in (1, 2)})
    ingest_whole(tmp_path, params_dir)
    report = CampaignsReport(built_bundle(tmp_path, as_of=date(2026, 10, 6)), "en")
    assert report.funnel().prose[0] == ("None of the 2 messages has had an answer from "
                                        "WhatsApp yet: the delivery rate is not available yet.")
    assert "0.0%" not in " ".join(report.funnel().prose)
    assert ">–<" in report.rates().body


def test_a_period_whose_campaigns_have_no_message_has_no_funnel_of_zero_percent(tmp_path,
                                                                                 params_dir):
    """The export says campaign c1 was sent on Mon 5 Oct 2026 (status Canceled); no message of
    it is in the sources. The period has 1 campaign and an audience of 0: read / audience has
    no denominator. The funnel's chart was titled "0.0% of the audience read the message" over
    six bars of "0 (0.0%)", and its sentence read "None of the 0 messages ..."."""
    from tests.conftest import acme_bundle

    campaigns = ("CampaignId,CampaignName,BotId,TemplateName,Category,Status,ScheduledAt,"
                 f"SentAt\nc1,Promo,acme-bot,promo_a,marketing,Canceled,{T0},{T0}\n")
    report = CampaignsReport(acme_bundle(tmp_path, params_dir, {"campaigns/c.csv": campaigns},
                                         "2026-10", date(2026, 11, 20), ("campaigns",)), "en")
    assert report.figures()["campaigns"] == 1 and report.figures()["audience"] == 0
    funnel = report.funnel()
    assert funnel.prose == ["The period's campaigns have no messages: the funnel is not "
                            "available."]
    assert "0.0%" not in funnel.body and "<img" not in funnel.body


def test_statuses_out_of_order_in_two_files_at_2330_on_the_last_day(tmp_path, params_dir):
    """Campaign c1 (São Paulo, UTC−3) sends m1, m2, m3, accepted at 23:30 on Sat 31 Oct 2026
    (02:30 UTC on 1 Nov). Two webhook files, in the order a receiver may get them:
    - w1.jsonl: m1 read at 02:40; m2 failed (131049) at 02:45; m3 read at 02:50.
    - w2.jsonl: m1 sent 02:30:05, delivered 02:30:09, read 02:40 again (a repeat); m2
      delivered 02:30:09 before sent 02:30:05; m3 sent 02:30:05 (never a delivered).
    Final statuses: m1 read; m2 delivered (its failure came after the delivery receipt: the
    receipt outranks it); m3 read (read implies delivered). So October's campaign (its first
    message on a local day of October; none in November): audience 3, failed 0, received 3,
    read 2, read rate 2 / 3. Time to read (read − sent): m1 9 min 55 s, m3 19 min 55 s;
    median 14 min 55 s = 14.9167 min. Cost: 3 billable marketing messages to Brazil at the
    card's 0.0625 = 0.1875. The reconciliation counts the 3 delivered on Sat 31 Oct (local
    day of delivery, else of reading), none on 1 Nov."""
    from tests.conftest import acme_bundle

    at = "2026-10-31T23:30:00-03:00"
    notifications = NOTIFICATIONS + "".join(
        f"m{i},c1,campaign,,acme-bot,1001,+551199999000{i},promo_a,marketing,{at}\n"
        for i in (1, 2, 3))
    campaigns = ("CampaignId,CampaignName,BotId,TemplateName,Category,Status,ScheduledAt,"
                 f"SentAt\nc1,Promo,acme-bot,promo_a,marketing,Sent,{at},{at}\n")
    w1 = [webhook("1001", [status("m1", "read", "2026-11-01T02:40:00+00:00")]),
          webhook("1001", [status("m2", "failed", "2026-11-01T02:45:00+00:00",
                                  errors=[{"code": 131049}])]),
          webhook("1001", [status("m3", "read", "2026-11-01T02:50:00+00:00")])]
    w2 = [webhook("1001", [status("m1", "sent", "2026-11-01T02:30:05+00:00"),
                           status("m1", "delivered", "2026-11-01T02:30:09+00:00")]),
          webhook("1001", [status("m1", "read", "2026-11-01T02:40:00+00:00")]),
          webhook("1001", [status("m2", "delivered", "2026-11-01T02:30:09+00:00"),
                           status("m2", "sent", "2026-11-01T02:30:05+00:00")]),
          webhook("1001", [status("m3", "sent", "2026-11-01T02:30:05+00:00")])]
    files = {"campaigns/c.csv": campaigns, "notifications/n.csv": notifications,
             "whatsapp_webhooks/w1.jsonl": "\n".join(w1) + "\n",
             "whatsapp_webhooks/w2.jsonl": "\n".join(w2) + "\n"}
    seen = {}
    for period in ("2026-10", "2026-11"):
        b = acme_bundle(tmp_path / period, params_dir, files, period, date(2026, 12, 20),
                        ("campaigns", "consumption"))
        seen[period] = (CampaignsReport(b, "en"), b.table("consumption_reconciliation"))
    october, reconciliation = seen["2026-10"]
    s = october.summary_df.set_index("campaign_id").loc["c1"]
    assert (s.audience, s.pending, s.failed, s.received, s["read"]) == (3, 0, 0, 3, 2)
    assert s.read_rate == pytest.approx(2 / 3) and s.failure_rate == 0
    assert s.minutes_to_read_median == pytest.approx(14 + 55 / 60)
    assert s.cost_usd == pytest.approx(3 * 0.0625)
    assert october.failures_df.empty
    assert [(str(r.day.date()), r.category, r.delivered)
            for r in reconciliation.itertuples()] == [("2026-10-31", "marketing", 3)]
    november, reconciliation = seen["2026-11"]
    assert november.figures()["campaigns"] == 0 and reconciliation.empty


def test_the_opt_out_section_counts_the_131050_failures_the_failures_section_counts(
        tmp_path, params_dir):
    """Campaign c1 on Mon 5 Oct 2026: m1 delivered at 13:00:09 UTC, then a failure webhook
    with 131050 at 13:00:30 (the receipt outranks it: m1 is delivered, not failed); m2 failed
    with 131050 at 13:00:02. The failures section: 1 message failed, 131050 1. The opt-out
    section said 2 messages failed with 131050 (it counted any message with the code)."""
    from tests.conftest import acme_bundle

    notifications = NOTIFICATIONS + "".join(
        f"m{i},c1,campaign,,acme-bot,1001,+551199999000{i},promo_a,marketing,{T0}\n"
        for i in (1, 2))
    campaigns = ("CampaignId,CampaignName,BotId,TemplateName,Category,Status,ScheduledAt,"
                 f"SentAt\nc1,Promo,acme-bot,promo_a,marketing,Sent,{T0},{T0}\n")
    hooks = [webhook("1001", [status("m1", "sent", "2026-10-05T13:00:05+00:00"),
                              status("m1", "delivered", "2026-10-05T13:00:09+00:00")]),
             webhook("1001", [status("m1", "failed", "2026-10-05T13:00:30+00:00",
                                     errors=[{"code": 131050}])]),
             webhook("1001", [status("m2", "failed", "2026-10-05T13:00:02+00:00",
                                     errors=[{"code": 131050}])])]
    report = CampaignsReport(acme_bundle(
        tmp_path, params_dir, {"campaigns/c.csv": campaigns, "notifications/n.csv": notifications,
                               "whatsapp_webhooks/w.jsonl": "\n".join(hooks) + "\n"},
        "2026-10", date(2026, 11, 20), ("campaigns",)), "en")
    assert report.figures()["failed"] == 1
    assert report.failures_df.set_index("error_code")["messages"].to_dict() == {131050: 1}
    trend = opt_out_trend(report.messages_df)
    assert int(trend["failed_131050"].sum()) == 1
    prose = " ".join(report.opt_out_trend().prose)
    assert re.search(r"(\d+) messages? failed because", prose).group(1) == "1", prose


def table_rows(body: str) -> dict[str, list[str]]:
    """The rows of the HTML tables in `body` by their first cell's text (its no-break spaces
    read as spaces): the other cells' text (tags and entities resolved)."""
    import html

    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body):
        cells = [html.unescape(re.sub("<[^>]+>", "", c))
                 for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]
        rows[cells[0].replace("\u00a0", " ")] = cells[1:]
    return rows


def ab_summary(read_a, received_a, read_b, received_b, names=("Teste X", "Teste Y")):
    return pd.DataFrame({
        "campaign_id": ["x", "y"], "campaign_name": list(names),
        "audience": [received_a, received_b], "received": [received_a, received_b],
        "read": [read_a, read_b], "replied": [0, 0],
        "sent_at": [pd.Timestamp("2026-10-05T13:00Z"), pd.Timestamp("2026-10-09T13:00Z")]})



def test_declared_pair_underpowered_says_not_enough_data(campaign_bundle):
    report = CampaignsReport(campaign_bundle, "en")
    # Names that are no variants, sent 4 days apart: not compared...
    report.summary_df = ab_summary(20, 40, 26, 40)
    assert report.comparisons() == []
    # ...unless the tenant declares them an experiment.
    report.declared_pairs = [["x", "y"]]
    read = [c for c in report.comparisons() if c["measure"] == "read"][0]
    # A 20/40 = 50 %, B 26/40 = 65 %: +15 pp. Pooled 46/80 = 0.575; minimum detectable
    # difference = (1.959964 + 0.841621) * sqrt(0.575 * 0.425 * (1/40 + 1/40))
    # = 2.801585 * 0.110538 = 0.30968 -> 31.0 pp > 15 pp: not enough data yet.
    assert read["mdd"] == pytest.approx(0.30968, abs=1e-5)
    assert read["verdict"] == "underpowered"
    body = report.variants().body
    # The 95 % interval the section promises, unpooled: 0.15 -/+ 1.959964 * sqrt(0.5 * 0.5 / 40
    # + 0.65 * 0.35 / 40) = 0.15 -/+ 0.21414 -> -6.4 to 36.4 pp.
    rows = table_rows(body)
    assert rows["95% interval"][0] == "−6.4 to 36.4\u00a0pp"
    assert rows["Difference (B − A)"][0] == "+15.0\u00a0pp"
    assert rows["Minimum detectable difference"][0] == "31.0\u00a0pp"
    assert rows["Result"][0] == "Not enough data yet"
    # z = 0.15 / 0.110538 = 1.3570, p = 2 * (1 - Phi(1.3570)) = 0.175, printed as it is.
    assert rows["p"][0] == "0.175"
    # A p under 0.05 beside "not enough data yet" is explained where the rule is stated.
    assert "even with p under 0.05" in report.variants().prose[1]



def test_large_pair_verdict_and_small_p_value(campaign_bundle):
    report = CampaignsReport(campaign_bundle, "pt-BR")
    report.summary_df = ab_summary(5000, 10000, 5300, 10000, ("Frete – A", "Frete – B"))
    report.summary_df["sent_at"] = pd.Timestamp("2026-10-05T13:00Z")
    (read,) = [c for c in report.comparisons() if c["measure"] == "read"]
    # +3 pp; pooled 0.515: MDD = 2.801585 * sqrt(0.515 * 0.485 * 0.0002) = 0.019802 (2.0 pp);
    # z = 0.03 / 0.0070679 = 4.245, p = 2.2e-5: below 0.001.
    assert read["mdd"] == pytest.approx(0.019802, abs=1e-5)
    assert read["verdict"] == "more" and read["result"].p_value < 0.001
    body = report.variants().body
    assert "&lt; 0,001" in body and "0,000" not in body
    rows = table_rows(body)
    assert rows["Resultado"][0] == "B é mais lida"
    assert rows["Diferença (B − A)"][0] == "+3,0\u00a0pp"
    assert CampaignsReport(campaign_bundle, "en").p_value(0.0004) == "< 0.001"



def test_a_variant_pair_reads_as_one_table_with_a_result_of_a_few_words(campaign_bundle):
    # The result column held a sentence repeating the difference, its interval and the
    # minimum detectable difference ("dados insuficientes ainda (5,5 pp, IC 95% 0,6 a 10,4;
    # detectável a partir de 7,0 pp)"): beside nine other columns it wrapped into six lines of
    # two words. Now each pair is a table of its own, its measures as columns; each figure
    # has its row, and the result is the verdict alone, in a column as wide as the others.
    for locale, interval, result, words in (
            ("pt-BR", "Intervalo de 95%", "Resultado",
             {"Dados insuficientes", "B é mais lida", "B é menos lida",
              "B é mais respondida", "B é menos respondida", "Sem diferença significativa"}),
            ("en", "95% interval", "Result",
             {"Not enough data yet", "B is read more", "B is read less",
              "B is replied to more", "B is replied to less", "No significant difference"})):
        report = CampaignsReport(campaign_bundle, locale)
        summary = ab_summary(399, 688, 539, 849, ("Clube VIP – A", "Clube VIP – B"))
        summary["replied"] = [56, 59]
        summary["sent_at"] = pd.Timestamp("2026-10-05T13:00Z")
        report.summary_df = summary
        body = report.variants().body
        rows = table_rows(body)
        # One table for the pair, the names once each, as the rows of A and B.
        assert body.count("<table") == 1
        assert rows["A: Clube VIP – A"][0].startswith("58")
        assert rows["B: Clube VIP – B"][0].startswith("63")
        assert len(rows[result]) == 2 and set(rows[result]) <= words, rows[result]
        # 95% CI of +5.5 pp: 0.6 to 10.4 pp, in its own row.
        assert rows[interval][0] in ("0,6 a 10,4\u00a0pp", "0.6 to 10.4\u00a0pp")
        assert not any(ch.isdigit() for cell in rows[result] for ch in cell)


def test_opt_outs_per_template_and_week(campaign_bundle):
    trend = opt_out_trend(campaign_bundle.table("campaign_messages"))
    got = {(r.template_name, str(r.week)[:10]): (r.audience, r.received, r.opted_out,
                                                 r.failed_131050) for r in trend.itertuples()}
    # promo_a, week of Monday 2026-10-05: 6 messages, 3 received, m1's recipient stopped
    # marketing a day later (m3's after 8 days does not count), no 131050 failure.
    assert got[("promo_a", "2026-10-05")] == (6, 3, 1, 0)
    report = CampaignsReport(campaign_bundle, "en")
    section = report.opt_out_trend()
    # One of each in the singular (it read "1 recipients asked"); no sentence for 0 failures.
    assert section.prose[0] == ("1 recipient asked to stop marketing within 7 days of the "
                                "message.")
    assert CampaignsReport(campaign_bundle, "pt-BR").opt_out_trend().prose[0] == (
        "1 destinatário pediu para não receber mais marketing em até 7 dias após a mensagem.")
    assert "33.3% (1/3)" in section.body



def test_opt_outs_are_not_available_without_any_marketing_preference(tmp_path, params_dir):
    # The same sources without the user_preferences bodies: the tenant's webhooks never carry a
    # marketing preference (a WABA not subscribed to the field), so opt-outs are not known.
    # Before, every template and week showed 0 opt-outs and a 0,0% rate.
    make_sources(tmp_path)
    hooks = tmp_path / "sources" / "acme" / "whatsapp_webhooks" / "w.jsonl"
    hooks.write_text("".join(line for line in hooks.read_text().splitlines(keepends=True)
                             if '"user_preferences"' not in line))
    ingest_whole(tmp_path, params_dir)
    b = built_bundle(tmp_path)
    assert b.table("campaign_messages")["opted_out_7d"].isna().all()
    assert b.table("campaign_summary")["opted_out"].isna().all()
    trend = opt_out_trend(b.table("campaign_messages"))
    assert trend["opted_out"].isna().all() and trend["opt_out_rate"].isna().all()
    for locale, words in (("en", "Opt-outs not available"),
                          ("pt-BR", "Descadastros não disponíveis")):
        report = CampaignsReport(b, locale)
        section = report.opt_out_trend()
        assert section.prose[0].startswith(words)
        assert report.figures()["opted_out"] is None
        shown = section.body + " ".join(section.prose) + " ".join(report.campaigns().prose)
        assert "0,0%" not in shown and "0.0%" not in shown
        assert "recipients asked" not in shown and "destinatários pediram" not in shown


def test_headline_ranks_campaigns_within_their_category(campaign_bundle):
    report = CampaignsReport(campaign_bundle, "en")
    report.summary_df = pd.DataFrame({
        "campaign_id": ["m1", "m2", "m3", "u1"], "campaign_name": ["M1", "M2", "M3", "U1"],
        "category": ["marketing", "marketing", "marketing", "utility"],
        "received": [100, 200, 50, 100], "read": [60, 150, 50, 80],
        "read_rate": [0.60, 0.75, 1.0, 0.80],
        "cost_per_read": [6.25 / 60, 12.5 / 150, 0.0625, 0.68 / 80]})
    # M3 (100 % of 50) has fewer than 100 received: not ranked. Marketing: M2 reads 75 %
    # and costs 12.50 / 150 = $0.083 a read, less than M1's 6.25 / 60 = $0.104.
    assert report.ranking() == [
        "Marketing: highest read rate in M2: 75.0% (150/200).",
        "Marketing: lowest estimated cost per read in M2: $0.08.",
        "Utility: highest read rate in U1: 80.0% (80/100).",
        "Utility: lowest estimated cost per read in U1: $0.01.",
        "Campaigns are ranked within their category, among those with at least 100 received "
        "messages."]



@pytest.mark.parametrize(("zone", "instant", "local"), [
    ("America/Sao_Paulo", "2026-10-07 13:00:00.9+00", "2026-10-07T10:00:00-03:00"),
    ("America/New_York", "2026-01-15 14:00:00+00", "2026-01-15T09:00:00-05:00"),  # EST
    ("America/New_York", "2026-07-15 14:00:00+00", "2026-07-15T10:00:00-04:00"),  # EDT
    ("Asia/Kolkata", "2026-10-07 13:00:00+00", "2026-10-07T18:30:00+05:30"),
    ("UTC", "2026-10-07 13:00:00+00", "2026-10-07T13:00:00+00:00"),
])
def test_csv_times_are_local_with_their_offset(zone, instant, local):
    # The same text Python's isoformat(timespec="seconds") gives for the instant in the zone.
    from reportlib.reports.campaigns import _local_iso_sql

    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{zone}'")  # as write_campaign_csvs sets the tenant's
    con.execute(f"CREATE TABLE t AS SELECT TIMESTAMPTZ '{instant}' AS sent_at "
                "UNION ALL SELECT NULL")
    got = [r[0] for r in con.execute(f"SELECT {_local_iso_sql('sent_at')} FROM t").fetchall()]
    expected = pd.Timestamp(instant).tz_convert(zone).isoformat(timespec="seconds")
    assert got == [local, ""] and local == expected


@pytest.mark.parametrize("value", [
    "plain", "", "=SUM(A1)", "+55 11", "-3", "@me", "\tx", "\rx", 'say "hi"', "a,b", "two\nlines",
    "cr\rinside", '=a,"b"', "•••", None])
def test_a_csv_line_made_in_sql_is_the_one_pythons_csv_module_writes(value):
    # The campaign CSVs' lines are made in SQL (write_campaign_csvs): each cell neutralised
    # (csv_cell) and quoted as csv.QUOTE_MINIMAL quotes it, in a line ending in CRLF.
    import csv
    import io

    from reportlib.look.safe import csv_cell, csv_cell_sql
    from reportlib.reports.campaigns import _csv_field_sql

    con = duckdb.connect()
    got = con.execute(f"SELECT {_csv_field_sql(csv_cell_sql('$v'))} || ',' || "
                      f"{_csv_field_sql(csv_cell_sql('$v'))}", {"v": value}).fetchone()[0]
    expected = io.StringIO()
    csv.writer(expected).writerow([csv_cell(value), csv_cell(value)])
    assert got + "\r\n" == expected.getvalue()


@pytest.mark.parametrize(("zone", "instant", "local"), [
    # Before standard time a zone's offset had seconds; the CSV writes hours and minutes
    # (the seconds dropped), as it always has. Found by a review of the SQL rewrite.
    ("Africa/Monrovia", "1970-01-01 00:00:00+00", "1969-12-31T23:15:30-00:44"),
    ("America/Sao_Paulo", "1900-01-01 00:00:00+00", "1899-12-31T20:53:32-03:06"),
    ("Asia/Tehran", "1930-01-01 00:00:00+00", "1930-01-01T03:25:44+03:25"),
])
def test_csv_times_in_an_offset_with_seconds_keep_hours_and_minutes(zone, instant, local):
    from reportlib.reports.campaigns import _local_iso_sql

    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{zone}'")
    got = con.execute(f"SELECT {_local_iso_sql('t')} FROM "
                      f"(SELECT TIMESTAMPTZ '{instant}' AS t)").fetchone()[0]
    assert got == local



def test_campaign_prose_counts_messages_not_contacts(campaign_bundle):
    # The notes say "counts of messages, not people": the headline says messages too.
    # c1: 6 messages, c2: 1, the escaped id 1; received m1, m2, m3.
    prose = CampaignsReport(campaign_bundle, "pt-BR").campaigns().prose[0]
    assert prose.startswith("3 campanhas no período: 8 mensagens, 3 recebidas e 2 lidas."), prose
    assert "contatos" not in prose


def test_every_per_campaign_table_marks_provisional_figures(tmp_path, params_dir):
    # As of 2026-10-20 the campaigns sent on 2026-10-05 may still change (30 days): every
    # table of one row per campaign marks its figures, not only the first two.
    make_sources(tmp_path)
    ingest_whole(tmp_path, params_dir)
    report = CampaignsReport(built_bundle(tmp_path, as_of=date(2026, 10, 20)), "en")
    for section in (report.campaigns(), report.rates(), report.costs(), report.time_to_read()):
        assert section.body.count(" †") >= 2, section.title
        assert "Provisional: statuses can still change; the figures are final on" in \
            section.body, section.title


def test_a_campaign_sent_over_days_is_provisional_while_its_last_messages_are(tmp_path,
                                                                             params_dir):
    # c1 sent from Thu 1 Oct 10:00 (São Paulo) with its last message on Sat 3 Oct (a throttled
    # send). As of 1 Nov the days from 2 Oct (1 Nov - 30 days) may still change: the 3 Oct
    # message's statuses move until 2 Nov, so c1's figures are provisional, though its first
    # day is final. Its row was left unmarked (the campaign's send time, 1 Oct, decided).
    base = tmp_path / "sources" / "acme"
    write(base / "campaigns" / "c.csv",
          "CampaignId,CampaignName,BotId,TemplateName,Category,Status,ScheduledAt,SentAt\n"
          "c1,Lenta,acme-bot,promo_a,marketing,Sent,2026-10-01T10:00:00-03:00,"
          "2026-10-01T10:00:00-03:00\n")
    write(base / "notifications" / "n.csv", NOTIFICATIONS +
          "m1,c1,campaign,,acme-bot,1001,+5511999990001,promo_a,marketing,"
          "2026-10-01T10:00:00-03:00\n"
          "m2,c1,campaign,,acme-bot,1001,+5511999990002,promo_a,marketing,"
          "2026-10-03T10:00:00-03:00\n")
    ingest_whole(tmp_path, params_dir)
    report = CampaignsReport(built_bundle(tmp_path, as_of=date(2026, 11, 1)), "en")
    assert report.provisional_rows() == [True]
    assert " †" in report.campaigns().body
    # As of 3 Nov (days from 4 Oct may change) every message of c1 is final.
    final = CampaignsReport(built_bundle(tmp_path, as_of=date(2026, 11, 3), name="later"), "en")
    assert final.provisional_rows() == [False]


def test_a_campaign_sending_past_the_periods_end_keeps_it_provisional_30_days_after(
        tmp_path, params_dir):
    # c1 starts on Sat 31 Oct 23:00 (São Paulo), an October campaign; its last message goes
    # out on Sun 1 Nov 00:30. That message's statuses change until 1 Nov + 30 days = 1 Dec:
    # October's campaigns are provisional until 1 Dec (not 30 Nov, the period's end + 30),
    # final on 2 Dec.
    base = tmp_path / "sources" / "acme"
    write(base / "campaigns" / "c.csv",
          "CampaignId,CampaignName,BotId,TemplateName,Category,Status,ScheduledAt,SentAt\n"
          "c1,Virada,acme-bot,promo_a,marketing,Sent,2026-10-31T23:00:00-03:00,"
          "2026-10-31T23:00:00-03:00\n")
    write(base / "notifications" / "n.csv", NOTIFICATIONS +
          "m1,c1,campaign,,acme-bot,1001,+5511999990001,promo_a,marketing,"
          "2026-10-31T23:00:00-03:00\n"
          "m2,c1,campaign,,acme-bot,1001,+5511999990002,promo_a,marketing,"
          "2026-11-01T00:30:00-03:00\n")
    ingest_whole(tmp_path, params_dir)
    on_1_dec = CampaignsReport(built_bundle(tmp_path, as_of=date(2026, 12, 1)), "en")
    figures = on_1_dec.published_figures()
    assert figures["provisional_until"] == "2026-12-01" and figures["provisional"] is True
    assert on_1_dec.provisional_rows() == [True]
    on_2_dec = CampaignsReport(built_bundle(tmp_path, as_of=date(2026, 12, 2), name="later"),
                               "en")
    assert on_2_dec.published_figures()["provisional"] is False
    assert on_2_dec.provisional_rows() == [False]


def test_the_retry_column_uses_the_words_its_note_explains(campaign_bundle):
    # The note under "Causas de falha" names the column's answers; every cell is one of them
    # (before: cells said "não (corrija antes)" under a note that said "nunca", and a code held
    # out by Meta read "corrija antes" beside "Nada a fazer").
    from reportlib.domain import error_codes

    for locale in ("pt-BR", "en"):
        report = CampaignsReport(campaign_bundle, locale)
        note = report._say("failures.detail", action=report._t("action"))
        for kind in ("never", "later", "yes", "unknown"):
            assert error_codes.RETRY_LABELS[kind][locale] in note, (locale, kind)
    assert error_codes.retry_label(130472, "pt-BR") == "não"
    assert "corrija" not in error_codes.retry_label(130472, "pt-BR")
    assert error_codes.meaning(135000, "pt-BR") == "Outro (código 135000)"


def test_notes_write_dates_as_the_reader_does_and_name_templates_in_portuguese(campaign_bundle):
    # Prose dates in the locale's words (not 01/07/2025), and the column the pt-BR prose calls
    # "modelo" is headed so.
    report = CampaignsReport(campaign_bundle, "pt-BR")
    notes = " ".join(report.footnotes().notes)
    assert "desde 1º de julho de 2025" in notes and "01/07/2025" not in notes
    assert ">Modelo<" in report.campaigns().body and ">Template<" not in report.campaigns().body
    english = " ".join(CampaignsReport(campaign_bundle, "en").footnotes().notes)
    assert "from July 1, 2025" in english


def test_the_main_failure_cause_reads_without_parentheses_in_parentheses(campaign_bundle):
    # Varejo Sul, November: "a causa principal foi 131049 (Não entregue para preservar o
    # engajamento (limite de marketing por usuário)), 46,5% das falhas".
    for locale, expected in (
            ("pt-BR", "4 mensagens falharam; a causa principal, com 75,0% das falhas, foi o "
                      "erro 131049: “Não entregue para preservar o engajamento (limite de "
                      "marketing por usuário)”."),
            ("en", "4 messages failed; the main cause, 75.0% of failures, was error 131049: "
                   "“Not delivered to keep ecosystem engagement healthy (per-user marketing "
                   "limit)”.")):
        report = CampaignsReport(campaign_bundle, locale)
        report.failures_df = pd.DataFrame({
            "campaign_id": ["c1", "c1"], "error_code": [131049, 131026], "messages": [3, 1]})
        assert report.failures().prose[0] == expected
        assert "))" not in report.failures().prose[0]


def test_none_or_one_free_message_is_said_in_words(cost_bundle, campaign_bundle):
    # Every demo tenant read "0 mensagens entregues foram gratuitas"; one would have read
    # "1 mensagens entregues foram gratuitas".
    one = CampaignsReport(cost_bundle, "pt-BR").costs().prose[0]
    assert one.endswith("; 1 mensagem entregue foi gratuita.")  # p4
    assert CampaignsReport(cost_bundle, "en").costs().prose[0].endswith(
        "; 1 delivered message was free.")
    for locale, words in (("pt-BR", "; nenhuma mensagem entregue foi gratuita."),
                          ("en", "; no delivered message was free.")):
        report = CampaignsReport(campaign_bundle, locale)
        report.summary_df = report.summary_df.assign(free_messages=0)
        none = report.costs().prose[0]
        assert none.endswith(words) and " 0 " not in none


def test_scheduled_campaigns_are_counted_in_words(campaign_bundle, monkeypatch):
    """banco_aurora's October read "0 scheduled campaigns not sent yet." and a month with one
    would read "1 scheduled campaigns"; now a sentence for none, one and more."""
    report = CampaignsReport(campaign_bundle, "en")
    # The fixture: c3 scheduled, not sent.
    assert report.scheduled().prose == ["1 campaign is scheduled and not sent yet."]
    assert CampaignsReport(campaign_bundle, "pt-BR").scheduled().prose == [
        "1 campanha agendada ainda não enviada."]
    scheduled = report.scheduled_df
    monkeypatch.setattr(report, "scheduled_df", scheduled.iloc[0:0])
    assert report.scheduled().prose == ["No campaign is scheduled and waiting to be sent."]
    monkeypatch.setattr(report, "scheduled_df", scheduled.iloc[[0, 0]])
    assert report.scheduled().prose == ["2 campaigns are scheduled and not sent yet."]
    detail = " ".join(report.time_to_read().prose)
    assert "Median and P90 (90th percentile), not the mean" in detail
    # Each span in the unit a reader counts it in (Formatter.duration): "90% within 274 min"
    # read better as hours.
    import re

    spans = re.findall(r"within ([\d.,]+\u00a0(?:min|h)|[\d.,]+ days)", detail)
    assert len(spans) == 2, detail
    for span in spans:
        value = float(span.split()[0].split("\u00a0")[0].replace(",", ""))
        assert (span.endswith("min") and value < 90) or (
            span.endswith("h") and 1.5 <= value < 48) or span.endswith("days"), span


def test_each_bin_of_the_time_to_read_chart_names_its_unit(campaign_bundle, monkeypatch):
    """The bins read "<1 min, 1–5, 5–15, 15–60, 1–4 h": the reader had to guess that "1–5"
    meant minutes. Each bin's label now ends with its unit."""
    from reportlib.look import charts

    drawn = []
    histogram = charts.histogram

    def looking(values, bins, bin_labels, *args, **kwargs):
        drawn.append(list(bin_labels))
        return histogram(values, bins, bin_labels, *args, **kwargs)

    monkeypatch.setattr(charts, "histogram", looking)
    CampaignsReport(campaign_bundle, "pt-BR").time_to_read()
    (labels,) = drawn
    assert len(labels) == 8
    assert all(label.split()[-1] in ("min", "h", "d") for label in labels), labels


def test_the_send_hours_and_weeks_name_the_time_zone(campaign_bundle):
    # "(fuso do cliente)" / "(your account's time zone)": the reader is the client, and every
    # other sentence names the zone ("fuso de São Paulo").
    for locale, zone in (("pt-BR", "(fuso de São Paulo)"), ("en", "(Sao Paulo time zone)")):
        report = CampaignsReport(campaign_bundle, locale)
        report.messages_df = hour_messages([(10, 80, "read", False),
                                            (10, 20, "delivered", False)])
        assert zone in report.peaks().prose[-1]
        weeks = CampaignsReport(campaign_bundle, locale).opt_out_trend().prose[-1]
        assert zone.replace("(", "(segunda-feira, " if locale == "pt-BR" else "(Monday, ") \
            in weeks, weeks


def test_the_funnel_chart_says_what_its_axis_counts(campaign_bundle, monkeypatch):
    # The funnel's value axis read "0 2.000 4.000" with nothing to say of what (messages).
    from reportlib.look import charts

    drawn = []
    real = charts.funnel
    monkeypatch.setattr(charts, "funnel", lambda *a, **k: drawn.append(real(*a, **k))
                        or drawn[-1])
    for locale, messages in (("pt-BR", "Mensagens"), ("en", "Messages")):
        CampaignsReport(campaign_bundle, locale).funnel()
        assert drawn[-1].axes[0].get_xlabel() == messages


def test_the_cost_method_reads_as_a_sentence(campaign_bundle):
    # It read "Estimated the way the consumption report estimates cost (…)".
    prose = CampaignsReport(campaign_bundle, "en").costs().prose[-1]
    assert prose.startswith("Estimated as in the consumption report (no provider mark-up): "
                            "each delivered message at the rate Meta applied"), prose


def test_the_messages_meta_charges_for_have_the_consumption_reports_name(campaign_bundle):
    # The consumption report calls them "Pagas" / "Paid" (its column, its summary); the
    # campaigns' cost table and sentences called the same messages "Cobradas" / "Billed".
    from reportlib.look.i18n import t

    for locale, paid, other in (("pt-BR", "mensagens pagas", ("mensagens cobradas", "cobradas<")),
                                ("en", "paid messages", ("billed message", "billed<"))):
        section = CampaignsReport(campaign_bundle, locale).costs()
        assert f">{t('paid', locale)}<" in section.body
        assert paid in section.prose[0], section.prose[0]
        text = (section.body + " ".join(section.prose)).lower()
        assert not [words for words in other if words in text]


TICKETS_HEADER = "TicketId,BotId,CustomerIdentity,Status,StorageDate\n"


def delivered_promo(tmp_path, params_dir, tickets: str | None = None):
    """Campaign c1 of 5 Oct 2026 to three recipients, each delivered (its webhooks), with the
    tickets file `tickets` when given: written and ingested. Returns the tenant's sources."""
    base = tmp_path / "sources" / "acme"
    promo_campaign(base, {f"m{i}": f"+551199999000{i}" for i in (1, 2, 3)})
    delivered = "2026-10-05T13:00:09+00:00"
    write(base / "whatsapp_webhooks" / "w.jsonl", "\n".join(
        webhook("1001", [status(f"m{i}", "delivered", delivered,
                                recipient_id=f"551199999000{i}")]) for i in (1, 2, 3)) + "\n")
    if tickets is not None:
        write(base / "tickets" / "t.csv", tickets)
    ingest_whole(tmp_path, params_dir)
    return base


def test_without_a_tickets_source_a_campaigns_tickets_are_not_available(tmp_path, params_dir):
    """Campaign c1 of 5 Oct 2026 to three recipients, each delivered (as of 20 Nov). With no
    tickets file at all the tickets source has no record in October: whether a recipient
    opened a ticket is not known. It read 'Of 3 messages, 3 arrived (100.0%) and 0 were read;
    0 became tickets.', a ticket rate of 0.0% (0/3) and a funnel bar of 0. With a tickets
    file that has one ticket in October (1 Oct, no campaign), c1 opened none: 0 tickets,
    ticket rate 0 / 3 = 0 (the mart's ticket_rate was NULL for a campaign without a ticket
    row, beside its 0 tickets)."""
    base = delivered_promo(tmp_path, params_dir)
    report = CampaignsReport(built_bundle(tmp_path), "en")
    c1 = report.summary_df.set_index("campaign_id").loc["c1"]
    assert c1.received == 3 and pd.isna(c1.tickets) and pd.isna(c1.ticket_rate)
    assert report.figures()["tickets"] is None
    funnel = report.funnel()
    assert funnel.prose[0] == (
        "Of 3 messages, 3 arrived (100.0%) and 0 were read; the tickets are not available: "
        "the tickets source has no records in the period."), funnel.prose
    assert table_cells(report.rates().body)[0][-1] == "not available"
    assert table_cells(report.campaigns().body.split("</table>", 1)[1])[0][-1] == \
        "not available"
    pt = CampaignsReport(report.bundle, "pt-BR")
    assert "os tickets não estão disponíveis" in pt.funnel().prose[0]

    write(base / "tickets" / "t.csv", "TicketId,BotId,CustomerIdentity,Status,StorageDate\n"
          "t9,acme-bot,+5511999990009,Open,2026-10-01T15:00:00Z\n")
    ingest_whole(tmp_path, params_dir)
    report = CampaignsReport(built_bundle(tmp_path, name="with_tickets"), "en")
    c1 = report.summary_df.set_index("campaign_id").loc["c1"]
    assert (c1.tickets, c1.ticket_rate) == (0, 0)
    assert report.figures()["tickets"] == 0
    assert report.funnel().prose[0].endswith("0 were read; 0 became tickets.")
    assert table_cells(report.rates().body)[0][-1] == "0.0% (0/3)"


def test_a_variant_pair_is_compared_over_the_same_time_after_each_send(tmp_path, params_dir):
    """A declared pair, c1 sent on 1 Oct 2026 and c2 on 19 Oct, both at 13:00 UTC (10:00 in
    São Paulo), ten messages each, all delivered; seen as of 21 Oct (00:00 São Paulo, 03:00
    UTC). c2 has had 38 h since its send: c1 is measured over the same 38 h after its own.
    c1: 5 read within 30 min, 3 more on 4 Oct (three days later); c2: 5 read within 30 min.
    Like for like: 5/10 against 5/10, a difference of 0. Over unequal spans it read 8/10
    against 5/10, 'B is read less' by 30 points, from c1's three extra days alone."""
    from dataclasses import replace

    from tests.conftest import acme_bundle

    def rows(campaign: str, day: str, reads: dict[int, str]) -> str:
        sent = f"2026-10-{day}T13:00:00Z"
        return "".join(
            f"{campaign}-{i},{campaign},campaign,,acme-bot,1001,+5511999{campaign[1]}{i:05d},"
            f"frete,marketing,{sent},{sent},2026-10-{day}T13:00:05Z,{reads.get(i, '')}\n"
            for i in range(10))

    soon = {i: "2026-10-01T13:30:00Z" for i in range(5)}
    later = {i: "2026-10-04T13:00:00Z" for i in range(5, 8)}
    notes = NOTIFICATIONS.rstrip("\n") + ",SentAt,DeliveredAt,ReadAt\n" + rows(
        "c1", "01", soon | later) + rows("c2", "19", {i: "2026-10-19T13:30:00Z"
                                                       for i in range(5)})
    tenant = replace(ACME, options={"campaign_variants": [["c1", "c2"]]})
    report = CampaignsReport(acme_bundle(tmp_path, params_dir, {"notifications/n.csv": notes},
                                         "2026-10", date(2026, 10, 21), ("campaigns",),
                                         tenant), "en")
    (read,) = [c for c in report.comparisons() if c["measure"] == "read"]
    assert (read["result"].successes_a, read["result"].total_a,
            read["result"].successes_b, read["result"].total_b) == (5, 10, 5, 10)
    assert read["result"].difference == 0
    assert report.pair_window("c1", "c2") == pd.Timedelta(hours=38)
    section = report.variants()
    assert "Compared over the same time after each send, 38.0\u00a0h: what the later " \
           "campaign had by October 21, 2026;" in html_text(section.body), section.body
    # Seen once both have had their 30 days (as of 20 Nov), each campaign counts whole.
    assert CampaignsReport(acme_bundle(tmp_path / "later", params_dir, {
        "notifications/n.csv": notes}, "2026-10", date(2026, 11, 20), ("campaigns",), tenant),
        "en").pair_window("c1", "c2") is None


def test_a_variant_pair_counts_received_messages_over_the_same_time_too(tmp_path, params_dir):
    """The pair above, as of 21 Oct (38 h after c2's send). c1: 5 delivered and read within
    30 min, 5 delivered only on 4 Oct (three days after its send) and never read; c2: 5
    delivered and read within 30 min, 5 still only sent. Over the same 38 h after each send
    both have 5 received, 5 read: 5/5 against 5/5. The reads were cut at 38 h but not the
    deliveries: 5/10 against 5/5, 'B is read more' by 50 points (found by a review). Seen as of
    19 Oct (00:00 in São Paulo), c2 is sent after as-of: the pair is not compared yet (it
    read 0/5 against 0/0 over a window of minus 13 hours)."""
    from dataclasses import replace

    from tests.conftest import acme_bundle

    def row(campaign: str, i: int, sent: str, delivered: str, read: str) -> str:
        return (f"{campaign}-{i},{campaign},campaign,,acme-bot,1001,+5511999{campaign[1]}{i:05d},"
                f"frete,marketing,{sent},{sent},{delivered},{read}\n")

    c1, c2 = "2026-10-01T13:00:00Z", "2026-10-19T13:00:00Z"
    notes = NOTIFICATIONS.rstrip("\n") + ",SentAt,DeliveredAt,ReadAt\n" + "".join(
        [row("c1", i, c1, "2026-10-01T13:00:05Z", "2026-10-01T13:30:00Z") for i in range(5)]
        + [row("c1", i, c1, "2026-10-04T13:00:00Z", "") for i in range(5, 10)]
        + [row("c2", i, c2, "2026-10-19T13:00:05Z", "2026-10-19T13:30:00Z") for i in range(5)]
        + [row("c2", i, c2, "", "") for i in range(5, 10)])
    tenant = replace(ACME, options={"campaign_variants": [["c1", "c2"]]})
    report = CampaignsReport(acme_bundle(tmp_path, params_dir, {"notifications/n.csv": notes},
                                         "2026-10", date(2026, 10, 21), ("campaigns",),
                                         tenant), "en")
    (read,) = [c for c in report.comparisons() if c["measure"] == "read"]
    assert (read["result"].successes_a, read["result"].total_a,
            read["result"].successes_b, read["result"].total_b) == (5, 5, 5, 5)
    early = CampaignsReport(acme_bundle(tmp_path / "early", params_dir, {
        "notifications/n.csv": notes}, "2026-10", date(2026, 10, 19), ("campaigns",), tenant),
        "en")
    assert early.comparisons() == []
    assert early.variants().prose == [
        "c1 / c2: the later campaign has had no time to be read yet; the comparison appears "
        "after its send."], early.variants().prose


def html_text(body: str) -> str:
    import html

    return html.unescape(re.sub("<[^>]+>", "", body))


def test_a_tenant_s_first_sends_are_no_beginning_of_its_exports(tmp_path, params_dir):
    """Notifications and webhooks have records only when messages are sent: a tenant's first
    campaign ever, on 5 Oct, said 'The records begin on 10/5/2026: the days before are not
    available' and banded 1-4 Oct 'No records in the source: not available' on the daily
    chart, days on which nothing was sent (found by a review)."""
    from tests.conftest import acme_bundle

    notes = NOTIFICATIONS + "m1,c1,campaign,,acme-bot,1001,+5511999990001,t,marketing," \
                            "2026-10-05T13:00:00Z\n"
    report = CampaignsReport(acme_bundle(tmp_path, params_dir, {"notifications/n.csv": notes},
                                         "2026-10", date(2026, 11, 20), ("campaigns",)), "en")
    notifications = next(c for c in report.coverage() if c["kind"] == "notifications")
    assert notifications["begins"] is None
    assert report.missing_chart_days(("notifications", "whatsapp_webhooks")) == []
    assert not any("begin" in line for line in report.coverage_lines())


def test_campaign_tickets_are_known_around_a_quiet_period_and_when_found(tmp_path, params_dir):
    """Campaign c1 of 5 Oct 2026 to three recipients, delivered. Two misfires of 'no tickets
    source in the period' (found by a review):
    - the period 5..6 Oct has no ticket, but the tenant's tickets file has them on 4 and 8
      Oct: a quiet stretch, not a missing export. c1 opened none: 0 tickets (0/3); it read
      'not available';
    - a ticket naming c1 (CampaignId) on 1 Nov is found though October has no ticket: c1
      opened 1 (1/3); it read 'not available'."""
    base = delivered_promo(tmp_path, params_dir, TICKETS_HEADER
                           + "t8,acme-bot,+5511999990008,Open,2026-10-04T15:00:00Z\n"
                           "t9,acme-bot,+5511999990009,Open,2026-10-08T15:00:00Z\n")
    c1 = CampaignsReport(built_bundle(tmp_path, period="2026-10-05..2026-10-06", name="days"),
                         "en").summary_df.set_index("campaign_id").loc["c1"]
    assert (c1.tickets, c1.ticket_rate) == (0, 0)

    write(base / "tickets" / "t.csv", "TicketId,BotId,CustomerIdentity,Status,StorageDate,"
          "CampaignId\nt1,acme-bot,+5511999990001,Open,2026-11-01T15:00:00Z,c1\n")
    ingest_whole(tmp_path, params_dir)
    c1 = CampaignsReport(built_bundle(tmp_path, name="found"), "en").summary_df.set_index(
        "campaign_id").loc["c1"]
    assert c1.tickets == 1 and c1.ticket_rate == pytest.approx(1 / 3)


def test_a_campaign_sent_before_the_tickets_source_begins_has_no_ticket_count(tmp_path,
                                                                             params_dir):
    """Campaign c1 of 5 Oct 2026 to three recipients, delivered; the tenant's tickets begin on
    10 Oct (its first ticket ever, no campaign). Whether c1's recipients opened tickets on 5-6
    Oct is not known: not available. It read 0 tickets, 'Ticket rate 0.0% (0/3)', while the
    desk follow-up marked messages of the same days 'not known' (found by a review)."""
    delivered_promo(tmp_path, params_dir, TICKETS_HEADER
                    + "t9,acme-bot,+5511999990009,Open,2026-10-10T15:00:00Z\n")
    report = CampaignsReport(built_bundle(tmp_path), "en")
    c1 = report.summary_df.set_index("campaign_id").loc["c1"]
    assert pd.isna(c1.tickets) and pd.isna(c1.ticket_rate)
    assert report.figures()["tickets"] is None


def test_campaign_tickets_of_an_export_that_stopped_before_the_period_are_not_known(
        tmp_path, params_dir):
    """c1 of 5 Oct 2026, delivered to three; the tenant's tickets stop on 28 Sep (none in
    October or after): an export that stopped, not a quiet stretch between records. c1's
    tickets are not available; a review of the week-around rule found it read 0 (0/3)."""
    delivered_promo(tmp_path, params_dir, TICKETS_HEADER
                    + "t8,acme-bot,+5511999990008,Open,2026-09-28T15:00:00Z\n")
    c1 = CampaignsReport(built_bundle(tmp_path), "en").summary_df.set_index(
        "campaign_id").loc["c1"]
    assert pd.isna(c1.tickets) and pd.isna(c1.ticket_rate)


def test_webhooks_that_begin_while_campaigns_ran_are_said_to_begin(tmp_path, params_dir):
    """Notifications every day of October 2026 from the 1st (and before: 28 Sep), statuses
    from the webhooks only from 10 Oct (subscribed that day): the webhooks begin on 10 Oct,
    the days before are not available. A tenant's first campaign is no beginning (the test
    above), but statuses missing while messages were sent are (found by a review)."""
    from tests.conftest import acme_bundle

    days = ["2026-09-28", *(f"2026-10-{d:02d}" for d in range(1, 32))]
    notes = NOTIFICATIONS + "".join(
        f"m{i},,api,,acme-bot,1001,+55119999{i:05d},t,utility,{day}T13:00:00Z\n"
        for i, day in enumerate(days))
    hooks = "\n".join(webhook("1001", [status(f"m{i}", "delivered", f"{day}T13:00:09+00:00",
                                              recipient_id=f"55119999{i:05d}")])
                      for i, day in enumerate(days) if day >= "2026-10-10") + "\n"
    report = CampaignsReport(acme_bundle(tmp_path, params_dir, {
        "notifications/n.csv": notes, "whatsapp_webhooks/w.jsonl": hooks}, "2026-10",
        date(2026, 11, 20), ("campaigns",)), "en")
    by_kind = {c["kind"]: c["begins"] for c in report.coverage()}
    assert by_kind["whatsapp_webhooks"] == "2026-10-10" and by_kind["notifications"] is None
