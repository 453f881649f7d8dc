"""The platform's own export tables (docs/sources.md, "The platform's own export tables"): the
notification event log, the message export (base64 UTF-16LE content), ticket events and event
tracks with MessageId/Count land in the same canonical tables as the wide files, and the same
messages in either shape give the same reports.

The shapes are the platform's as docs/sources.md describes them (the columns of its Report
Manager exports); the rows are hand-made, with the answers worked out by hand in comments.
"""

from __future__ import annotations

import base64
import json
from datetime import date

import duckdb
import pytest

from reportlib import ingest
from reportlib import params as params_mod
from reportlib.domain import calendar
from reportlib.marts import bundle
from reportlib.marts.bundle import Bundle
from tests.conftest import ACME, scope_connection, unix, write

CAMPAIGNS = (
    "CampaignId,CampaignName,BotId,TemplateName,Category,Status,ScheduledAt,SentAt\n"
    "c1,Promo outubro,acme-bot,promo_out,marketing,Sent,2026-10-05T12:00:00Z,"
    "2026-10-05T12:00:00Z\n"
    "c2,Promo outubro 2,acme-bot,promo_out,marketing,Sent,2026-10-12T12:00:00Z,"
    "2026-10-12T12:00:00Z\n")

# The same five messages in the wide file. m1: read; m2: delivered; m3: failed after sent
# (131026, with Meta's text); m4: sent only; m5: c2's, read.
WIDE = (
    "MessageId,CampaignId,Sender,BotId,PhoneNumberId,Recipient,TemplateName,Category,"
    "AcceptedAt,SentAt,DeliveredAt,ReadAt,FailedAt,ErrorCode\n"
    "wamid.M1,c1,campaign,acme-bot,1001,+5511999990001,promo_out,marketing,"
    "2026-10-05T12:00:01Z,2026-10-05T12:00:03Z,2026-10-05T12:00:10Z,2026-10-05T12:10:00Z,,\n"
    "wamid.M2,c1,campaign,acme-bot,1001,+5511999990002,promo_out,marketing,"
    "2026-10-05T12:00:01Z,2026-10-05T12:00:04Z,2026-10-05T12:01:00Z,,,\n"
    "wamid.M3,c1,campaign,acme-bot,1001,+5511999990003,promo_out,marketing,"
    "2026-10-05T12:00:02Z,2026-10-05T12:00:05Z,,,2026-10-05T12:00:30Z,131026\n"
    "wamid.M4,c1,campaign,acme-bot,1001,+5511999990004,promo_out,marketing,"
    "2026-10-05T12:00:02Z,2026-10-05T12:00:06Z,,,,\n"
    "wamid.M5,c2,campaign,acme-bot,1001,+5511999990005,promo_out,marketing,"
    "2026-10-12T12:00:01Z,2026-10-12T12:00:03Z,2026-10-12T12:00:09Z,2026-10-12T13:00:00Z,,\n")


def event(pid: str, wamid: str | None, phone: str, name: str, at: str, *, swap: bool = False,
          reason: tuple[str, str] = ("", "")) -> str:
    """One event-log row; `#wa.timestamp` (preferred) and StorageDate carry the instant. Events
    the user's phone raised come with From and To swapped."""
    meta = {"#wa.timestamp": str(unix(at.replace("Z", "+00:00"))),
            "#wa.conversation.origin.type": "marketing"}
    if wamid:
        meta["#message.uniqueId"] = wamid
    user, bot = f"{phone}@wa.gw.msging.net", "acme-bot@msging.net"
    sides = (user, bot) if swap else (bot, user)
    text = json.dumps(meta).replace('"', '""')
    return (f'{pid},{bot},{sides[0]},{sides[1]},{name},{at},"{text}",'
            f"{reason[0]},{reason[1]}")


# The event log of the same messages: out of order, `received` repeated, the accepted events
# without Meta's id (it arrives with `dispatched`), m3's failure with its reason.
LOG_ROWS = [
    event("p1", "wamid.M1", "5511999990001", "consumed", "2026-10-05T12:10:00Z", swap=True),
    event("p1", None, "5511999990001", "accepted", "2026-10-05T12:00:01Z"),
    event("p1", "wamid.M1", "5511999990001", "received", "2026-10-05T12:00:10Z", swap=True),
    event("p1", "wamid.M1", "5511999990001", "received", "2026-10-05T12:00:10Z", swap=True),
    event("p1", "wamid.M1", "5511999990001", "dispatched", "2026-10-05T12:00:03Z"),
    event("p2", None, "5511999990002", "accepted", "2026-10-05T12:00:01Z"),
    event("p2", "wamid.M2", "5511999990002", "dispatched", "2026-10-05T12:00:04Z"),
    event("p3", None, "5511999990003", "accepted", "2026-10-05T12:00:02Z"),
    event("p3", "wamid.M3", "5511999990003", "failed", "2026-10-05T12:00:30Z",
          reason=("131026", "Message undeliverable")),
    event("p3", "wamid.M3", "5511999990003", "dispatched", "2026-10-05T12:00:05Z"),
    event("p4", None, "5511999990004", "accepted", "2026-10-05T12:00:02Z"),
    event("p4", "wamid.M4", "5511999990004", "dispatched", "2026-10-05T12:00:06Z"),
    event("p5", "wamid.M5", "5511999990005", "dispatched", "2026-10-12T12:00:03Z"),
    event("p5", None, "5511999990005", "accepted", "2026-10-12T12:00:01Z"),
    event("p5", "wamid.M5", "5511999990005", "consumed", "2026-10-12T13:00:00Z", swap=True),
    event("p5", "wamid.M5", "5511999990005", "received", "2026-10-12T12:00:09Z", swap=True),
]
LOG_HEADER = ("Id,OwnerIdentity,FromIdentity,ToIdentity,Event,StorageDate,Metadata,ReasonCode,"
              "ReasonDescription")
# A later file with m2's delivery: a message's events span files.
LOG_LATER = [event("p2", "wamid.M2", "5511999990002", "received", "2026-10-05T12:01:00Z",
                   swap=True)]


