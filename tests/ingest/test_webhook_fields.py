"""Webhooks: every field Meta may post, from Meta's documented examples.

Meta's example ids are kept; only the business phone number id is the test tenant's (`1001`),
since ingest refuses a number the tenant did not declare.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from reportlib import ingest
from reportlib import params as params_mod
from reportlib.params import PhoneNumber, TenantParams
from tests.conftest import webhook, write

# Webhooks reference, user_preferences (developers.facebook.com/documentation/business-messaging/
# whatsapp/webhooks/reference/user_preferences), "Example".
USER_PREFERENCES = {
    "object": "whatsapp_business_account",
    "entry": [{"id": "102290129340398", "changes": [{"value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "1001"},
        "contacts": [{"wa_id": "16505551234"}],
        "user_preferences": [{"wa_id": "16505551234",
                              "detail": "User requested to resume marketing messages",
                              "category": "marketing_messages", "value": "resume",
                              "timestamp": 1731705721}]},
        "field": "user_preferences"}]}]}

# Webhooks reference, messages > errors (developers.facebook.com/documentation/business-
# messaging/whatsapp/webhooks/reference/messages/errors), "Example": an error outside any message.
SYSTEM_ERROR = {
    "object": "whatsapp_business_account",
    "entry": [{"id": "102290129340398", "changes": [{"value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "1001"},
        "errors": [{"code": 130429, "title": "Rate limit hit", "message": "Rate limit hit",
                    "error_data": {"details": "Message failed to send because there were too "
                                   "many messages sent from this phone number in a short "
                                   "period of time"},
                    "href": "/documentation/business-messaging/whatsapp/support/error-codes"}]},
        "field": "messages"}]}]}

T0 = 1790856000  # 2026-10-01T12:00:00Z


def run(tmp_path, params_dir, lines: list[str]):
    write(tmp_path / "sources/acme/whatsapp_webhooks/w.jsonl", "\n".join(lines) + "\n")
    [result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    return result, duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)


def test_user_preferences_and_system_errors_are_read_not_rejected(tmp_path, params_dir):
    result, con = run(tmp_path, params_dir, [json.dumps(USER_PREFERENCES),
                                             json.dumps(SYSTEM_ERROR)])
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 0)
    assert "errors reported by Meta outside any message: 1" in result.message
    assert con.execute("SELECT wa_id, category, value, epoch(ts)::BIGINT FROM user_preferences"
                       ).fetchall() == [("16505551234", "marketing_messages", "resume",
                                         1731705721)]


def test_failure_details_group_statuses_user_ids_and_non_final_statuses(tmp_path, params_dir):
    failed = {"id": "wamid.F", "status": "failed", "timestamp": str(T0),
              "recipient_id": "5511999990001",
              # Shape of Meta's status webhook reference, failed message with error_data.
              "errors": [{"code": 131049, "title": "This message was not delivered to "
                          "maintain healthy ecosystem engagement.",
                          "error_data": {"details": "In order to maintain a healthy ecosystem "
                                         "engagement, the message failed to be delivered."}}]}
    read = {"id": "wamid.R", "status": "read", "timestamp": str(T0 + 60),
            "recipient_user_id": "BR.13491208655302741918"}  # a business-scoped user id only
    deleted = {"id": "wamid.R", "status": "deleted", "timestamp": str(T0 + 120),
               "recipient_id": "5511999990001"}
    warning = {"id": "wamid.R", "status": "warning", "timestamp": str(T0 + 130),
               "recipient_id": "5511999990001"}
    group = {"id": "wamid.G", "status": "read", "timestamp": str(T0),
             "recipient_id": "120363044455555555", "recipient_type": "group"}
    inbound = {"from": "5511999990001", "from_user_id": "BR.13491208655302741918",
               "id": "wamid.IN", "timestamp": str(T0 + 300), "type": "text",
               "text": {"body": "Oi"},
               "referral": {"source_url": "https://fb.me/x", "source_id": "ADID",
                            "source_type": "ad", "ctwa_clid": "CLID"}}
    result, con = run(tmp_path, params_dir, [
        webhook("1001", statuses=[failed, read, deleted, warning, group]),
        webhook("1001", messages=[inbound])])
    assert (result.rows_loaded, result.rows_rejected) == (6, 0)
    # Every event kept, the group one marked; deleted and warning stored as themselves.
    assert con.execute("SELECT message_id, status, recipient_type, recipient_user_id "
                       "FROM message_status_events ORDER BY message_id, ts").fetchall() == [
        ("wamid.F", "failed", None, None),
        ("wamid.G", "read", "group", None),
        ("wamid.R", "read", None, "BR.13491208655302741918"),
        ("wamid.R", "deleted", None, None),
        ("wamid.R", "warning", None, None)]
    timeline = dict(((m, (s, d)) for m, s, d in con.execute(
        "SELECT message_id, final_status, error_details FROM message_timeline").fetchall()))
    # A deleted or warning status never changes a final status; a group message stays out of
    # the one-to-one timelines; the failure keeps Meta's details.
    assert timeline == {
        "wamid.F": ("failed", "In order to maintain a healthy ecosystem engagement, the "
                    "message failed to be delivered."),
        "wamid.R": ("read", None)}
    assert con.execute("SELECT from_user_id, referral_source_type, referral_source_id "
                       "FROM inbound_messages").fetchall() == [
        ("BR.13491208655302741918", "ad", "ADID")]


def test_bad_preference_is_a_rejected_row(tmp_path, params_dir):
    body = json.loads(json.dumps(USER_PREFERENCES))
    body["entry"][0]["changes"][0]["value"]["user_preferences"][0]["value"] = "maybe"
    result, con = run(tmp_path, params_dir, [json.dumps(body)])
    assert (result.rows_loaded, result.rows_rejected) == (0, 1)
    assert con.execute("SELECT field, value, reason FROM rejected_rows").fetchall() == [
        ("user_preferences[].value", "maybe", "not one of stop, resume")]


def ingested_whole(tmp_path, params_dir) -> duckdb.DuckDBPyConnection:
    """The sources under `tmp_path` ingested, every row loaded; the warehouse, read-only."""
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    assert not [r for r in results if r.rows_rejected or r.failed], [r.line() for r in results]
    return duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)


def free_windows(con) -> dict[str, str]:
    return dict(con.execute("SELECT message_id, free_window FROM message_free_windows")
                .fetchall())


def test_line_numbers_stay_true_after_a_line_the_reader_rejects(tmp_path, params_dir):
    ok = webhook("1001", statuses=[{"id": "wamid.A", "status": "sent", "timestamp": str(T0),
                                    "recipient_id": "5511999990001"}])
    bad_status = webhook("1001", statuses=[{"id": "wamid.B", "status": "weird",
                                            "timestamp": str(T0),
                                            "recipient_id": "5511999990001"}])
    data = (ok + "\n").encode() + b'{"entry": "\xff\xfe not utf-8"}\n' + (
        ok + "\n" + bad_status + "\n").encode()
    write(tmp_path / "sources/acme/whatsapp_webhooks/w.jsonl", data)
    [result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    # Line 2 is not UTF-8; the unknown status is on line 4 of the file.
    assert con.execute("SELECT line, reason FROM rejected_rows ORDER BY line").fetchall() == [
        (2, "not UTF-8"), (4, "unknown status")]


def test_referral_opens_a_free_entry_point_window(tmp_path, params_dir):
    """Messages (webhooks reference, messages > text with `referral`, click-to-WhatsApp ad):
    the business's answer within 24 h opens 72 h in which every message is free; a plain user
    message opens 24 h in which utility templates are free."""
    def inbound(phone, at, ad):
        message = {"from": phone, "id": f"wamid.IN{phone}", "timestamp": str(at),
                   "type": "text", "text": {"body": "Oi"}}
        if ad:
            message["referral"] = {"source_url": "https://fb.me/x", "source_id": "ADID",
                                   "source_type": "ad", "ctwa_clid": "CLID"}
        return webhook("1001", messages=[message])

    h = 3600
    write(tmp_path / "sources/acme/whatsapp_webhooks/w.jsonl", "\n".join([
        inbound("5511999990001", T0, ad=False),  # A: a plain message
        inbound("5511999990002", T0, ad=True),  # B: from an ad, answered 2 h later
        inbound("5511999990003", T0, ad=True),  # C: from an ad, answered 30 h later
    ]) + "\n")

    def row(mid, phone, category, hours):
        at = datetime.fromtimestamp(T0 + hours * h, UTC).isoformat()
        return (f"{mid},campaign,acme-bot,1001,+{phone},t,{category},{at},{at},{at}")

    write(tmp_path / "sources/acme/notifications/n.csv",
          "MessageId,Sender,BotId,PhoneNumberId,Recipient,TemplateName,Category,AcceptedAt,"
          "SentAt,DeliveredAt\n" + "\n".join([
              row("a_utility", "5511999990001", "utility", 10),  # CSW: free (utility)
              row("a_marketing", "5511999990001", "marketing", 11),  # CSW frees no marketing
              row("a_late", "5511999990001", "utility", 25),  # window closed at 24 h
              row("b_answer", "5511999990002", "marketing", 2),  # opens the FEP: free
              row("b_inside", "5511999990002", "marketing", 50),  # 2 h + 72 h: free
              row("b_after", "5511999990002", "marketing", 75),  # closed at 74 h
              row("c_answer", "5511999990003", "marketing", 30),  # too late: no FEP
              row("c_later", "5511999990003", "marketing", 40),
          ]) + "\n")
    con = ingested_whole(tmp_path, params_dir)
    # The answer's free entry point: B answered at 2 h, so its FEP runs 2 h .. 74 h.
    assert free_windows(con) == {
        "a_utility": "customer_service", "b_answer": "free_entry_point",
        "b_inside": "free_entry_point"}


def test_a_message_in_a_group_opens_no_one_to_one_window(tmp_path, params_dir):
    """Groups API pricing (developers.facebook.com/documentation/business-messaging/whatsapp/
    groups/pricing/, "How customer service windows work with Groups API"): a user's message in
    a group opens a window with the whole group, not with that user; a group message carries
    `group_id` in its message object. So a one-to-one utility template to that user after it is
    not free, while one after the same user's own one-to-one message is."""
    def inbound(mid, phone, at, group=None):
        message = {"from": phone, "id": mid, "timestamp": str(at), "type": "text",
                   "text": {"body": "Bom dia, grupo"}}
        if group:
            message["group_id"] = group
        return webhook("1001", messages=[message])

    h = 3600
    write(tmp_path / "sources/acme/whatsapp_webhooks/w.jsonl", "\n".join([
        inbound("wamid.G1", "5511999990001", T0, group="Y2FwaV9ncm91cDpFWEFNUExFX0dST1VQX0lE"),
        inbound("wamid.D1", "5511999990002", T0),
    ]) + "\n")

    def row(mid, phone, hours):
        at = datetime.fromtimestamp(T0 + hours * h, UTC).isoformat()
        return f"{mid},campaign,acme-bot,1001,+{phone},t,utility,{at},{at},{at}"

    write(tmp_path / "sources/acme/notifications/n.csv",
          "MessageId,Sender,BotId,PhoneNumberId,Recipient,TemplateName,Category,AcceptedAt,"
          "SentAt,DeliveredAt\n" + "\n".join([
              row("after_group", "5511999990001", 2),  # the group's window: not this user's
              row("after_direct", "5511999990002", 2),  # the user's own message: free
          ]) + "\n")
    con = ingested_whole(tmp_path, params_dir)
    assert con.execute("SELECT message_id, group_id FROM inbound_messages ORDER BY 1"
                       ).fetchall() == [("wamid.D1", None),
                                        ("wamid.G1", "Y2FwaV9ncm91cDpFWEFNUExFX0dST1VQX0lE")]
    assert free_windows(con) == {"after_direct": "customer_service"}


