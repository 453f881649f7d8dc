"""Campaign metrics, desk statuses, heatmap bins and CSV export on hand-made messages."""

from __future__ import annotations

import csv
import json
from datetime import date

import duckdb
import pytest

from reportlib import bundle, calendar, ingest
from reportlib import params as params_mod
from reportlib.bundle import Bundle
from reportlib.campaigns import CampaignsReport, variant_pairs, write_campaign_csvs
from reportlib.desk import DeskFollowupReport
from reportlib.safe import csv_cell, slug
from tests.conftest import ACME, unix, webhook, write

NOTIFICATIONS = ("MessageId,CampaignId,Sender,AgentIdentity,BotId,PhoneNumberId,Recipient,"
                 "TemplateName,Category,AcceptedAt\n")
T0 = "2026-10-05T13:00:00+00:00"  # Monday 10:00 in São Paulo


def status(mid, name, at, **extra):
    return {"id": mid, "status": name, "timestamp": str(unix(at)),
            "recipient_id": "5511999990001", **extra}


def make_sources(tmp_path):
    base = tmp_path / "sources" / "acme"
    write(base / "campaigns" / "c.csv",
          "CampaignId,CampaignName,BotId,TemplateName,Category,Status,ScheduledAt,SentAt\n"
          'c1,"<script>alert(1)</script> – A",acme-bot,promo_a,marketing,Sent,'
          f"{T0},{T0}\n"
          f"c2,Promo – B,acme-bot,promo_b,marketing,Sent,{T0},{T0}\n"
          "c3,Natal,acme-bot,natal,marketing,Scheduled,2026-10-30T12:00:00Z,\n"
          f"../../etc/passwd,Escape,acme-bot,x,utility,Sent,{T0},{T0}\n")
    rows = [f"m{i},c1,campaign,,acme-bot,1001,+551199999000{i},promo_a,marketing,{T0}"
            for i in range(1, 7)]
    rows.append(f"=1+2,c2,campaign,,acme-bot,1001,+5511999990009,promo_b,marketing,{T0}")
    rows.append(f"e1,../../etc/passwd,campaign,,acme-bot,1001,+5511999990010,x,utility,{T0}")
    write(base / "notifications" / "n.csv", NOTIFICATIONS + "\n".join(rows) + "\n")
    s = "2026-10-05T13:00:05+00:00"
    lines = [
        # m1: delivered and read; the read webhook arrives twice.
        webhook("1001", [status("m1", "sent", s), status("m1", "delivered",
                                                         "2026-10-05T13:00:09+00:00")]),
        webhook("1001", [status("m1", "read", "2026-10-05T13:10:05+00:00")]),
        webhook("1001", [status("m1", "read", "2026-10-05T13:10:05+00:00")]),
        # m2: read without a delivered status.
        webhook("1001", [status("m2", "sent", s), status("m2", "read",
                                                         "2026-10-05T13:30:05+00:00")]),
        # m3: delivered, then the user replies within 24 h.
        webhook("1001", [status("m3", "sent", s), status("m3", "delivered",
                                                         "2026-10-05T13:00:07+00:00")]),
        webhook("1001", messages=[{"from": "5511999990003", "id": "in3", "type": "text",
                                   "timestamp": str(unix("2026-10-05T15:00:00+00:00")),
                                   "context": {"id": "m3"}}]),
        # m4: failed after sent (per-user marketing limit).
        webhook("1001", [status("m4", "sent", s), status(
            "m4", "failed", "2026-10-05T13:00:30+00:00", errors=[{"code": 131049, "error_data": {
                "details": "In order to maintain a healthy ecosystem engagement, the message "
                           "failed to be delivered."}}])]),
        # m5: accepted, no answer from WhatsApp yet (pending).
        # m6: failed before sent (template missing).
        webhook("1001", [status("m6", "failed", "2026-10-05T13:00:02+00:00",
                                errors=[{"code": 132001}])]),
    ]
    # Marketing opt-outs (webhook user_preferences): m1's recipient a day after the send (counts),
    # m3's after 8 days (too late), m6's (never received the campaign).
    for phone, when in (("5511999990001", "2026-10-06T13:00:00+00:00"),
                        ("5511999990003", "2026-10-13T13:00:00+00:00"),
                        ("5511999990006", "2026-10-06T13:00:00+00:00")):
        lines.append(json.dumps({"object": "whatsapp_business_account", "entry": [{
            "id": "w-acme", "changes": [{"field": "user_preferences", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "551140000001", "phone_number_id": "1001"},
                "user_preferences": [{"wa_id": phone, "category": "marketing_messages",
                                      "value": "stop", "timestamp": unix(when),
                                      "detail": "stop"}]}}]}]}))
    write(base / "whatsapp_webhooks" / "w.jsonl", "\n".join(lines) + "\n")
    write(base / "tickets" / "t.csv",
          "TicketId,BotId,CustomerIdentity,Status,StorageDate,CampaignId\n"
          "t1,acme-bot,+5511999990003,Open,2026-10-05T15:00:00Z,c1\n")


@pytest.fixture
def campaign_bundle(tmp_path, params_dir):
    make_sources(tmp_path)
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    assert not [r for r in results if r.failed or r.rows_rejected], [r.line() for r in results]
    out = tmp_path / "bundle.duckdb"
    bundle.build(tmp_path / "wh.duckdb", ACME, calendar.parse_period("2026-10"),
                 date(2026, 11, 20), out, ("campaigns", "desk_followup"))
    return Bundle.open(out)


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