def content(obj: dict | str) -> str:
    """The message export's Content: base64 of the UTF-16LE text."""
    text = obj if isinstance(obj, str) else json.dumps(obj)
    return base64.b64encode(text.encode("utf-16-le")).decode()


def template_content(name: str) -> str:
    return content({"type": "template", "template": {
        "name": name, "language": {"code": "pt_BR", "policy": "deterministic"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]}})


MESSAGES_HEADER = "Id,OwnerIdentity,FromIdentity,ToIdentity,ToDomain,StorageDate,Type,Content"
MESSAGES_ROWS = [
    *(f"p{i},acme-bot@msging.net,acme-bot@msging.net,551199999000{i}@wa.gw.msging.net,"
      f"wa.gw.msging.net,2026-10-{5 if i < 5 else 12:02d}T12:00:00Z,application/json,"
      f"{template_content('promo_out')}" for i in range(1, 6)),
    # Chatbot traffic: a user's message and the bot's answer (text/plain).
    f"b1,acme-bot@msging.net,5511999990001@wa.gw.msging.net,acme-bot@msging.net,msging.net,"
    f"2026-10-05T12:11:00Z,text/plain,{content('Quero o cupom')}",
    f"b2,acme-bot@msging.net,acme-bot@msging.net,5511999990001@wa.gw.msging.net,"
    f"wa.gw.msging.net,2026-10-05T12:11:02Z,text/plain,{content('Aqui está: CUPOM10')}",
]


def sources(root, shape: str) -> None:
    base = root / "sources" / "acme"
    write(base / "campaigns" / "c.csv", CAMPAIGNS)
    if shape == "wide":
        write(base / "notifications" / "n.csv", WIDE)
    else:
        write(base / "notifications" / "log_1.csv", "\n".join([LOG_HEADER, *LOG_ROWS]) + "\n")
        write(base / "notifications" / "log_2.csv", "\n".join([LOG_HEADER, *LOG_LATER]) + "\n")
        write(base / "bot_messages" / "messages.csv",
              "\n".join([MESSAGES_HEADER, *MESSAGES_ROWS]) + "\n")


@pytest.fixture
def utc_params(tmp_path):
    """Acme in UTC: the hand-made StorageDates without offset are then the instants above."""
    from dataclasses import replace

    folder = tmp_path / "params"
    params_mod.dump_tenant(folder, replace(ACME, timezone="UTC"))
    return folder


def load(tmp_path, params_dir, shape: str):
    root = tmp_path / shape
    sources(root, shape)
    results = ingest.ingest(root / "sources", root / "wh.duckdb", params_dir)
    assert not [r for r in results if r.failed or r.rows_rejected], [r.line() for r in results]
    return root, results


TIMELINE = ("SELECT message_id, campaign_id, sender, bot_id, phone_number_id, recipient, "
            "template_name, category, accepted_at, sent_at, delivered_at, read_at, failed_at, "
            "error_code, final_status FROM message_timeline ORDER BY message_id")


def test_event_log_gives_the_wide_files_timeline(tmp_path, utc_params):
    timelines = {}
    for shape in ("wide", "platform"):
        root, results = load(tmp_path, utc_params, shape)
        con = duckdb.connect(str(root / "wh.duckdb"), read_only=True)
        timelines[shape] = con.execute(TIMELINE).fetchall()
        if shape == "platform":
            lines = {r.file.split("/")[-1]: r for r in results}
            assert "event log" in lines["log_1.csv"].message
            # 16 event rows, one an exact repeat: 15 stored events.
            assert lines["log_1.csv"].rows_loaded == 16
            assert con.execute("SELECT count(*) FROM notification_events").fetchone()[0] == 16
            # Meta's failure text is kept beside the code.
            assert con.execute("SELECT error_details FROM message_timeline "
                               "WHERE message_id = 'wamid.M3'").fetchone()[0] == \
                "Message undeliverable"
            # Template messages give the template, the others are chatbot traffic.
            assert con.execute("SELECT message_id, direction, user_identity, channel FROM "
                               "bot_messages ORDER BY 1").fetchall() == [
                ("b1", "received", "+5511999990001", "whatsapp"),
                ("b2", "sent", "+5511999990001", "whatsapp")]
        con.close()
    assert timelines["platform"] == timelines["wide"]
    statuses = [row[-1] for row in timelines["wide"]]
    assert statuses == ["read", "delivered", "failed", "sent", "read"]
    # m5 belongs to c2 (the later campaign of the same template): told apart by time.
    assert [row[1] for row in timelines["wide"]] == ["c1", "c1", "c1", "c1", "c2"]


def test_event_log_gives_the_same_campaign_figures(tmp_path, utc_params):
    tables = {}
    for shape in ("wide", "platform"):
        root, _ = load(tmp_path, utc_params, shape)
        out = root / "bundle.duckdb"
        bundle.build(root / "wh.duckdb", ACME, calendar.parse_period("2026-10"),
                     date(2026, 11, 20), out, ("campaigns",))
        b = Bundle.open(out)
        tables[shape] = {name: b.table(name).to_dict("records")
                         for name in ("campaign_summary", "campaign_failures")}
    for name in ("campaign_summary", "campaign_failures"):
        for wide, log in zip(tables["wide"][name], tables["platform"][name], strict=True):
            differ = {k: (wide[k], log[k]) for k in wide if wide[k] != log[k]
                      and not (wide[k] != wide[k] and log[k] != log[k])}  # NaN == NaN here
            # The event log brings the platform's text of the failure; the wide file has none.
            assert differ in ({}, {"details": (None, "Message undeliverable")}), (name, differ)
    c1 = {r["campaign_id"]: r for r in tables["wide"]["campaign_summary"]}["c1"]
    # c1: audience 4; failed m3; received m1, m2; read m1.
    assert (c1["audience"], c1["failed"], c1["received"], c1["read"]) == (4, 1, 2, 1)