# Business-scoped user ids (developers.facebook.com/documentation/business-messaging/whatsapp/
# business-scoped-user-ids): the shapes of Meta's examples there. A delivered status carries
# `recipient_id` and `recipient_user_id`, its `contacts[]` `wa_id` and `user_id`; a text from a
# user with a username carries `from_user_id` only; a `user_preferences` change may carry
# `user_id` only.
BSUID = "BR.13491208655302741918"
PARENT_BSUID = "BR.ENT.11815799212886844830"


def pablo_delivered(mid: str, at: int) -> str:
    """Meta's example delivered status: both ids, and the contact with both."""
    body = json.loads(webhook("1001", statuses=[{
        "id": mid, "status": "delivered", "timestamp": str(at),
        "recipient_id": "5511999990004", "recipient_user_id": BSUID,
        "recipient_parent_user_id": PARENT_BSUID,
        "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular",
                    "category": "marketing"}}]))
    body["entry"][0]["changes"][0]["value"]["contacts"] = [{
        "profile": {"name": "Pablo M.", "username": "@pablomorales"},
        "wa_id": "5511999990004", "user_id": BSUID, "parent_user_id": PARENT_BSUID}]
    return json.dumps(body)


def text_from(at: int, mid: str, phone: str | None = None, user_id: str | None = None,
              waba: str = "w-acme", phone_id: str = "1001", **extra) -> str:
    """An inbound text as Meta posts it; with `user_id` only, as from a user with a username
    (Meta's example: `from_user_id`, no `from`, a contact with `user_id` only)."""
    message = {"id": mid, "timestamp": str(at), "type": "text",
               "text": {"body": "Does it come in another color?"}, **extra}
    contact = {"profile": {"name": "Sheena Nelson", "username": "@realsheenanelson"}}
    if phone:
        message["from"] = contact["wa_id"] = phone
    if user_id:
        message["from_user_id"] = contact["user_id"] = user_id
    body = json.loads(webhook(phone_id, messages=[message], waba=waba))
    body["entry"][0]["changes"][0]["value"]["contacts"] = [contact]
    return json.dumps(body)


