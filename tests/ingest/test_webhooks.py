"""Final statuses from webhooks built on Meta's documented examples, merged with the export."""

from __future__ import annotations

import duckdb

from reportlib import ingest
from tests.conftest import scope_connection, write

WABA, PHONE = "102290129340398", "1001"
HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"


def status(message_id, name, ts, **extra):
    body = {"id": message_id, "status": name, "timestamp": str(ts),
            "recipient_id": "5511999990001"}
    body.update(extra)
    return body


PMP_PRICING = {"billable": True, "pricing_model": "PMP", "category": "marketing",
               "type": "regular"}
CBP_EXTRA = {"conversation": {"id": "CONVERSATION_ID", "expiration_timestamp": "1727357400",
                              "origin": {"type": "marketing"}},
             "pricing": {"billable": True, "pricing_model": "CBP", "category": "marketing"}}
FAILED_131050 = {"errors": [{
    "code": 131050,
    "title": "Unable to deliver the message. This recipient has chosen to stop receiving "
             "marketing messages on WhatsApp from your business.",
    "message": "Unable to deliver the message. This recipient has chosen to stop receiving "
               "marketing messages on WhatsApp from your business.",
    "error_data": {"details": "Unable to deliver the message."}, "href": HREF}]}


def test_final_statuses_from_documented_webhooks(tmp_path, params_dir):
    from tests.conftest import webhook

    t0 = 1790856000  # 2026-10-01T12:00:00Z
    lines = [
        # A: out of order (read first), delivered twice, pricing on sent and delivered.
        webhook(PHONE, [status("wamid.A", "read", t0 + 300)], waba=WABA),
        webhook(PHONE, [status("wamid.A", "delivered", t0 + 5, pricing=PMP_PRICING)], waba=WABA),
        webhook(PHONE, [status("wamid.A", "sent", t0 + 1, pricing=PMP_PRICING)], waba=WABA),
        webhook(PHONE, [status("wamid.A", "delivered", t0 + 5, pricing=PMP_PRICING)], waba=WABA),
        # B: sent, then failed with Meta's error object.
        webhook(PHONE, [status("wamid.B", "sent", t0 + 2, **CBP_EXTRA),
                        status("wamid.B", "failed", t0 + 9, **FAILED_131050)], waba=WABA),
        # C: read on arrival, never a delivered status.
        webhook(PHONE, [status("wamid.C", "sent", t0 + 3, pricing=PMP_PRICING),
                        status("wamid.C", "read", t0 + 60)], waba=WABA),
        # D: sent only, the same body twice.
        webhook(PHONE, [status("wamid.D", "sent", t0 + 4, pricing=PMP_PRICING)], waba=WABA),
        webhook(PHONE, [status("wamid.D", "sent", t0 + 4, pricing=PMP_PRICING)], waba=WABA),
        # The user answers A with a quick-reply button.
        webhook(PHONE, messages=[{"from": "5511999990001", "id": "wamid.IN1",
                                  "timestamp": str(t0 + 400), "type": "button",
                                  "context": {"from": "551140000001", "id": "wamid.A"},
                                  "button": {"text": "Quero", "payload": "YES"}}], waba=WABA),
        # A status of a phone number that is not the tenant's: rejected.
        webhook("2001", [status("wamid.X", "sent", t0)], waba=WABA),
        "{broken json",
    ]
    write(tmp_path / "sources/acme/whatsapp_webhooks/w.jsonl", "\n".join(lines) + "\n")
    # The platform's export knows E (accepted, no answer from WhatsApp) and A's acceptance.
    write(tmp_path / "sources/acme/notifications/n.csv",
          "MessageId,Sender,BotId,PhoneNumberId,Recipient,TemplateName,Category,AcceptedAt,"
          "SentAt\n"
          "wamid.A,campaign,acme-bot,1001,+5511999990001,promo,marketing,"
          "2026-10-01T12:00:00Z,2026-10-01T12:00:03Z\n"
          "wamid.E,agent,acme-bot,1001,+5511999990002,aviso,utility,2026-10-01T12:00:00Z,\n")
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    hooks = next(r for r in results if r.kind == "whatsapp_webhooks")
    # 13 records: 11 statuses and messages (duplicates included: they upsert onto one
    # event), 1 status rejected for its phone number, 1 broken line.
    assert (hooks.rows_read, hooks.rows_loaded, hooks.rows_rejected) == (13, 11, 2)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    timeline = {r[0]: r[1:] for r in con.execute(
        "SELECT message_id, final_status, error_code, sent_at IS NOT NULL, "
        "delivered_at IS NOT NULL, replied_at IS NOT NULL, "
        "epoch(sent_at)::BIGINT FROM message_timeline ORDER BY 1").fetchall()}
    assert timeline["wamid.A"][:5] == ("read", None, True, True, True)
    # The webhook's sent (t0+1) is earlier than the export's (t0+3): the earliest wins.
    assert timeline["wamid.A"][5] == t0 + 1
    assert timeline["wamid.B"][:2] == ("failed", 131050)
    assert timeline["wamid.C"][:4] == ("read", None, True, False)
    assert timeline["wamid.D"][0] == "sent"
    assert timeline["wamid.E"][0] == "pending"
    assert "wamid.X" not in timeline
    events = con.execute("SELECT count(*) FROM message_status_events WHERE message_id = "
                         "'wamid.A'").fetchall()
    assert events == [(3,)]  # the duplicate delivered is one event
    priced = con.execute("SELECT count(DISTINCT message_id) FROM message_status_events "
                         "WHERE pricing_billable").fetchall()
    assert priced == [(4,)]  # A, B, C, D: pricing counted once per message
    assert con.execute("SELECT pricing_model, conversation_origin FROM message_status_events "
                       "WHERE message_id = 'wamid.B' AND status = 'sent'").fetchall() == [
        ("CBP", "marketing")]
    reasons = con.execute("SELECT field, reason FROM rejected_rows ORDER BY line").fetchall()
    con.close()
    assert reasons == [("metadata.phone_number_id", "phone number belongs to another tenant"),
                       ("*", "not valid JSON (Expecting property name enclosed in double "
                             "quotes)")]