def test_a_row_whose_recipient_is_no_whatsapp_user_is_rejected(tmp_path, utc_params):
    base = tmp_path / "sources" / "acme" / "notifications"
    write(base / "log.csv", LOG_HEADER + "\n" + LOG_ROWS[1] + "\n"
          "p9,acme-bot@msging.net,acme-bot@msging.net,someone@email.com,accepted,"
          "2026-10-05 12:00:00,,,\n")
    [result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT line, field FROM rejected_rows").fetchall() == [
        (3, "ToIdentity")]


def test_the_platforms_validated_and_authorized_events_are_read_and_change_nothing(
        tmp_path, utc_params):
    """The platform's protocol has seven notification events, not five: its C# library
    (github.com/takenet/lime-csharp, src/Lime.Protocol/Notification.cs, enum Event) lists
    `accepted`, `validated` ("the message format was validated by the server"), `authorized`
    ("the dispatch of the message was authorized by the server"), `dispatched`, `received`,
    `consumed` and `failed`, as do lime-js (src/Lime/Protocol/Notification.ts) and lime-python
    (lime_python/base/notification.py); limeprotocol.org and Blip's docs print the other five.
    An export of a live system's events holds them, and each was a rejected row ('not one of
    accepted, dispatched, …'). They come between accepted and dispatched and say nothing of
    WhatsApp's answer: the five messages keep the wide file's timeline exactly, whatever the
    times of these events (p4's before its accepted event, p2's after its delivery). One comes
    from the server, `postmaster@msging.net` (the sender of a server's notification in Blip's
    docs, takenet/blip-docs, concepts2/notifications.md), with no WhatsApp user on either
    side: still not a rejected row. A word of no platform event stays one (`delivered` is
    Meta's)."""
    server = ("p2,acme-bot@msging.net,postmaster@msging.net,acme-bot@msging.net,validated,"
              "2026-10-05T12:02:00Z,,,")
    extra = [
        event("p1", None, "5511999990001", "validated", "2026-10-05T12:00:02Z"),
        event("p1", None, "5511999990001", "authorized", "2026-10-05T12:00:02Z"),
        event("p4", None, "5511999990004", "Authorized", "2026-10-05T12:00:01Z"),
        server,
        event("p5", "wamid.M5", "5511999990005", "delivered", "2026-10-12T12:00:09Z",
              swap=True),
    ]
    root = tmp_path / "platform"
    sources(root, "platform")
    write(root / "sources/acme/notifications/log_3.csv", "\n".join([LOG_HEADER, *extra]) + "\n")
    results = ingest.ingest(root / "sources", root / "wh.duckdb", utc_params)
    lines = {r.file.split("/")[-1]: r for r in results}
    log = lines["log_3.csv"]
    # 5 rows: 4 intermediate events loaded (read, counted), the unknown word rejected.
    assert (log.rows_read, log.rows_loaded, log.rows_rejected) == (5, 4, 1), log.line()
    assert log.message == (
        "first: line 6 field Event: not one of accepted, validated, authorized, dispatched, "
        "received, consumed, failed; read as the platform's event log export; events "
        "validated or authorized (the platform's steps before dispatch, no status), read and "
        "not stored: 4 rows (first: validated)")
    assert [r for r in results if r is not log and r.rows_rejected] == []
    con = duckdb.connect(str(root / "wh.duckdb"), read_only=True)
    # Nothing of them is stored: the 16 events of log_1 and log_2 only.
    assert con.execute("SELECT count(*), count(DISTINCT event) FROM notification_events"
                       ).fetchone() == (16, 5)
    with_them = con.execute(TIMELINE).fetchall()
    con.close()
    wide, _ = load(tmp_path, utc_params, "wide")
    con = duckdb.connect(str(wide / "wh.duckdb"), read_only=True)
    assert with_them == con.execute(TIMELINE).fetchall()
    assert [row[-1] for row in with_them] == ["read", "delivered", "failed", "sent", "read"]