def test_business_scoped_user_ids_open_windows_of_the_person(tmp_path, params_dir):
    """A user id stands for the person its tenant's webhooks paired it with (a status with
    both ids, a contact with both, a message with both): a message or an ad click that
    carries only the user id opens the windows of that person's number, and a message that
    only names the number counts for a business message addressed to the user id. Another
    tenant's pairs never count."""
    h = 3600
    sent_only_contact = json.loads(webhook("1001", statuses=[{
        "id": "wamid.AUD5", "status": "sent", "timestamp": str(T0),
        "recipient_id": "5511999990005"}]))
    sent_only_contact["entry"][0]["changes"][0]["value"]["contacts"] = [
        {"profile": {"name": "Carlos"}, "wa_id": "5511999990005", "user_id": "BR.5555"}]
    referral = {"referral": {"source_url": "https://fb.me/3cr4Wqqkv",
                             "source_id": "120226305854810726", "source_type": "ad",
                             "ctwa_clid": "Aff-n8Z"}}
    write(tmp_path / "sources/acme/whatsapp_webhooks/w.jsonl", "\n".join([
        pablo_delivered("wamid.AUD4", T0),  # pair 5511999990004 = BSUID (status, contacts)
        text_from(T0 + 100, "wamid.IN1", user_id=BSUID),  # CSW of 5511999990004 only by id
        text_from(T0 + 150, "wamid.IN1R", user_id=BSUID, context={"id": "wamid.AUD4"}),
        text_from(T0 + 100, "wamid.IN8", phone="5511999990001"),  # control: by number
        json.dumps(sent_only_contact),  # pair 5511999990005 = BR.5555 (contacts[] only)
        text_from(T0 + 200, "wamid.IN5", user_id="BR.5555", **referral),  # an ad, by id
        # pair 5511999990006 = BR.6666 from a message with both, two days before ...
        text_from(T0 - 48 * h, "wamid.IN6A", phone="5511999990006", user_id="BR.6666"),
        # ... then a message by number only, and a utility template sent to the id only.
        text_from(T0 + 300, "wamid.IN6B", phone="5511999990006"),
        webhook("1001", statuses=[{
            "id": "wamid.W6", "status": "sent", "timestamp": str(T0 + 2 * h),
            "recipient_user_id": "BR.6666",
            "pricing": {"billable": True, "pricing_model": "PMP", "type": "regular",
                        "category": "utility"}}]),
    ]) + "\n")
    # Beta knows no pair for the same user id: its message by that id frees nothing there.
    write(tmp_path / "sources/beta/whatsapp_webhooks/w.jsonl",
          text_from(T0 + 100, "wamid.BIN1", user_id=BSUID, waba="w-beta", phone_id="2001")
          + "\n")

    def row(mid, phone, category, hours, phone_id="1001", bot="acme-bot"):
        at = datetime.fromtimestamp(T0 + hours * h, UTC).isoformat()
        return f"{mid},campaign,{bot},{phone_id},+{phone},t,{category},{at},{at},{at}"

    header = ("MessageId,Sender,BotId,PhoneNumberId,Recipient,TemplateName,Category,"
              "AcceptedAt,SentAt,DeliveredAt\n")
    write(tmp_path / "sources/acme/notifications/n.csv", header + "\n".join([
        row("wamid.AUD7", "5511999990004", "utility", 1),  # CSW from IN1 (by id): free
        row("wamid.AUD8", "5511999990001", "utility", 1),  # CSW from IN8 (by number): free
        row("wamid.AUD9", "5511999990007", "utility", 1),  # nobody wrote: billed
        row("wamid.AD1", "5511999990005", "marketing", 2),  # answers the ad: FEP 2 h .. 74 h
        row("wamid.AD2", "5511999990005", "marketing", 50),  # inside the FEP: free
    ]) + "\n")
    write(tmp_path / "sources/beta/notifications/n.csv",
          header + row("wamid.B7", "5511999990004", "utility", 1, "2001", "beta-bot") + "\n")
    con = ingested_whole(tmp_path, params_dir)
    assert free_windows(con) == {
        "wamid.AUD7": "customer_service", "wamid.AUD8": "customer_service",
        "wamid.AD1": "free_entry_point", "wamid.AD2": "free_entry_point",
        "wamid.W6": "customer_service"}
    # The pairs learnt, per tenant (beta's message gave none).
    assert con.execute("SELECT tenant_id, user_id, phone FROM user_id_pairs ORDER BY ALL"
                       ).fetchall() == [
        ("acme", "BR.13491208655302741918", "5511999990004"),
        ("acme", "BR.5555", "5511999990005"), ("acme", "BR.6666", "5511999990006")]
    # A reply by user id only joins its message by `context.id`, as any reply.
    assert con.execute("SELECT replied_at IS NOT NULL, recipient_user_id FROM message_timeline "
                       "WHERE message_id = 'wamid.AUD4'").fetchall() == [(True, BSUID)]


