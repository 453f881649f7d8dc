"""Hand-made campaign messages (one tenant, October 2026), shared by the campaigns and
help-desk follow-up tests: answers are worked by hand in each test."""

from __future__ import annotations

import json
from datetime import date

import pytest

from reportlib import ingest
from reportlib.domain import calendar
from reportlib.marts import bundle
from reportlib.marts.bundle import Bundle
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


def ingest_whole(tmp_path, params_dir) -> None:
    """`tmp_path`'s sources ingested into `wh.duckdb`, every row loaded."""
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    assert not [r for r in results if r.failed or r.rows_rejected], [r.line() for r in results]


def built_bundle(tmp_path, period: str = "2026-10", as_of: date = date(2026, 11, 20),
                 reports: tuple[str, ...] = ("campaigns",), tenant=ACME, name: str = "bundle",
                 **options) -> Bundle:
    """The bundle of one scope built from `tmp_path`'s `wh.duckdb` into `<name>.duckdb`, and
    opened (`options`: bundle.build's, e.g. rate_card)."""
    out = tmp_path / f"{name}.duckdb"
    bundle.build(tmp_path / "wh.duckdb", tenant, calendar.parse_period(period), as_of, out,
                 reports, **options)
    return Bundle.open(out)


@pytest.fixture
def campaign_bundle(tmp_path, params_dir):
    make_sources(tmp_path)
    ingest_whole(tmp_path, params_dir)
    return built_bundle(tmp_path, reports=("campaigns", "desk_followup"))