def test_a_header_of_no_known_shape_names_the_missing_columns(tmp_path, utc_params):
    write(tmp_path / "sources/acme/notifications/n.csv", "Id,OwnerIdentity,Event\np1,b,x\n")
    [result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    assert result.status == "unreadable"
    assert "missing required column ToIdentity, StorageDate of the platform's event log" \
        in result.message


def test_ticket_events_latest_row_wins(tmp_path, utc_params):
    # t1: opened at 10:00, answered 10:05, closed 11:00 (the closing row comes first in the
    # file); t2: closed by the customer before an agent answered; t3: waiting.
    write(tmp_path / "sources/acme/tickets/t.csv",
          "TicketId,SequentialId,OwnerIdentity,CustomerIdentity,StorageDate,OpenDate,"
          "FirstResponseDate,ClosedDate,ClosedBy\n"
          "t1,1,acme-bot@msging.net,5511999990001@wa.gw.msging.net,2026-10-05T11:00:00Z,"
          "2026-10-05T10:00:00Z,2026-10-05T10:05:00Z,2026-10-05T11:00:00Z,ana@acme.com\n"
          "t1,1,acme-bot@msging.net,5511999990001@wa.gw.msging.net,2026-10-05T10:00:00Z,"
          "2026-10-05T10:00:00Z,,,\n"
          "t2,2,acme-bot@msging.net,5511999990002@wa.gw.msging.net,2026-10-05T12:00:00Z,,,"
          "2026-10-05T12:30:00Z,5511999990002@wa.gw.msging.net\n"
          "t3,3,acme-bot@msging.net,5511999990003@wa.gw.msging.net,2026-10-05T13:00:00Z,,,,\n")
    [result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    assert (result.rows_loaded, result.rows_rejected) == (4, 0)
    assert "ticket events" in result.message
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    rows = con.execute("SELECT ticket_id, bot_id, customer_identity, status, "
                       "strftime(close_date AT TIME ZONE 'UTC', '%H:%M') FROM tickets "
                       "ORDER BY 1").fetchall()
    assert rows == [("t1", "acme-bot", "+5511999990001", "ClosedAttendant", "11:00"),
                    ("t2", "acme-bot", "+5511999990002", "ClosedClient", "12:30"),
                    ("t3", "acme-bot", "+5511999990003", "Waiting", None)]


def test_event_tracks_count_stands_for_that_many_events(tmp_path, utc_params):
    write(tmp_path / "sources/acme/event_tracks/e.csv",
          "BotId,ContactIdentity,Category,Action,StorageDate,MessageId,Count\n"
          "acme-bot,+5511999990001,menu,open,2026-10-05T10:00:00Z,m-1,3\n"
          "acme-bot,+5511999990002,menu,open,2026-10-05T10:01:00Z,m-2,\n"
          "acme-bot,+5511999990002,menu,open,2026-10-05T10:01:00Z,m-2,0\n")
    [result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)  # a Count of 0 is rejected
    out = tmp_path / "bundle.duckdb"
    bundle.build(tmp_path / "wh.duckdb", ACME, calendar.parse_period("2026-10"),
                 date(2026, 11, 20), out, ("custom_events",))
    counts = Bundle.open(out).table("event_counts").to_dict("records")
    # 3 events on the first row, 1 on the second (no Count: one event); 2 users.
    assert [(r["category"], r["action"], r["events"], r["users"]) for r in counts] == [
        ("menu", "open", 4, 2)]


def test_demo_in_the_platform_shape_gives_identical_bundles(tmp_path):
    """`reportlib demo --shape platform` writes the same rows as the platform's own exports:
    every table of every report's bundle is equal to the wide files' (a month, three tenants)."""
    import pandas as pd

    from reportlib import demo
    from reportlib.params import REPORTS

    tables = {}
    for shape in demo.SHAPES:
        root = tmp_path / shape
        demo.generate(root / "sources", root / "params", date(2026, 11, 20), months=1,
                      scale=0.5, shape=shape)
        results = ingest.ingest(root / "sources", root / "wh.duckdb", root / "params")
        # Each shape's two malformed notification rows, and nothing else, are rejected.
        assert sum(r.rows_rejected for r in results) == 2  # in the retailer's first month
        assert not [r for r in results if r.failed]
        for tenant in params_mod.list_tenants(root / "params"):
            out = root / f"{tenant}.duckdb"
            bundle.build(root / "wh.duckdb", params_mod.load_tenant(root / "params", tenant),
                         calendar.parse_period("2026-11"), date(2026, 11, 20), out,
                         tuple(REPORTS))
            con = duckdb.connect(str(out), read_only=True)
            for (name,) in con.execute("SELECT table_name FROM information_schema.tables"
                                       ).fetchall():
                tables[shape, tenant, name] = con.execute(f'SELECT * FROM "{name}"').df()
            con.close()
    wide = {k[1:]: v for k, v in tables.items() if k[0] == "wide"}
    platform = {k[1:]: v for k, v in tables.items() if k[0] == "platform"}
    assert wide.keys() == platform.keys() and len(wide) > 60
    for key, frame in wide.items():
        pd.testing.assert_frame_equal(frame, platform[key], check_dtype=False, obj=str(key))
    # The platform shape was really read as such: its notifications are events.
    con = duckdb.connect(str(tmp_path / "platform" / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM notifications").fetchone()[0] == 0
    assert con.execute("SELECT count(DISTINCT event) FROM notification_events").fetchone()[0] == 5
    assert con.execute("SELECT count(*) FROM message_templates").fetchone()[0] > 1000


def test_the_examples_in_docs_sources_ingest_without_a_rejected_row(tmp_path, utc_params):
    """The event-log and message-export examples of docs/sources.md, as printed there."""
    import re

    from tests.conftest import REPO

    text = (REPO / "docs" / "sources.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\n(Id,OwnerIdentity,[^`]*)```", text)
    assert len(blocks) == 2
    log, messages = blocks
    write(tmp_path / "sources/acme/notifications/log.csv", log)
    write(tmp_path / "sources/acme/bot_messages/messages.csv", messages)
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    assert [(r.rows_loaded, r.rows_rejected) for r in results] == [(2, 0), (3, 0)]
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT message_id, template_name, final_status, category, "
                       "strftime(read_at AT TIME ZONE 'UTC', '%H:%M:%S') FROM message_timeline"
                       ).fetchall() == [("wamid.M1", "promo_out", "read", "marketing",
                                         "12:10:00")]


def test_ticket_events_read_either_spelling_of_the_close_date(tmp_path, utc_params):
    write(tmp_path / "sources/acme/tickets/t.csv",
          "TicketId,OwnerIdentity,CustomerIdentity,StorageDate,CloseDate\n"
          "t1,acme-bot,5511999990001@wa.gw.msging.net,2026-10-05T10:00:00Z,"
          "2026-10-05T11:00:00Z\n")
    [result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    assert (result.rows_loaded, result.rows_rejected) == (1, 0)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT status, close_date IS NOT NULL FROM tickets").fetchall() == [
        ("ClosedAttendant", True)]


def test_a_column_map_renames_an_event_log_column(tmp_path):
    """docs/sources.md's own example of a column map: `{notifications: {columns: {MessageId:
    Id}}}` lets an export that calls the event log's Id `MessageId` in."""
    from dataclasses import replace

    folder = tmp_path / "params"
    params_mod.dump_tenant(folder, replace(ACME, timezone="UTC",
                                           column_maps={"notifications": {"messageid": "Id"}}))
    header = LOG_HEADER.replace("Id,", "MessageId,", 1)
    write(tmp_path / "sources/acme/notifications/log.csv",
          "\n".join([header, *LOG_ROWS[:5]]) + "\n")
    [result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", folder)
    assert (result.rows_loaded, result.rows_rejected) == (5, 0), result.line()
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT message_id, final_status FROM message_timeline").fetchall() == [
        ("wamid.M1", "read")]


def test_category_falls_back_to_the_tenants_template_list_then_unknown(tmp_path):
    from dataclasses import replace

    from reportlib.errors import ReportError

    folder = tmp_path / "params"
    params_mod.dump_tenant(folder, replace(ACME, timezone="UTC",
                                           templates={"aviso_boleto": "utility"}))
    assert params_mod.load_tenant(folder, "acme").templates == {"aviso_boleto": "utility"}
    bot, user = "acme-bot@msging.net", "5511999990001@wa.gw.msging.net"
    write(tmp_path / "sources/acme/notifications/log.csv",
          "Id,OwnerIdentity,FromIdentity,ToIdentity,Event,StorageDate,TemplateName\n"
          f"p1,{bot},{bot},{user},accepted,2026-10-05T12:00:00Z,aviso_boleto\n"
          f"p2,{bot},{bot},{user},accepted,2026-10-05T12:00:00Z,outro\n")
    ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", folder)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    # No webhooks, no origin in Metadata, no campaigns file: the template list, else unknown.
    assert con.execute("SELECT message_id, category, final_status FROM message_timeline "
                       "ORDER BY 1").fetchall() == [("p1", "utility", "pending"),
                                                     ("p2", "unknown", "pending")]
    con.close()
    (folder / "tenants" / "acme.yaml").write_text(
        "display_name: Acme\ntemplates: {aviso_boleto: urgent}\n", encoding="utf-8")
    with pytest.raises(ReportError, match="templates.aviso_boleto: 'urgent' is not a category"):
        params_mod.load_tenant(folder, "acme")


def test_plain_chatbot_traffic_and_odd_content_load(tmp_path, utc_params):
    """Content that is no template's JSON (plain text without Type, JSON not base64-encoded, a
    template over 10,000 characters) never makes the file unreadable."""
    bot, user = "acme-bot@msging.net", "5511999990001@wa.gw.msging.net"
    long_template = content({"type": "template", "template": {
        "name": "promo_out", "language": {"code": "pt_BR"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "x" * 6000}]}]}})
    assert len(long_template) > 10_000
    write(tmp_path / "sources/acme/bot_messages/notype.csv",
          "Id,OwnerIdentity,FromIdentity,ToIdentity,StorageDate,Content\n"
          f"c1,{bot},{user},{bot},2026-10-05T12:11:00Z,{content('oi tudo bem')}\n")
    write(tmp_path / "sources/acme/bot_messages/typed.csv",
          "Id,OwnerIdentity,FromIdentity,ToIdentity,StorageDate,Type,Content\n"
          f'c2,{bot},{user},{bot},2026-10-05T12:12:00Z,application/json,"{{""a"":1}}"\n'
          f"c3,{bot},{bot},{user},2026-10-05T12:13:00Z,application/json,{long_template}\n")
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    # notype.csv: c1 loaded; typed.csv: c2 (chatbot traffic) and c3 (a template) loaded.
    assert [(r.file.split("/")[-1], r.rows_loaded, r.rows_rejected, r.failed)
            for r in results] == [("notype.csv", 1, 0, False), ("typed.csv", 2, 0, False)]
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT message_id, direction, user_identity FROM bot_messages "
                       "ORDER BY 1").fetchall() == [("c1", "received", "+5511999990001"),
                                                    ("c2", "received", "+5511999990001")]
    assert con.execute("SELECT message_id, template_name FROM message_templates"
                       ).fetchall() == [("c3", "promo_out")]