EXAMPLES = Path(__file__).parent / "meta_examples"
# The business phone number id of Meta's reference examples, declared by a tenant of its own
# so that the examples load as Meta prints them.
META_PHONE = "106540352242922"


def run_meta(tmp_path, params_dir, bodies: list[dict]):
    params_mod.dump_tenant(params_dir, TenantParams(
        tenant_id="meta", display_name="Meta examples", timezone="UTC", locale="en",
        phone_numbers=(PhoneNumber(META_PHONE, "+1 555-078-3881", "102290129340398", "Main"),)))
    write(tmp_path / "sources/meta/whatsapp_webhooks/w.jsonl",
          "\n".join(json.dumps(b) for b in bodies) + "\n")
    [result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    return result, duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)


def test_link_clicks_of_marketing_messages_are_counted_not_rejected(tmp_path, params_dir):
    """Tracking click events (developers.facebook.com/documentation/business-messaging/
    whatsapp/marketing-messages/track-click-events/): Meta posts a click on the `messages`
    field with `user_actions[]` and neither statuses nor messages. The page prints the body
    with placeholders and `"click_component": "cta" | "body"`; the example file fills them
    with the reference pages' example values (WABA, phone number id, timestamp) and `cta`.
    It was a rejected row ('no statuses[] or messages[] in body')."""
    click = json.loads((EXAMPLES / "webhook_user_actions_link_click.json").read_text())
    status = {"id": "wamid.S", "status": "sent", "timestamp": "1739321000",
              "recipient_id": "16505551234"}
    sent = json.loads(json.dumps(click))
    sent["entry"][0]["changes"][0]["value"] = {
        "messaging_product": "whatsapp",
        "metadata": click["entry"][0]["changes"][0]["value"]["metadata"], "statuses": [status]}
    result, con = run_meta(tmp_path, params_dir, [sent, click, click])
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "loaded", 1, 1, 0)
    assert result.message == ("other webhook fields, counted and not read: "
                              "messages: user_actions (2)")
    assert con.execute("SELECT count(*) FROM rejected_rows").fetchall() == [(0,)]


def test_a_payment_status_is_not_a_message_status(tmp_path, params_dir):
    """Payments API (developers.facebook.com/docs/whatsapp/cloud-api/payments-api/payments-in/
    pg, "Payment status update webhook"): a payment's status comes on the `messages` field as
    a status of `type: payment` (`captured`, `pending`, `failed`), its `id` the order_details
    message's. Built in that shape (the page's own example was not at hand). `captured` was a
    rejected row ('unknown status'), and a failed payment would have made the delivered
    order message `failed`."""
    def body(status):
        return {"object": "whatsapp_business_account", "entry": [{
            "id": "102290129340398", "changes": [{"value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": META_PHONE},
                "statuses": [status]}, "field": "messages"}]}]}

    order = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3NjQ0MEJFQzE0NDNFMDFDMUEA"
    payment = {"reference_id": "BM345A12", "amount": {"value": 21000, "offset": 100},
               "currency": "INR",
               "transaction": {"id": "pay_KMNU1AbCdEfGhI", "type": "razorpay",
                               "status": "failed", "created_timestamp": 1739321100,
                               "updated_timestamp": 1739321110,
                               "amount": {"value": 21000, "offset": 100}, "currency": "INR",
                               "method": {"type": "upi"},
                               "error": {"code": "PAYMENT_FAILED", "reason": "declined"}}}
    result, con = run_meta(tmp_path, params_dir, [
        body({"id": order, "status": "sent", "timestamp": "1739321024",
              "recipient_id": "16505551234"}),
        body({"id": order, "status": "delivered", "timestamp": "1739321030",
              "recipient_id": "16505551234"}),
        body({"id": order, "status": "failed", "timestamp": "1739321110",
              "recipient_id": "16505551234", "type": "payment", "payment": payment}),
        body({"id": order, "status": "captured", "timestamp": "1739321200",
              "recipient_id": "16505551234", "type": "payment",
              "payment": dict(payment, transaction=dict(payment["transaction"],
                                                        status="success"))})])
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (2, 2, 0)
    assert result.message == ("other webhook fields, counted and not read: "
                              "messages: payment statuses (2)")
    assert con.execute("SELECT status FROM message_status_events ORDER BY ts").fetchall() == [
        ("sent",), ("delivered",)]
    assert con.execute("SELECT final_status FROM message_timeline").fetchall() == [
        ("delivered",)]


# Meta's volume-based pricing tier update (webhook field `account_update`, event
# VOLUME_BASED_PRICING_TIER_UPDATE; developers.facebook.com/documentation/business-messaging/
# whatsapp/webhooks/reference/account_update lists the trigger). The body is the "Sample V3
# Webhook Payload" that partner-docs.gupshup.io/docs/tier-based-pricing-1 reproduces, without
# Gupshup's own `gs_app_id`.
TIER_UPDATE = {
    "object": "whatsapp_business_account",
    "entry": [{"id": "216141188246170", "time": 1743451903, "changes": [{
        "field": "account_update",
        "value": {"event": "VOLUME_BASED_PRICING_TIER_UPDATE",
                  "volume_tier_info": {"effective_month": "2025-11",
                                       "pricing_category": "UTILITY", "region": "INDIA",
                                       "tier": "25000001:50000000",
                                       "tier_update_time": 1743451903}}}]}]}
TIER_WABA = "216141188246170"


def tier_update(**info) -> dict:
    """Meta's example with some of `volume_tier_info` changed (a key set to None is left out)."""
    body = json.loads(json.dumps(TIER_UPDATE))
    found = body["entry"][0]["changes"][0]["value"]["volume_tier_info"]
    for key, value in info.items():
        if value is None:
            found.pop(key)
        else:
            found[key] = value
    return body


def run_tiers(tmp_path, params_dir, files: dict[str, list[dict]]):
    """Each file of bodies under the tenant `tiers` (the WABA of Meta's example), ingested."""
    params_mod.dump_tenant(params_dir, TenantParams(
        tenant_id="tiers", display_name="Tier example", timezone="Asia/Kolkata", locale="en",
        phone_numbers=(PhoneNumber("3001", "+91 22 4000-0001", TIER_WABA, "Main"),)))
    for name, bodies in files.items():
        write(tmp_path / f"sources/tiers/whatsapp_webhooks/{name}",
              "\n".join(json.dumps(b) for b in bodies) + "\n")
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    return results, duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)