def test_failures_show_meta_details_beside_the_code(campaign_bundle):
    from reportlib.campaigns import CampaignsReport

    failures = campaign_bundle.table("campaign_failures").set_index("error_code")
    assert failures.loc[131049, "details"].startswith("In order to maintain a healthy")
    assert failures.loc[132001, "details"] is None or failures.loc[132001, "details"] != \
        failures.loc[132001, "details"]  # no details given: none shown
    body = CampaignsReport(campaign_bundle).failures().body
    assert "Meta: “In order to maintain a healthy ecosystem engagement" in body


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


@pytest.mark.parametrize("minutes, expected", [(24 * 60 - 1, "read"), (24 * 60, "expired")])
def test_desk_status_expires_at_exactly_24_hours(minutes, expected):
    con = duckdb.connect()
    from reportlib.marts import MACROS

    con.execute(MACROS)
    got = con.execute(
        "SELECT desk_status('read', TIMESTAMPTZ '2026-10-05 10:00:00+00', NULL, "
        "TIMESTAMPTZ '2026-10-05 10:00:00+00' + to_minutes(?::BIGINT))", [minutes]).fetchall()
    assert got == [(expected,)]


@pytest.mark.parametrize("final, replied_after_h, expected", [
    ("failed", None, "failed"),          # failure first, even after 24 h
    ("read", 2, "read"),                 # replied within 24 h: never expires
    ("read", 30, "expired"),             # a reply after the window does not save it
    ("delivered", None, "expired"),
    ("pending", None, "expired"),
])
def test_desk_status_precedence_after_a_day(final, replied_after_h, expected):
    con = duckdb.connect()
    from reportlib.marts import MACROS

    con.execute(MACROS)
    replied = None if replied_after_h is None else f"2026-10-05 {10 + replied_after_h % 24}" \
        f":00:00+00"
    if replied_after_h and replied_after_h >= 24:
        replied = "2026-10-06 16:00:00+00"
    got = con.execute(
        "SELECT desk_status(?, TIMESTAMPTZ '2026-10-05 10:00:00+00', ?::TIMESTAMPTZ, "
        "TIMESTAMPTZ '2026-10-07 10:00:00+00')", [final, replied]).fetchall()
    assert got == [(expected,)]


@pytest.mark.parametrize("final, expected", [("pending", "sending"), ("sent", "sent"),
                                             ("delivered", "delivered"), ("read", "read"),
                                             ("failed", "failed")])
def test_desk_status_within_the_first_day(final, expected):
    con = duckdb.connect()
    from reportlib.marts import MACROS

    con.execute(MACROS)
    got = con.execute(
        "SELECT desk_status(?, TIMESTAMPTZ '2026-10-05 10:00:00+00', NULL, "
        "TIMESTAMPTZ '2026-10-05 20:00:00+00')", [final]).fetchall()
    assert got == [(expected,)]


def test_desk_report_on_agent_messages(tmp_path, params_dir):
    base = tmp_path / "sources" / "acme"
    write(base / "notifications" / "n.csv", NOTIFICATIONS.rstrip("\n") + ",SentAt,ReadAt,"
          "FailedAt,ErrorCode,RepliedAt\n"
          "a1,,agent,ana,acme-bot,1001,+5511999990001,t,utility,2026-11-18T12:00:00Z,"
          "2026-11-18T12:00:01Z,2026-11-18T12:05:00Z,,,2026-11-18T12:30:00Z\n"
          "a2,,agent,ana,acme-bot,1001,+5511999990002,t,utility,2026-11-19T12:00:00Z,"
          "2026-11-19T12:00:01Z,2026-11-19T12:05:00Z,,,\n"
          "a3,,agent,bia,acme-bot,1001,+5511999990003,t,utility,2026-11-19T12:00:00Z,"
          ",,2026-11-19T12:00:02Z,131026,\n"
          "a4,,agent,bia,acme-bot,1001,+5511999990004,t,utility,2026-11-10T12:00:00Z,"
          "2026-11-10T12:00:01Z,,,,\n")
    ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    out = tmp_path / "b.duckdb"
    # as of 20 Nov 00:00 São Paulo = 03:00 UTC.
    bundle.build(tmp_path / "wh.duckdb", ACME, calendar.parse_period("2026-11"),
                 date(2026, 11, 20), out, ("desk_followup",))
    report = DeskFollowupReport(Bundle.open(out), "en")
    d = report.messages_df.set_index("message_id")
    # a1 replied in 30 min: read, ticket; a2 read 15 h ago, no reply: read, visible;
    # a3 failed; a4 sent 10 days ago: expired, no longer visible.
    assert d["desk_status"].to_dict() == {"a1": "read", "a2": "read", "a3": "failed",
                                          "a4": "expired"}
    assert d["visible"].to_dict() == {"a1": True, "a2": True, "a3": True, "a4": False}
    figures = report.figures()
    assert (figures["desk.read"], figures["desk.failed"], figures["desk.expired"],
            figures["tickets"]) == (2, 1, 1, 1)
    actions = report.actions()._repr_html_()
    assert "131026" in actions and "+55 ••• ••••-0002" in actions
    assert "+55 ••• ••••-0001" not in actions  # a1 became a ticket: no action


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