def test_a_long_metadata_is_checked_whole_against_its_maximum(tmp_path, utc_params):
    """Metadata may hold 20,000 characters: a 12 KB object loads, a 25 KB one is rejected as
    too long (not as "not a JSON object", which a cut at 10,000 characters gave)."""
    bot, user = "acme-bot@msging.net", "5511999990001@wa.gw.msging.net"

    def meta(size: int) -> str:
        text = json.dumps({"#message.uniqueId": "wamid.M1", "pad": "x" * size})
        return '"' + text.replace('"', '""') + '"'

    write(tmp_path / "sources/acme/notifications/log.csv",
          "Id,OwnerIdentity,FromIdentity,ToIdentity,Event,StorageDate,Metadata\n"
          f"p1,{bot},{bot},{user},accepted,2026-10-05T12:00:00Z,{meta(12_000)}\n"
          f"p2,{bot},{bot},{user},accepted,2026-10-05T12:00:00Z,{meta(25_000)}\n")
    [result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT platform_id, wamid FROM notification_events").fetchall() == [
        ("p1", "wamid.M1")]
    assert con.execute("SELECT line, field, reason FROM rejected_rows").fetchall() == [
        (3, "Metadata", "longer than 20000 characters")]


TICKET_HEADER = ("TicketId,OwnerIdentity,CustomerIdentity,StorageDate,OpenDate,FirstResponseDate,"
                 "ClosedDate,AgentIdentity\n")


def ticket_row(at: str, *, answered: str = "", closed: str = "", agent: str = "") -> str:
    return (f"t1,acme-bot@msging.net,5511999990001@wa.gw.msging.net,2026-10-05T{at}:00Z,"
            f"2026-10-05T12:00:00Z,{answered},{closed},{agent}\n")