TIERS = ("SELECT tenant_id, effective_month::VARCHAR, region, category, tier, epoch(ts)::BIGINT, "
         "waba_id, source_line FROM volume_tier_updates ORDER BY ALL")


def test_metas_tier_update_is_kept_once_whatever_is_loaded_again(tmp_path, params_dir):
    [result], con = run_tiers(tmp_path, params_dir, {"a.jsonl": [TIER_UPDATE]})
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_rejected) == (
        "loaded", 1, 1, 0)
    assert result.message == "volume-based pricing tier updates kept: 1"
    expected = [("tiers", "2025-11-01", "INDIA", "utility", "25000001:50000000", 1743451903,
                 TIER_WABA, 1)]
    assert con.execute(TIERS).fetchall() == expected
    con.close()
    # The same file again: unchanged, nothing read twice.
    results, con = run_tiers(tmp_path, params_dir, {})
    assert [r.status for r in results] == ["unchanged"]
    assert con.execute(TIERS).fetchall() == expected
    con.close()
    # Meta posts the same tier again, later, in another file, then the first file grows (read
    # again whole): still one row, with the time the tier was first reached.
    later = tier_update(tier_update_time=1743451903 + 3600)
    results, con = run_tiers(tmp_path, params_dir, {"b.jsonl": [later]})
    assert [r.rows_loaded for r in results if r.status == "loaded"] == [1]
    con.close()
    results, con = run_tiers(tmp_path, params_dir, {"a.jsonl": [TIER_UPDATE, later]})
    assert [r.rows_loaded for r in results if r.status == "loaded"] == [2]
    assert con.execute(TIERS).fetchall() == expected
    assert con.execute("SELECT count(*) FROM rejected_rows").fetchall() == [(0,)]


def test_a_bad_tier_update_is_a_rejected_row_naming_its_field(tmp_path, params_dir):
    status = {"id": "wamid.S", "status": "sent", "timestamp": "1743451000",
              "recipient_id": "919999990001"}
    statuses = json.loads(webhook("3001", statuses=[status], waba=TIER_WABA))
    [result], con = run_tiers(tmp_path, params_dir, {"w.jsonl": [
        statuses,
        tier_update(tier="25000001-50000000"),
        tier_update(tier="50000000:25000001"),
        tier_update(effective_month="11/2025"),
        tier_update(tier_update_time="2025-03-31T20:11:43Z"),
        tier_update(region=None),
        tier_update(tier="50000001:MAX", pricing_category="AUTHENTICATION")]})
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (7, 2, 5)
    assert result.message.startswith(
        "first: line 2 field volume_tier_info.tier: not a range of messages (lower:upper)")
    assert con.execute("SELECT line, field, value, reason FROM rejected_rows ORDER BY line"
                       ).fetchall() == [
        (2, "volume_tier_info.tier", "25000001-50000000",
         "not a range of messages (lower:upper)"),
        (3, "volume_tier_info.tier", "50000000:25000001",
         "not a range of messages (lower:upper)"),
        (4, "volume_tier_info.effective_month", "11/2025", "not a month (YYYY-MM)"),
        (5, "volume_tier_info.tier_update_time", "2025-03-31T20:11:43Z",
         "not a Unix timestamp (2015..2099)"),
        (6, "volume_tier_info.region", None, "required field is empty")]
    # The rest of the file is kept: the status, and the tier with an open upper bound.
    assert con.execute("SELECT message_id FROM message_status_events").fetchall() == [
        ("wamid.S",)]
    assert con.execute("SELECT category, tier, source_line FROM volume_tier_updates"
                       ).fetchall() == [("authentication", "50000001:MAX", 7)]


def test_other_account_updates_are_counted_never_rejected(tmp_path, params_dir):
    """Other events of `account_update` (in the shape of Meta's account_update reference: its
    authentication-international eligibility, a policy violation, a partner added) are
    counted in the file's line, never rejected, never read as a tier update. A tier update
    posted for another tenant's account is refused."""
    def account_update(value: dict, waba: str = TIER_WABA) -> dict:
        return {"object": "whatsapp_business_account", "entry": [{
            "id": waba, "time": 1753660800,
            "changes": [{"field": "account_update", "value": value}]}]}

    params_mod.dump_tenant(params_dir, TenantParams(
        tenant_id="other", display_name="Other", timezone="UTC", locale="en",
        phone_numbers=(PhoneNumber("4001", "+1 555 000 0001", "999000000000001", "Main"),)))
    other_waba = json.loads(json.dumps(TIER_UPDATE))
    other_waba["entry"][0]["id"] = "999000000000001"
    [result], con = run_tiers(tmp_path, params_dir, {"w.jsonl": [
        account_update({"event": "AUTH_INTL_PRICE_ELIGIBILITY_UPDATE",
                        "auth_international_rate_eligibility": {
                            "start_time": 1753660800,
                            "exception_countries": [{"country_code": "ID",
                                                     "start_time": 1753660800}]}}),
        account_update({"event": "ACCOUNT_VIOLATION",
                        "violation_info": {"violation_type": "ADULT"}}),
        account_update({"event": "PARTNER_ADDED",
                        "waba_info": {"waba_id": TIER_WABA,
                                      "owner_business_id": "102290129340398"}}),
        other_waba]})
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (1, 0, 1)
    assert result.message == (
        "first: line 4 field entry[].id: WhatsApp Business Account belongs to another tenant; "
        "other webhook fields, counted and not read: account_update (3)")
    assert con.execute("SELECT count(*) FROM volume_tier_updates").fetchall() == [(0,)]


def test_a_warehouse_from_before_tier_updates_gets_their_table(tmp_path, params_dir):
    from reportlib import warehouse

    con = warehouse.create(tmp_path / "wh.duckdb")
    con.execute("DROP TABLE volume_tier_updates")  # as a warehouse made before it existed
    con.execute("DELETE FROM warehouse_schema")
    con.close()
    [result], con = run_tiers(tmp_path, params_dir, {"a.jsonl": [TIER_UPDATE]})
    assert result.rows_loaded == 1
    assert con.execute("SELECT region, tier FROM volume_tier_updates").fetchall() == [
        ("INDIA", "25000001:50000000")]