# Meta's webhook payload examples, "Status: message delivered in a free entry point
# conversation" (developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples,
# conversation-based pricing): a click-to-WhatsApp ad's conversation is free, and its
# statuses say so only by `billable: false` and the category `referral_conversion`; there is
# no `pricing.type` before per-message pricing.
CBP_FREE_ENTRY_POINT = {
    "conversation": {"id": "CONVERSATION_ID", "expiration_timestamp": "1741262400",
                     "origin": {"type": "referral_conversion"}},
    "pricing": {"billable": False, "pricing_model": "CBP", "category": "referral_conversion"}}
# The same page's "Status: message sent" (conversation-based pricing as first published): the
# conversation's origin, `user_initiated`, stands where a category would, and it is billed.
CBP_USER_INITIATED = {
    "conversation": {"id": "CONVERSATION_ID", "expiration_timestamp": "1741262400",
                     "origin": {"type": "user_initiated"}},
    "pricing": {"billable": True, "pricing_model": "CBP", "category": "user_initiated"}}


def test_a_cbp_free_entry_point_status_is_free_and_names_no_category(tmp_path):
    """Meta's CBP status of a free entry point conversation was read as billed (no pricing
    type said free) in the category `referral_conversion`, which is no template's: the message
    counted among the billed ones without a price, and an event-log message took that word for
    its category instead of its template's; so did `user_initiated`. It is a free entry point
    now, and a pricing category that is no template's leaves the category to the next source
    (Meta's billed category, beside the template's, is none)."""
    from dataclasses import replace
    from datetime import date

    from reportlib import marts
    from reportlib import params as params_mod
    from tests.conftest import ACME, webhook

    folder = tmp_path / "params"
    tenant = replace(ACME, timezone="UTC", templates={"aviso_boleto": "utility"})
    params_mod.dump_tenant(folder, tenant)
    t0 = 1741176000  # 2025-03-05T12:00:00Z, conversation-based pricing
    write(tmp_path / "sources/acme/whatsapp_webhooks/w.jsonl", "\n".join([
        webhook(PHONE, [status("wamid.p1", "delivered", t0 + 5, **CBP_FREE_ENTRY_POINT)]),
        webhook(PHONE, [status("wamid.p2", "delivered", t0 + 5, **CBP_EXTRA)]),
        webhook(PHONE, [status("wamid.p3", "delivered", t0 + 5, **CBP_USER_INITIATED)])]) + "\n")
    bot, user = "acme-bot@msging.net", "5511999990001@wa.gw.msging.net"
    write(tmp_path / "sources/acme/notifications/log.csv",
          "Id,OwnerIdentity,FromIdentity,ToIdentity,Event,StorageDate,Metadata,TemplateName\n"
          + "".join(f'{p},{bot},{bot},{user},dispatched,2025-03-05T12:00:00Z,'
                    f'"{{""#message.uniqueId"":""wamid.{p}""}}",aviso_boleto\n'
                    for p in ("p1", "p2", "p3")))
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", folder)
    assert [(r.rows_loaded, r.rows_rejected) for r in results] == [(3, 0), (3, 0)]
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    # p1, p3: their template's category; p2: Meta billed a marketing conversation, and says so.
    assert con.execute("SELECT message_id, category FROM message_timeline ORDER BY 1"
                       ).fetchall() == [("wamid.p1", "utility"), ("wamid.p2", "marketing"),
                                        ("wamid.p3", "utility")]
    con.close()
    con = scope_connection(tmp_path / "wh.duckdb", tenant, "2025-03", date(2025, 4, 20))
    assert con.execute(f"SELECT message_id, free_reason, billed_category "
                       f"FROM ({marts.sql('message_billing')}) ORDER BY 1").fetchall() == [
        ("wamid.p1", "free_entry_point", None), ("wamid.p2", None, "marketing"),
        ("wamid.p3", None, None)]