def test_ticket_events_latest_row_wins_across_files_and_runs(tmp_path, utc_params):
    """The latest StorageDate wins whichever file holds it and whenever it is loaded; on a tie,
    the file whose path sorts last (the later line within a file). `event_date` is the
    winning row's StorageDate."""
    base = tmp_path / "sources/acme/tickets"
    write(base / "a_close.csv", TICKET_HEADER + ticket_row(
        "15:00", answered="2026-10-05T12:30:00Z", closed="2026-10-05T15:00:00Z", agent="ana"))
    # Loaded after a_close.csv, but older: it must not reopen the ticket.
    write(base / "b_open.csv", TICKET_HEADER + ticket_row("12:20"))
    ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    query = ("SELECT status, agent_identity, strftime(close_date AT TIME ZONE 'UTC', '%H:%M'), "
             "strftime(event_date AT TIME ZONE 'UTC', '%H:%M'), "
             "regexp_extract(source_file, '[^/]+$') FROM tickets")

    def stored() -> list:
        con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()

    assert stored() == [("ClosedAttendant", "ana", "15:00", "15:00", "a_close.csv")]
    # A later run with an older row (it must not win) and a row of the same instant in a file
    # that sorts after a_close.csv (it wins the tie: agent bia).
    write(base / "c_older.csv", TICKET_HEADER + ticket_row("14:00", agent="caio"))
    write(base / "d_tie.csv", TICKET_HEADER + ticket_row(
        "15:00", answered="2026-10-05T12:30:00Z", closed="2026-10-05T15:00:00Z", agent="bia"))
    ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    assert stored() == [("ClosedAttendant", "bia", "15:00", "15:00", "d_tie.csv")]
    # A newer row in a new file wins: reopened by an agent at 16:00.
    write(base / "e_newer.csv", TICKET_HEADER + ticket_row("16:00", agent="caio"))
    ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    assert stored() == [("Open", "caio", None, "16:00", "e_newer.csv")]
    # Whichever row won, the ticket was created at its first event (b_open.csv's).
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT strftime(storage_date AT TIME ZONE 'UTC', '%H:%M') "
                       "FROM tickets").fetchall() == [("12:20",)]


@pytest.fixture
def two_tenants(tmp_path):
    """Acme (acme-bot) and Beta (beta-bot), both in UTC."""
    from dataclasses import replace

    from tests.conftest import BETA

    folder = tmp_path / "params"
    params_mod.dump_tenant(folder, replace(ACME, timezone="UTC"))
    params_mod.dump_tenant(folder, BETA)
    return folder


def test_a_row_naming_another_tenants_bot_in_from_or_to_is_rejected(tmp_path, two_tenants):
    bot, user, other = ("acme-bot@msging.net", "5511999990001@wa.gw.msging.net",
                        "Beta-Bot@MSGING.NET")
    write(tmp_path / "sources/acme/notifications/log.csv",
          "Id,OwnerIdentity,FromIdentity,ToIdentity,Event,StorageDate\n"
          f"p1,{bot},{bot},{user},accepted,2026-10-05T12:00:00Z\n"
          f"p2,{bot},{other},{user},accepted,2026-10-05T12:00:00Z\n")
    write(tmp_path / "sources/acme/bot_messages/m.csv",
          "Id,OwnerIdentity,FromIdentity,ToIdentity,StorageDate,Type,Content\n"
          f"b1,{bot},{user},{bot},2026-10-05T12:11:00Z,text/plain,{content('oi')}\n"
          f"b2,{bot},{other},{bot},2026-10-05T12:12:00Z,text/plain,{content('oi')}\n"
          f"b3,{bot},{bot},{other},2026-10-05T12:13:00Z,text/plain,{content('oi')}\n")
    # The wide file's UserIdentity too (a user's number, or another tenant's bot).
    write(tmp_path / "sources/acme/bot_messages/wide.csv",
          "MessageId,BotId,UserIdentity,Direction,StorageDate\n"
          "w1,acme-bot,+5511999990002,received,2026-10-05T12:14:00Z\n"
          "w2,acme-bot,beta-bot@msging.net,received,2026-10-05T12:15:00Z\n")
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", two_tenants)
    assert sorted((r.file.split("/")[-1], r.rows_loaded, r.rows_rejected) for r in results) == [
        ("log.csv", 1, 1), ("m.csv", 1, 2), ("wide.csv", 1, 1)]
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT regexp_extract(file, '[^/]+$'), line, field, value, reason "
                       "FROM rejected_rows ORDER BY 1, 2").fetchall() == [
        ("log.csv", 3, "FromIdentity", other, "bot belongs to another tenant"),
        ("m.csv", 3, "FromIdentity", other, "bot belongs to another tenant"),
        ("m.csv", 4, "ToIdentity", other, "bot belongs to another tenant"),
        ("wide.csv", 3, "UserIdentity", "beta-bot@msging.net", "bot belongs to another tenant")]
    assert con.execute("SELECT message_id, user_identity FROM bot_messages ORDER BY 1"
                       ).fetchall() == [("b1", "+5511999990001"), ("w1", "+5511999990002")]


def test_a_tenants_own_bots_are_never_chatbot_users(tmp_path):
    """Without RouterId, the router owns the rows and a sub-bot sends: the sub-bot's identity
    (name@msging.net) is the bot's side, not a user. A message between two of the tenant's bots
    is no user's message: read, not stored as chatbot traffic."""
    from dataclasses import replace

    folder = tmp_path / "params"
    params_mod.dump_tenant(folder, replace(ACME, timezone="UTC",
                                           bots=("acme-bot", "acme-router")))
    router, bot, user = ("acme-router@msging.net", "acme-bot@msging.net",
                         "5521900000301@wa.gw.msging.net")
    write(tmp_path / "sources/acme/bot_messages/m.csv",
          "Id,OwnerIdentity,FromIdentity,ToIdentity,StorageDate,Type,Content\n"
          f"m1,{router},{bot},{user},2026-10-05T12:00:00Z,text/plain,{content('Olá')}\n"
          f"m2,{router},{user},{bot},2026-10-05T12:01:00Z,text/plain,{content('Oi')}\n"
          f"m3,{router},{router},{bot},2026-10-05T12:02:00Z,text/plain,{content('x')}\n"
          f"m4,{router},{bot.upper()},{user},2026-10-05T12:03:00Z,text/plain,{content('y')}\n")
    [result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", folder)
    assert (result.rows_loaded, result.rows_rejected) == (4, 0)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT message_id, bot_id, direction, user_identity FROM bot_messages "
                       "ORDER BY 1").fetchall() == [
        ("m1", "acme-router", "sent", "+5521900000301"),
        ("m2", "acme-router", "received", "+5521900000301"),
        ("m4", "acme-router", "sent", "+5521900000301")]