def test_an_open_tier_is_one_tier_however_meta_writes_its_upper_bound(tmp_path, params_dir):
    """`2000001:` and `2000001:MAX` (the open top tier, as a webhook and as Meta's pricing
    analytics write it) are the same tier: kept once, as `MAX`, reached at the earlier time."""
    [result], con = run_tiers(tmp_path, params_dir, {"a.jsonl": [
        tier_update(tier="2000001:", tier_update_time=1743451903 + 60),
        tier_update(tier="2000001:max", tier_update_time=1743451903)]})
    assert (result.rows_loaded, result.rows_rejected) == (2, 0)
    assert con.execute("SELECT tier, epoch(ts)::BIGINT, source_line FROM volume_tier_updates"
                       ).fetchall() == [("2000001:MAX", 1743451903, 2)]


def test_a_system_message_opens_no_customer_service_window(tmp_path, params_dir):
    """System messages webhook reference (developers.facebook.com/documentation/business-
    messaging/whatsapp/webhooks/reference/messages/system/): WhatsApp tells the business that a
    user changed their number (`type: system`, `system.type: user_changed_number`, no contacts
    array). The user wrote nothing: no window opens, so a utility template to them after it is
    paid, while one after the user's own text is free. The message is still kept."""
    changed = {"from": "5511999990001", "id": "wamid.SYS", "timestamp": str(T0),
               "type": "system",
               "system": {"body": "User A changed from 5511999990001 to 5511999990009",
                          "wa_id": "5511999990009", "type": "user_changed_number"}}
    text = {"from": "5511999990002", "id": "wamid.TXT", "timestamp": str(T0), "type": "text",
            "text": {"body": "Oi"}}
    write(tmp_path / "sources/acme/whatsapp_webhooks/w.jsonl", "\n".join([
        webhook("1001", messages=[changed]), webhook("1001", messages=[text])]) + "\n")
    at = datetime.fromtimestamp(T0 + 3600, UTC).isoformat()
    write(tmp_path / "sources/acme/notifications/n.csv",
          "MessageId,Sender,BotId,PhoneNumberId,Recipient,TemplateName,Category,AcceptedAt,"
          "SentAt,DeliveredAt\n"
          f"after_system,api,acme-bot,1001,+5511999990001,t,utility,{at},{at},{at}\n"
          f"after_text,api,acme-bot,1001,+5511999990002,t,utility,{at},{at},{at}\n")
    con = ingested_whole(tmp_path, params_dir)
    assert con.execute("SELECT message_id, type FROM inbound_messages ORDER BY 1").fetchall() \
        == [("wamid.SYS", "system"), ("wamid.TXT", "text")]
    assert free_windows(con) == {"after_text": "customer_service"}


def test_a_brazilian_or_mexican_mobile_meets_its_older_whatsapp_id(tmp_path, params_dir):
    """A Brazilian mobile on WhatsApp since before the ninth digit keeps the old eight-digit
    number as its WhatsApp id (help.zoho.com/portal/en/kb/marketing-automation-2-0/faqs/
    marketing-campaigns/whatsapp/articles/what-is-the-reason-for-inconsistencies-in-mobile-
    numbers-and-their-whatsapp-ids-in-brazil-and-mexico: numbers outside the area codes 11-19,
    21, 22, 24, 27 and 28 keep it): Meta's webhooks name the user 553187654321 (`from`,
    `recipient_id`, `wa_id`) while the platform's files name +55 31 98765-4321. The two never
    met: the user's message opened no window for the utility template sent to the dialled
    number (billed instead of free), and the user's marketing opt-out did not count against
    the campaign message it followed. Now both are the same person; a number of another area
    or country is unchanged (+55 31 3xxx landline, a US number). The same page: a Mexican
    mobile's WhatsApp id keeps the 1 after 52 that Mexico dropped (5215512345678 for
    +52 55 1234 5678), and its message opens the window of the number dialled."""
    wa_id, dialled = "553187654321", "+5531987654321"
    stop = json.loads(json.dumps(USER_PREFERENCES))
    pref = stop["entry"][0]["changes"][0]["value"]
    pref["contacts"] = [{"wa_id": wa_id}]
    pref["user_preferences"] = [{"wa_id": wa_id, "category": "marketing_messages",
                                 "detail": "User requested to stop marketing messages",
                                 "value": "stop", "timestamp": T0 + 7200}]
    write(tmp_path / "sources/acme/whatsapp_webhooks/w.jsonl", "\n".join([
        webhook("1001", messages=[{"from": wa_id, "id": "wamid.IN1", "timestamp": str(T0),
                                   "type": "text", "text": {"body": "Oi"}}]),
        webhook("1001", messages=[{"from": "5215512345678", "id": "wamid.IN2",
                                   "timestamp": str(T0), "type": "text",
                                   "text": {"body": "Hola"}}]),
        webhook("1001", statuses=[{"id": "wamid.M2", "status": "delivered",
                                   "timestamp": str(T0 + 3605), "recipient_id": wa_id}]),
        json.dumps(stop)]) + "\n")

    def row(mid, recipient, category, hours):
        at = datetime.fromtimestamp(T0 + hours * 3600, UTC).isoformat()
        return f"{mid},c1,campaign,acme-bot,1001,{recipient},t,{category},{at},{at},{at}"

    write(tmp_path / "sources/acme/notifications/n.csv",
          "MessageId,CampaignId,Sender,BotId,PhoneNumberId,Recipient,TemplateName,Category,"
          "AcceptedAt,SentAt,DeliveredAt\n" + "\n".join([
              row("wamid.M1", dialled, "utility", 1),  # in the user's window: free
              row("wamid.M2", dialled, "marketing", 1),  # the user stops 1 h later
              row("wamid.M3", "+553133334444", "utility", 1),  # a landline: not the user
              row("wamid.M4", "+16505551234", "utility", 1),
              row("wamid.M5", "+525512345678", "utility", 1)]) + "\n")  # Mexico: free
    con = ingested_whole(tmp_path, params_dir)
    assert free_windows(con) == {"wamid.M1": "customer_service",
                                 "wamid.M5": "customer_service"}
    people = dict(con.execute("SELECT message_id, person FROM message_people").fetchall())
    assert people == {"wamid.M1": wa_id, "wamid.M2": wa_id, "wamid.M3": "553133334444",
                      "wamid.M4": "16505551234", "wamid.M5": "525512345678"}
    assert con.execute("SELECT person, value FROM user_preferences_by_person").fetchall() == [
        (wa_id, "stop")]


def meta_text_message(name: str, text: str) -> dict:
    """Meta's webhooks reference, messages > text (developers.facebook.com/documentation/
    business-messaging/whatsapp/webhooks/reference/messages/text): the user's text, with this
    profile name and body."""
    return {"object": "whatsapp_business_account", "entry": [{
        "id": "102290129340398", "changes": [{"value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": "1001"},
            "contacts": [{"profile": {"name": name}, "wa_id": "16505551234"}],
            "messages": [{"from": "16505551234",
                          "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                          "timestamp": "1749416383", "type": "text",
                          "text": {"body": text}}]},
            "field": "messages"}]}]}


def test_a_recipient_written_without_plus_is_the_person_meta_names(tmp_path, params_dir):
    """E.164 is the digits with their country code; the `+` is how they are written. Meta
    names a user by the digits alone: the inbound text of its webhooks reference (messages >
    text, developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/
    reference/messages/text: `"from": "16505551234"`, `"wa_id": "16505551234"`, its id and
    timestamp kept) and a status's `recipient_id` ("16505551234", as in the same reference's
    status examples). The platform names a WhatsApp user `5511987654321@wa.gw.msging.net`
    (docs/sources.md, "E.164 digits before the @"), and a spreadsheet drops the `+`: a
    notifications file that writes the Recipient as those digits had every row rejected ('not
    an E.164 phone number'). Now `16505551234` is the same person as `+16505551234`: the
    webhook's status joins the message, the user's text opens the window that makes the
    utility template sent an hour later free, the market comes from the calling code (+1 650:
    the United States, North America; +55: Brazil) and an extract still masks the number."""
    from reportlib.deliver.extract import extract
    from reportlib.domain import pricing
    from tests.conftest import ACME

    text = meta_text_message("Sheena Nelson", "Does it come in another color?")
    sent = 1749416383 + 3600  # 2025-06-08 21:59:43 UTC, an hour after the user's text
    write(tmp_path / "sources/acme/whatsapp_webhooks/w.jsonl", "\n".join([
        json.dumps(text),
        webhook("1001", statuses=[{"id": "wamid.T1", "status": "read",
                                   "timestamp": str(sent + 60),
                                   "recipient_id": "16505551234"}])]) + "\n")
    at = datetime.fromtimestamp(sent, UTC).isoformat()
    write(tmp_path / "sources/acme/notifications/n.csv",
          "MessageId,Sender,BotId,PhoneNumberId,Recipient,TemplateName,Category,AcceptedAt,"
          "SentAt\n"
          f"wamid.T1,api,acme-bot,1001,16505551234,order_update,utility,{at},{at}\n"
          f"wamid.T2,api,acme-bot,1001,5511987654321,promo,marketing,{at},{at}\n")
    con = ingested_whole(tmp_path, params_dir)
    assert con.execute("SELECT message_id, recipient, final_status FROM message_timeline "
                       "ORDER BY 1").fetchall() == [("wamid.T1", "+16505551234", "read"),
                                                    ("wamid.T2", "+5511987654321", "sent")]
    # The person's key: the digits, a Brazilian mobile's without its ninth digit (as its
    # WhatsApp id may be: warehouse.PERSON_NUMBER).
    assert dict(con.execute("SELECT message_id, person FROM message_people").fetchall()) == {
        "wamid.T1": "16505551234", "wamid.T2": "551187654321"}
    assert free_windows(con) == {"wamid.T1": "customer_service"}
    con.close()
    con = duckdb.connect()
    pricing.install(con)
    con.execute("ATTACH ? AS wh (READ_ONLY)", [str(tmp_path / "wh.duckdb")])
    con.execute("SET search_path = 'memory.main,wh.main'")
    assert con.execute("SELECT message_id, market_of_country(country_of_phone(recipient)) "
                       "FROM message_timeline ORDER BY 1").fetchall() == [
        ("wamid.T1", "North America"), ("wamid.T2", "Brazil")]
    con.close()
    out = tmp_path / "notifications.csv"
    extract(tmp_path / "wh.duckdb", ACME, ["notifications"], datetime(2025, 6, 1).date(),
            datetime(2025, 6, 30).date(), "csv", out, datetime(2025, 7, 1).date())
    masked = [line.split(",")[9] for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    assert masked == ["'+1 ••• ••••-1234", "'+55 ••• ••••-4321"]


def test_a_body_with_half_an_emoji_escaped_is_read(tmp_path, params_dir):
    """Meta's webhooks reference, messages > text (developers.facebook.com/documentation/
    business-messaging/whatsapp/webhooks/reference/messages/text), with the user's profile
    name cut inside an emoji: Meta escapes non-ASCII text, so the name ends in an unpaired
    surrogate escape, which JSON's grammar allows (RFC 8259, section 8.2) and Python reads.
    DuckDB's parser refused the line: the whole body was a rejected row ("not valid JSON"),
    its message lost. Now the broken character is replaced and the message is read."""
    body = meta_text_message("Sheena \ud83d", "Does it come in another color? \ud83d\ude00")
    line = json.dumps(body)
    assert "\\ud83d\"" in line  # the name's half emoji, escaped as Meta sends it
    result, con = run(tmp_path, params_dir, [line])
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (1, 1, 0), (
        result.line())
    assert con.execute("SELECT from_id, type, epoch(ts)::BIGINT FROM inbound_messages"
                       ).fetchall() == [("16505551234", "text", 1749416383)]


# Webhooks reference, messages > status (developers.facebook.com/documentation/business-
# messaging/whatsapp/webhooks/reference/messages/status), the shape of its "sent" example with
# pricing (per-message pricing), indented as the page prints it.
META_STATUS_SENT = {
    "object": "whatsapp_business_account",
    "entry": [{"id": "102290129340398", "changes": [{"value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "1001"},
        "statuses": [{"id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA",
                      "status": "sent", "timestamp": "1790856000",
                      "recipient_id": "16505551234",
                      "pricing": {"billable": True, "pricing_model": "PMP",
                                  "category": "marketing", "type": "regular"}}]},
        "field": "messages"}]}]}