def test_an_origin_type_that_is_no_category_falls_through_and_is_reported(tmp_path):
    """`#wa.conversation.origin.type` is read like the Category column: normalised, and used
    only when it is a category; otherwise the campaigns file, the template list, `unknown`."""
    from dataclasses import replace

    folder = tmp_path / "params"
    params_mod.dump_tenant(folder, replace(ACME, timezone="UTC",
                                           templates={"aviso_boleto": "utility"}))
    bot, user = "acme-bot@msging.net", "5511999990001@wa.gw.msging.net"

    def row(pid: str, template: str, origin: str) -> str:
        meta = json.dumps({"#wa.conversation.origin.type": origin}).replace('"', '""')
        return f'{pid},{bot},{bot},{user},accepted,2026-10-05T12:00:00Z,"{meta}",{template}\n'

    write(tmp_path / "sources/acme/campaigns/c.csv", CAMPAIGNS)
    write(tmp_path / "sources/acme/notifications/log.csv",
          "Id,OwnerIdentity,FromIdentity,ToIdentity,Event,StorageDate,Metadata,TemplateName\n"
          + row("p1", "aviso_boleto", "business_initiated")  # → the template list: utility
          + row("p2", "outro", "<b>x</b>")  # → nothing else: unknown
          + row("p3", "promo_out", "user_initiated")  # → campaign c1: marketing
          + row("p4", "outro", " Authentication-International ")  # valid, normalised
          + row("p5", "aviso_boleto", "MARKETING"))  # valid: wins over the template list
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", folder)
    log = [r for r in results if r.file.endswith("log.csv")][0]
    assert (log.rows_loaded, log.rows_rejected) == (5, 0)
    assert ("Metadata #wa.conversation.origin.type is not a category, not used: 3 rows "
            "(first: business_initiated)") in log.message
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    # p3: promo_out by acme-bot, accepted 10-05 12:00, c1 started 10-05 12:00: marketing.
    assert con.execute("SELECT message_id, category FROM message_timeline ORDER BY 1"
                       ).fetchall() == [("p1", "utility"), ("p2", "unknown"),
                                        ("p3", "marketing"),
                                        ("p4", "authentication_international"),
                                        ("p5", "marketing")]


def test_a_referral_conversion_origin_is_a_free_entry_point_not_a_category(tmp_path):
    """Meta's status webhook reference lists `referral_conversion` among the values of
    `conversation.origin.type`: a free entry point conversation (a click-to-WhatsApp ad). In
    the event log's Metadata it was "not a category, not used", so a message without webhooks
    was billed. Now it is read: the message's category still falls through to its template's
    (utility), and its billing says free_entry_point; the same message's sibling without
    that origin is billed (no free reason)."""
    from dataclasses import replace

    from reportlib import marts

    folder = tmp_path / "params"
    tenant = replace(ACME, timezone="UTC", templates={"aviso_boleto": "utility"})
    params_mod.dump_tenant(folder, tenant)
    bot, user = "acme-bot@msging.net", "5511999990001@wa.gw.msging.net"

    def row(pid: str, origin: str, event: str = "received") -> str:
        meta = json.dumps({"#wa.conversation.origin.type": origin,
                           "#message.uniqueId": f"wamid.{pid}"}).replace('"', '""')
        return (f'{pid},{bot},{bot},{user},{event},2026-10-05T12:00:00Z,"{meta}",'
                "aviso_boleto\n")

    write(tmp_path / "sources/acme/notifications/log.csv",
          "Id,OwnerIdentity,FromIdentity,ToIdentity,Event,StorageDate,Metadata,TemplateName\n"
          + row("p1", "referral_conversion") + row("p2", "utility"))
    [log] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", folder)
    assert (log.rows_loaded, log.rows_rejected) == (2, 0)
    assert "not a category" not in log.message
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT message_id, category FROM message_timeline ORDER BY 1"
                       ).fetchall() == [("wamid.p1", "utility"), ("wamid.p2", "utility")]
    con.close()
    con = scope_connection(tmp_path / "wh.duckdb", tenant)
    got = con.execute(f"SELECT message_id, free_reason FROM ({marts.sql('message_billing')}) "
                      "ORDER BY 1").fetchall()
    assert got == [("wamid.p1", "free_entry_point")]  # p2: no pricing, no window: no row


def test_ticket_identities_compare_as_numbers_and_domains_in_any_case(tmp_path, utc_params):
    """ClosedBy as +E.164 is the customer of a `digits@wa.gw.msging.net` identity; the gateway's
    domain is read in any case; a header with both ClosedDate and CloseDate reads ClosedDate,
    else CloseDate."""
    write(tmp_path / "sources/acme/tickets/t.csv",
          "TicketId,OwnerIdentity,CustomerIdentity,StorageDate,ClosedDate,CloseDate,ClosedBy\n"
          "t1,acme-bot@msging.net,5521900000002@wa.gw.msging.net,2026-10-05T10:00:00Z,"
          "2026-10-05T11:00:00Z,,+5521900000002\n"
          "t2,acme-bot@msging.net,5521900000004@WA.GW.MSGING.NET,2026-10-05T10:00:00Z,"
          ",2026-10-05T11:30:00Z,ana@acme.com\n"
          "t3,acme-bot@msging.net,5521900000005@wa.gw.msging.net,2026-10-05T10:00:00Z,"
          "2026-10-05T11:45:00Z,2026-10-05T09:00:00Z,\n")
    [result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    assert (result.rows_loaded, result.rows_rejected) == (3, 0), result.line()
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT ticket_id, customer_identity, status, "
                       "strftime(close_date AT TIME ZONE 'UTC', '%H:%M') FROM tickets ORDER BY 1"
                       ).fetchall() == [
        ("t1", "+5521900000002", "ClosedClient", "11:00"),
        ("t2", "+5521900000004", "ClosedAttendant", "11:30"),
        ("t3", "+5521900000005", "ClosedAttendant", "11:45")]