def test_bodies_written_as_indented_json_or_an_array_are_read(tmp_path, params_dir):
    """Meta's pages print each webhook body indented: saved so (a .jsonl of one or several
    such bodies), each of its lines was a rejected row 'not valid JSON' and nothing loaded
    (exit 0); an array of bodies on one line was 'entry: not a list'; a .json file was
    skipped. Each body is read, and the line says how the file was written."""
    folder = tmp_path / "sources/acme/whatsapp_webhooks"
    write(folder / "status.jsonl", json.dumps(META_STATUS_SENT, indent=2) + "\n")
    write(folder / "two.jsonl", json.dumps(USER_PREFERENCES, indent=2) + "\n"
          + json.dumps(SYSTEM_ERROR, indent=4) + "\n")
    write(folder / "array.json", json.dumps([USER_PREFERENCES, META_STATUS_SENT]))
    results = {Path(r.file).name: r for r in ingest.ingest(
        tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)}
    counts = {name: (r.status, r.rows_loaded, r.rows_rejected) for name, r in results.items()}
    assert counts == {"status.jsonl": ("loaded", 1, 0), "two.jsonl": ("loaded", 1, 0),
                      "array.json": ("loaded", 2, 0)}
    assert "not one a line: 2 bodies" in results["two.jsonl"].message
    assert "errors reported by Meta outside any message: 1" in results["two.jsonl"].message
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute(
        "SELECT message_id, status, pricing_billable, pricing_category, source_line "
        "FROM message_status_events").fetchall() == [
        (META_STATUS_SENT["entry"][0]["changes"][0]["value"]["statuses"][0]["id"], "sent",
         True, "marketing", 1)]
    assert con.execute("SELECT wa_id, value FROM user_preferences").fetchall() == [
        ("16505551234", "resume")]


def test_indented_bodies_cut_short_keep_the_bodies_before_the_cut(tmp_path, params_dir):
    """Indented bodies whose last one is cut short (a copy stopped part way): every line of
    the file was a rejected row 'not valid JSON', the whole bodies before the cut lost with
    the broken one. They are read; what follows is one rejected row naming its line."""
    whole = json.dumps(META_STATUS_SENT, indent=2)
    cut = json.dumps(USER_PREFERENCES, indent=2)
    text = whole + "\n" + cut[:len(cut) // 2]
    write(tmp_path / "sources/acme/whatsapp_webhooks/cut.jsonl", text)
    [result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 1)
    broken = whole.count("\n") + 2
    assert f"1 body, then no JSON from line {broken} on (one rejected row)" in result.message
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    [(line, field, value, reason)] = con.execute(
        "SELECT line, field, value, reason FROM rejected_rows").fetchall()
    assert (line, field) == (2, "*") and reason.startswith("not valid JSON")
    assert value.startswith(f"(from line {broken}) {{ \"object\": \"whatsapp_business_account\"")
    assert con.execute("SELECT status FROM message_status_events").fetchall() == [("sent",)]


def test_indented_bodies_beyond_the_bound_are_one_reason_not_a_row_a_line(
        tmp_path, params_dir, monkeypatch):
    """Indented bodies are parsed whole in Python (about five times their size in memory: a
    200 MB file took 1.1 GB): a file of them over the bound had each of its lines rejected as
    'not valid JSON', a row a line. It is one reason saying to write one body a line, and the
    other files are read. The bound is lowered here to a few bodies' size."""
    from reportlib.ingest import webhooks

    body = json.dumps(META_STATUS_SENT, indent=2) + "\n"
    monkeypatch.setattr(webhooks, "MAX_DOCUMENT_BYTES", 3 * len(body))
    folder = tmp_path / "sources/acme/whatsapp_webhooks"
    write(folder / "big.jsonl", body * 4)
    write(folder / "small.jsonl", body * 2)
    results = {Path(r.file).name: r for r in ingest.ingest(
        tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)}
    assert (results["small.jsonl"].status, results["small.jsonl"].rows_loaded) == ("loaded", 2)
    big = results["big.jsonl"]
    assert big.status == "unreadable" and big.rows_rejected == 0, big.line()
    assert "write one body a line (JSONL)" in big.message


def _status_line(n: int, status: str = "delivered") -> str:
    """Meta's status example (META_STATUS_SENT) on one line, its message id made the n-th."""
    body = json.loads(json.dumps(META_STATUS_SENT))
    change = body["entry"][0]["changes"][0]["value"]["statuses"][0]
    change["id"], change["status"] = f"wamid.N{n}", status
    return json.dumps(body)


@pytest.mark.parametrize("first", ["two bodies", "cut short"])
def test_one_body_a_line_with_a_bad_first_line_is_read_line_by_line(tmp_path, params_dir,
                                                                    first):
    """A JSONL file whose first line holds two bodies (a line end lost) or is cut short, and
    whose line 5 is cut short: it was taken for bodies written as JSON documents, so the
    whole bodies read stopped at the first bad spot and every good line after it became one
    rejected row (500 of 1,000 lines lost that way in a review's probe; over 64 MiB the file
    was refused whole). Each bad line is its own rejected row; the 7 good lines are read."""
    lines = [_status_line(n) for n in range(1, 10)]
    lines[0] = lines[0] + lines[1] if first == "two bodies" else lines[0][:80]
    lines[4] = lines[4][:120]
    result, con = run(tmp_path, params_dir, lines)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 7, 2), (
        result.line())
    assert "JSON documents" not in result.message
    assert [line for (line,) in con.execute(
        "SELECT line FROM rejected_rows ORDER BY line").fetchall()] == [1, 5]


def test_indented_bodies_with_one_broken_in_the_middle_keep_those_after_it(tmp_path,
                                                                          params_dir):
    """Five indented bodies, the second damaged by an edit: the bodies after it were one
    rejected row with it (one body read of four good ones). The broken body alone is
    rejected, from the line it starts on; the four others are read."""
    bodies = [json.dumps(json.loads(_status_line(n)), indent=2) for n in range(1, 6)]
    bodies[1] = bodies[1].replace('"status": "delivered"', '"status": delivered', 1)
    write(tmp_path / "sources/acme/whatsapp_webhooks/five.jsonl", "\n".join(bodies) + "\n")
    [result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", params_dir)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 4, 1), (
        result.line())
    second = bodies[0].count("\n") + 2
    assert (f"4 bodies, and 1 part that is no JSON, from line {second} (a rejected row)"
            in result.message), result.message
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert sorted(m for (m,) in con.execute(
        "SELECT message_id FROM message_status_events").fetchall()) == [
        "wamid.N1", "wamid.N3", "wamid.N4", "wamid.N5"]