def test_a_whatsapp_identity_in_capitals_is_a_user(tmp_path, utc_params):
    bot, user = "acme-bot@msging.net", "5511999990001@WA.GW.MSGING.NET"
    write(tmp_path / "sources/acme/notifications/log.csv",
          "Id,OwnerIdentity,FromIdentity,ToIdentity,Event,StorageDate\n"
          f"p1,{bot},{bot},{user},accepted,2026-10-05T12:00:00Z\n")
    write(tmp_path / "sources/acme/bot_messages/m.csv",
          "Id,OwnerIdentity,FromIdentity,ToIdentity,StorageDate,Type,Content\n"
          f"b1,{bot},{user},{bot},2026-10-05T12:11:00Z,text/plain,{content('oi')}\n")
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    assert [(r.rows_loaded, r.rows_rejected) for r in results] == [(1, 0), (1, 0)]
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT recipient FROM notification_events").fetchall() == [
        ("+5511999990001",)]
    assert con.execute("SELECT user_identity, channel FROM bot_messages").fetchall() == [
        ("+5511999990001", "whatsapp")]


def test_a_ticket_is_created_at_its_first_event_whichever_row_wins(tmp_path, utc_params):
    """The ticket export holds a row per event of a ticket: the latest row gives its state, but
    the ticket was created when its first event was stored. Keeping the closing row's
    StorageDate made the queue time (OpenDate − StorageDate) negative and counted the ticket
    as opened on the day it closed."""
    header = ("TicketId,OwnerIdentity,CustomerIdentity,StorageDate,OpenDate,FirstResponseDate,"
              "ClosedDate,AgentIdentity\n")
    user = "5511999990001@wa.gw.msging.net"
    # t1: created Oct 31 23:50, assigned 23:55, answered 23:57, closed Nov 1 00:40; the
    # closing row comes first in the file.
    write(tmp_path / "sources/acme/tickets/a.csv", header
          + f"t1,acme-bot@msging.net,{user},2026-11-01T00:40:00Z,2026-10-31T23:55:00Z,"
            "2026-10-31T23:57:00Z,2026-11-01T00:40:00Z,ana\n"
          + f"t1,acme-bot@msging.net,{user},2026-10-31T23:50:00Z,,,,\n")
    # t2: its closing row in one run, its opening row in a later run (an older row: it does
    # not reopen the ticket, but it tells when the ticket was created).
    write(tmp_path / "sources/acme/tickets/b.csv", header
          + f"t2,acme-bot@msging.net,{user},2026-10-05T15:00:00Z,2026-10-05T12:30:00Z,"
            "2026-10-05T12:31:00Z,2026-10-05T15:00:00Z,bia\n")
    ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    write(tmp_path / "sources/acme/tickets/c.csv", header
          + f"t2,acme-bot@msging.net,{user},2026-10-05T12:20:00Z,,,,\n")
    [*_, result] = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", utc_params)
    assert (result.rows_loaded, result.rows_rejected) == (1, 0)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT ticket_id, status, agent_identity, "
        "strftime(storage_date AT TIME ZONE 'UTC', '%m-%d %H:%M'), "
        "epoch(open_date - storage_date) / 60 FROM tickets ORDER BY 1").fetchall()
    # Created at the first event; the queue time is OpenDate − creation: 5 and 10 minutes.
    assert rows == [("t1", "ClosedAttendant", "ana", "10-31 23:50", 5.0),
                    ("t2", "ClosedAttendant", "bia", "10-05 12:20", 10.0)]


def test_an_agents_message_to_a_nine_digit_number_opens_the_ticket_of_its_whatsapp_id(
        tmp_path):
    """A Brazilian mobile on WhatsApp since before the ninth digit keeps the old number as its
    WhatsApp id (help.zoho.com/portal/en/kb/marketing-automation-2-0/faqs/marketing-campaigns/
    whatsapp/articles/what-is-the-reason-for-inconsistencies-in-mobile-numbers-and-their-
    whatsapp-ids-in-brazil-and-mexico), so the platform's identity of the customer is
    553187654321@wa.gw.msging.net while the agent's active message dialled +55 31 98765-4321.
    The ticket the customer's answer opened 10 minutes later was not counted as the
    message's (digits compared as they were); a landline's (8 digits after the area code,
    starting 3) is still another customer's."""
    from dataclasses import replace

    from reportlib import marts, warehouse

    folder = tmp_path / "params"
    tenant = replace(ACME, timezone="UTC")
    params_mod.dump_tenant(folder, tenant)
    write(tmp_path / "sources/acme/notifications/n.csv",
          "MessageId,Sender,AgentIdentity,BotId,PhoneNumberId,Recipient,TemplateName,Category,"
          "AcceptedAt\n"
          "wamid.A1,agent,ana@acme.com,acme-bot,1001,+5531987654321,retorno,utility,"
          "2026-10-05T12:00:00Z\n"
          "wamid.A2,agent,ana@acme.com,acme-bot,1001,+553133334444,retorno,utility,"
          "2026-10-05T12:00:00Z\n")
    write(tmp_path / "sources/acme/tickets/t.csv",
          "TicketId,OwnerIdentity,CustomerIdentity,StorageDate\n"
          "t1,acme-bot@msging.net,553187654321@wa.gw.msging.net,2026-10-05T12:10:00Z\n"
          "t2,acme-bot@msging.net,5531933334444@wa.gw.msging.net,2026-10-05T12:10:00Z\n")
    results = ingest.ingest(tmp_path / "sources", tmp_path / "wh.duckdb", folder)
    assert [(r.rows_loaded, r.rows_rejected) for r in results] == [(2, 0), (2, 0)]
    con = scope_connection(tmp_path / "wh.duckdb", tenant)
    assert con.execute(
        f"SELECT message_id, ticket_id, opened_ticket "
        f"FROM ({marts.sql('attendance_agent_tickets')}) ORDER BY 1").fetchall() == [
        ("wamid.A1", "t1", True), ("wamid.A2", None, False)]
    # The mart keys a number as the warehouse's views do: one pattern, written twice.
    assert warehouse.PERSON_NUMBER in marts.sql("attendance_agent_tickets")
