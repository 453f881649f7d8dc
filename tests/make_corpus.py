"""The generated part of the hostile ingest corpus (tests/ingest/test_corpus.py).

Two sorts of files come from here:
- small files whose bytes matter (CRLF, BOM, UTF-16, Latin-1, gzip, binary) and the Meta JSON
  files, committed under tests/corpus/ and rewritten by running this module:
  `python tests/make_corpus.py` (a test checks the committed bytes still match);
- large files (a 3 MB cell, a line of 1.5 million cells, a 5 MB JSON line, JSON nested 100,000
  deep, a 50,000-row gzip), generated at test time by the functions below so the repository stays
  small.

Tenants are conftest's: acme (phone number id 1001, display +55 11 4000-0001, bot acme-bot) and
beta (2001, +55 21 3000-0002, beta-bot).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"

T0 = 1790856000  # 2026-10-01T12:00:00Z
DAY = 86400
ACME_PHONE_ID, BETA_PHONE_ID = "1001", "2001"
ACME_DISPLAY, BETA_DISPLAY = "551140000001", "552130000002"

CAMPAIGNS_HEADER = ("CampaignId,CampaignName,BotId,TemplateName,TemplateLanguage,Category,Status,"
                    "ScheduledAt,SentAt,CreatedBy,InvalidContacts")
NOTIFICATIONS_HEADER = ("MessageId,CampaignId,Sender,AgentIdentity,BotId,PhoneNumberId,Recipient,"
                        "TemplateName,Category,AcceptedAt,SentAt,DeliveredAt,ReadAt,FailedAt,"
                        "ErrorCode,RepliedAt")
BOT_MESSAGES_HEADER = "MessageId,BotId,RouterId,UserIdentity,Direction,Channel,StorageDate"
EVENT_TRACKS_HEADER = "BotId,ContactIdentity,Category,Action,Label,Value,Extras,StorageDate"
TICKET_MESSAGES_HEADER = "TicketId,MessageId,Direction,SentAt"


def campaign_row(campaign_id: str, name: str = "Promo", status: str = "Sent") -> str:
    return (f"{campaign_id},{name},acme-bot,promo_out,pt_BR,MARKETING,{status},"
            "2026-10-01 09:00:00,,,")


def gz(data: bytes) -> bytes:
    """Gzip with a fixed timestamp, so the committed bytes are reproducible."""
    return gzip.compress(data, mtime=0)


# ---------------------------------------------------------------------------------------------
# Meta bodies


def webhook(phone_id: str = ACME_PHONE_ID, statuses=None, messages=None, *,
            field: str = "messages", value: dict | None = None, waba: str = "w-acme") -> dict:
    """One webhook body as Meta posts it."""
    if value is None:
        display = ACME_DISPLAY if phone_id == ACME_PHONE_ID else BETA_DISPLAY
        value = {"messaging_product": "whatsapp",
                 "metadata": {"display_phone_number": display, "phone_number_id": phone_id}}
        if statuses is not None:
            value["statuses"] = statuses
        if messages is not None:
            value["messages"] = messages
    return {"object": "whatsapp_business_account",
            "entry": [{"id": waba, "changes": [{"value": value, "field": field}]}]}


def status(message_id: str, name: str, ts, **extra) -> dict:
    body = {"id": message_id, "status": name, "timestamp": str(ts) if isinstance(ts, int) else ts,
            "recipient_id": "5511999990001"}
    body.update(extra)
    return body


def line(body) -> str:
    return json.dumps(body, ensure_ascii=False)


def raw(body, **numbers: str) -> str:
    """A JSON line with bare number tokens json.dumps cannot write (1e400, huge integers):
    string values "@name@" become the literal text given for `name`."""
    text = line(body)
    for name, literal in numbers.items():
        text = text.replace(f'"@{name}@"', literal)
    return text


PRICING = {"billable": True, "pricing_model": "PMP", "category": "marketing", "type": "regular"}
BUTTON_REPLY = {"from": "5511999990001", "id": "wamid.IN1", "timestamp": str(T0 + 400),
                "type": "button", "context": {"from": ACME_DISPLAY, "id": "wamid.A"},
                "button": {"text": "Quero", "payload": "YES"}}


def good_status_line(message_id: str, offset: int = 0) -> str:
    return line(webhook(statuses=[status(message_id, "sent", T0 + offset, pricing=PRICING)]))


def jsonl(*lines: str, end: str = "\n") -> bytes:
    return "".join(text + end for text in lines).encode()


def webhook_files() -> dict[str, bytes]:
    failed = {"errors": [{"code": "@code@", "title": "Message undeliverable"}]}
    return {
        # Statuses out of order (read, delivered, sent), then the user's button reply.
        "good.jsonl": jsonl(
            line(webhook(statuses=[status("wamid.A", "read", T0 + 300)])),
            line(webhook(statuses=[status("wamid.A", "delivered", T0 + 5, pricing=PRICING)])),
            line(webhook(statuses=[status("wamid.A", "sent", T0 + 1, pricing=PRICING)])),
            line(webhook(messages=[BUTTON_REPLY]))),
        "other_tenant_phone.jsonl": jsonl(
            good_status_line("wamid.B"),
            line(webhook(BETA_PHONE_ID, statuses=[status("wamid.X", "sent", T0)])),
            line(webhook(BETA_PHONE_ID, messages=[dict(BUTTON_REPLY, id="wamid.IN9")]))),
        "changes_string.jsonl": jsonl(
            good_status_line("wamid.C"),
            line({"object": "whatsapp_business_account",
                  "entry": [{"id": "w-acme", "changes": "messages"}]})),
        "metadata_list.jsonl": jsonl(
            good_status_line("wamid.M"),
            line(webhook(value={"messaging_product": "whatsapp", "metadata": [ACME_PHONE_ID],
                                "statuses": [status("wamid.M2", "sent", T0)]}))),
        "statuses_object.jsonl": jsonl(
            good_status_line("wamid.S"),
            line(webhook(value={"messaging_product": "whatsapp",
                                "metadata": {"display_phone_number": ACME_DISPLAY,
                                             "phone_number_id": ACME_PHONE_ID},
                                "statuses": status("wamid.S2", "sent", T0)}))),
        "wrong_types.jsonl": jsonl(
            good_status_line("wamid.W"),
            line({"object": "whatsapp_business_account",
                  "entry": {"id": "w-acme", "changes": []}}),
            line(webhook(value="statuses")),
            line(webhook(statuses=[status({"$ne": None}, "sent", T0)])),
            line(webhook(messages="wamid.IN2"))),
        "top_level_types.jsonl": jsonl(
            good_status_line("wamid.L"), "[]", '"whatsapp_business_account"', "42", "null",
            "{}"),
        "impossible_timestamps.jsonl": jsonl(
            good_status_line("wamid.T"),
            *(raw(webhook(statuses=[status(f"wamid.T{i}", "sent", "@ts@")]), ts=literal)
              for i, literal in enumerate(("NaN", "Infinity", "-Infinity", "1e400", "-1"),
                                          start=1))),
        "impossible_error_codes.jsonl": jsonl(
            line(webhook(statuses=[status("wamid.F", "failed", T0,
                                          errors=[{"code": 131026, "title": "Undeliverable"}])])),
            *(raw(webhook(statuses=[status(f"wamid.F{i}", "failed", T0, **failed)]),
                  code=literal)
              for i, literal in enumerate(
                  ("Infinity", "NaN", "1e400", "-131026", "100000000000000000000000000000"),
                  start=1))),
        # Valid bodies of other fields: counted per field, never rejected.
        "other_fields.jsonl": jsonl(
            good_status_line("wamid.O"),
            line(webhook(field="user_preferences", value={
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": ACME_DISPLAY,
                             "phone_number_id": ACME_PHONE_ID},
                "contacts": [{"wa_id": "5511999990001", "profile": {"name": "Ana"}}],
                "user_preferences": [{"wa_id": "5511999990001", "detail": "stop",
                                      "category": "marketing_messages", "value": "stop",
                                      "timestamp": T0 + 500}]})),
            line(webhook(field="account_update", value={
                "phone_number": ACME_DISPLAY, "event": "VOLUME_BASED_PRICING_TIER_UPDATE",
                "volume_tier_info": {"tier_update_time": T0, "pricing_category": "UTILITY",
                                     "tier": "25001:100000", "effective_month": "2026-10",
                                     "region": "Brazil"}})),
            line(webhook(field="message_template_status_update", value={
                "event": "APPROVED", "message_template_id": 123456,
                "message_template_name": "promo_out", "message_template_language": "pt_BR",
                "reason": "NONE"}))),
        "truncated.jsonl": (jsonl(good_status_line("wamid.U1"), good_status_line("wamid.U2", 1))
                            + good_status_line("wamid.U3", 2)[:57].encode()),
        "crlf_blank.jsonl": jsonl("", good_status_line("wamid.R1"), "   ", "",
                                  good_status_line("wamid.R2", 1), "", end="\r\n"),
        # One body, two changes: the tenant's phone number and another tenant's.
        "mixed_tenants.jsonl": jsonl(line({
            "object": "whatsapp_business_account",
            "entry": [{"id": "w-acme", "changes": [
                webhook(statuses=[status("wamid.Y1", "sent", T0)])["entry"][0]["changes"][0],
                webhook(BETA_PHONE_ID, statuses=[status("wamid.Y2", "sent", T0)])
                ["entry"][0]["changes"][0]]}]})),
        "utf16.jsonl": (good_status_line("wamid.V") + "\n").encode("utf-16"),
        "latin1.jsonl": (line(webhook(messages=[dict(BUTTON_REPLY, button={
            "text": "Não quero", "payload": "NO"})])) + "\n").encode("latin-1"),
        "good.jsonl.gz": gz(jsonl(good_status_line("wamid.G1"), good_status_line("wamid.G2", 1))),
        "UPPER.JSONL.GZ": gz(jsonl(good_status_line("wamid.G3"),
                                   good_status_line("wamid.G4", 1))),
        "gzipped_as_plain.jsonl": gz(jsonl(good_status_line("wamid.G5"))),
    }


def conversation_point(**changes) -> dict:
    point = {"start": T0 - 12 * 3600, "end": T0 + 12 * 3600, "phone_number": ACME_DISPLAY,
             "country": "BR", "conversation_type": "REGULAR",
             "conversation_direction": "BUSINESS_INITIATED", "conversation_category": "MARKETING",
             "conversation": 12, "cost": 0.75}
    point.update(changes)
    return {k: v for k, v in point.items() if v is not None}


def pricing_point(**changes) -> dict:
    point = {"start": T0 - 12 * 3600, "end": T0 + 12 * 3600, "phone_number": ACME_DISPLAY,
             "country": "BR", "pricing_type": "REGULAR", "pricing_category": "MARKETING",
             "volume": 5, "cost": 0.3125}
    point.update(changes)
    return point


def wrapped(field: str, *blocks: list) -> dict:
    return {field: {"data": [{"data_points": points} for points in blocks],
                    "paging": {"cursors": {"before": "MAZDZD", "after": "MjQZD"}}},
            "id": "w-acme"}


def bare(*blocks) -> dict:
    return {"data": [{"data_points": points} for points in blocks],
            "paging": {"cursors": {"before": "MAZDZD", "after": "MjQZD"}}}


def dumps(body, **numbers: str) -> bytes:
    return (raw(body, **numbers) + "\n").encode()


def conversation_files() -> dict[str, bytes]:
    c = "conversation_analytics"
    return {
        "good.json": dumps(wrapped(c, [conversation_point(),
                                       conversation_point(start=T0 + 12 * 3600,
                                                          end=T0 + 36 * 3600, conversation=3)])),
        "unknown_values.json": dumps(wrapped(c, [
            conversation_point(conversation_direction="UNKNOWN"),
            conversation_point(conversation_category="UNKNOWN", country="US")])),
        "absent_dimensions.json": dumps(wrapped(c, [
            conversation_point(phone_number=None, country=None, conversation_direction=None),
            conversation_point(start=T0 + 12 * 3600, end=T0 + 36 * 3600, phone_number=None,
                               country=None, conversation_direction=None)])),
        "impossible_counts.json": dumps(wrapped(c, [
            conversation_point(),
            *(conversation_point(conversation=f"@n{i}@", country=f"C{i}") for i in range(5))]),
            n0="NaN", n1="Infinity", n2="-1", n3="1e400", n4="100000000000000000000000000000"),
        "impossible_costs.json": dumps(wrapped(c, [
            conversation_point(),
            *(conversation_point(cost=f"@n{i}@", country=f"C{i}") for i in range(4))]),
            n0="NaN", n1="Infinity", n2="-0.5", n3="1e400"),
        "data_points_not_list.json": dumps({c: {"data": [
            {"data_points": [conversation_point()]},
            {"data_points": "oops"},
            {"data_points": conversation_point(country="AR")}]}, "id": "w-acme"}),
        "top_level_list.json": dumps([conversation_point()]),
        "latin1.json": (line(wrapped(c, [conversation_point(country="São Paulo")]))
                        .encode("latin-1")),
        "bom.json": b"\xef\xbb\xbf" + dumps(wrapped(c, [conversation_point(country="AR")])),
        "other_tenant_phone.json": dumps(wrapped(c, [
            conversation_point(), conversation_point(phone_number=BETA_DISPLAY)])),
    }


def pricing_files() -> dict[str, bytes]:
    return {
        "good.json": dumps(bare([pricing_point(),
                                 pricing_point(pricing_type="FREE_CUSTOMER_SERVICE",
                                               pricing_category="SERVICE", volume=300,
                                               cost=0)])),
        # tier is part of a pricing data point's identity: the first two are two rows.
        "categories_tier.json": dumps(bare([
            pricing_point(pricing_category="MARKETING_LITE", tier="0:25000"),
            pricing_point(pricing_category="MARKETING_LITE", tier="25001:100000"),
            pricing_point(pricing_category="AUTHENTICATION_INTERNATIONAL", tier="0:25000"),
            pricing_point(pricing_type="FREE_ENTRY_POINT", pricing_category="REFERRAL_CONVERSION",
                          cost=0)])),
        "impossible_numbers.json": dumps(bare([
            pricing_point(),
            *(pricing_point(volume=f"@v{i}@", country=f"V{i}") for i in range(4)),
            *(pricing_point(cost=f"@c{i}@", country=f"C{i}") for i in range(3))]),
            v0="NaN", v1="-3", v2="1e400", v3="100000000000000000000000000000",
            c0="Infinity", c1="-0.01", c2="NaN"),
        "not_json.json": b'{"data": [{"data_points": [{"start": 1790812800, "end": 17',
        "top_level_string.json": b'"pricing_analytics"\n',
        "concatenated.json": dumps(bare([pricing_point()])) + dumps(bare([pricing_point()])),
        "data_object.json": dumps({"data": {"data_points": [pricing_point()]}}),
        "good.json.gz": gz(dumps(wrapped("pricing_analytics", [pricing_point(country="MX")]))),
    }


# ---------------------------------------------------------------------------------------------
# Small CSV files whose bytes matter


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35"
       b"\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")
XLSX = (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00b\xee\x9dh^\x01\x00\x00\x90\x04\x00"
        b"\x00\x13\x00\x08\x02[Content_Types].xml \xa2\x04\x02(\xa0\x00\x02\x00\x00\x00\x00")


def csv_files() -> dict[str, bytes]:
    good = (CORPUS / "campaigns" / "good.csv").read_bytes()
    rows = [campaign_row("c1", "Promo outubro"), campaign_row("c2", "Promo", "Enviada"),
            campaign_row("c3", "Natal")]
    notifications = (NOTIFICATIONS_HEADER + "\n"
                     "wamid.Z1,,api,,acme-bot,1001,+5511999990001,otp,authentication,"
                     "2026-10-03 10:00:00,,,,,,\n"
                     "wamid.Z2,,api,,acme-bot,1001,+5511999990002,otp,authentication,"
                     "2026-10-03 10:00:01,,,,,,\n")
    return {
        "campaigns/crlf.csv": "\r\n".join([CAMPAIGNS_HEADER, *rows, ""]).encode(),
        "campaigns/cr_only.csv": "\r".join([CAMPAIGNS_HEADER, rows[0], rows[2], ""]).encode(),
        "campaigns/bom_semicolon.csv": b"\xef\xbb\xbf" + "\n".join([
            CAMPAIGNS_HEADER.replace(",", ";"),
            "c1;Promo outubro;acme-bot;promo_out;pt_BR;MARKETING;Sent;01/10/2026 09:00;;;",
            "c2;\"Promo; parte 2\";acme-bot;promo_out;pt_BR;marketing;sent;"
            "2026-10-01T09:00:00-03:00;;;1", ""]).encode(),
        "campaigns/utf16.csv": good.decode().encode("utf-16"),
        "campaigns/latin1.csv": good.decode().encode("latin-1"),
        "campaigns/binary.csv": PNG,
        "campaigns/good.csv.gz": gz(good.replace(b"c1,", b"c1z,")),
        "campaigns/cut.csv.gz": gz(good * 40)[:120],
        "campaigns/export.xlsx": XLSX,
        # Unknown columns whose names hold a newline and an ANSI escape: reported, never raw.
        "campaigns/header_controls.csv": (
            CAMPAIGNS_HEADER + ',"Evil\nColumn",X\x1b[31mRed\x1b[0m\n'
            + campaign_row("c1") + ",a,b\n" + campaign_row("c2") + ",c,d\n").encode(),
        "notifications/N.CSV.GZ": gz(notifications.encode()),
        # A careless spreadsheet export: BOM, semicolons, CRLF, header and values in odd case.
        "bot_messages/careless.csv": b"\xef\xbb\xbf" + "\r\n".join([
            BOT_MESSAGES_HEADER.upper().replace(",", ";"),
            "bc1;acme-bot;;5511999990001@wa.gw.msging.net;RECEIVED;WhatsApp;03/10/2026 10:00:00",
            "bc2;acme-bot;;5511999990001@wa.gw.msging.net;Sent;WhatsApp;03/10/2026 10:00:05",
            ""]).encode(),
        # ASCII control bytes: valid UTF-8, still a binary file.
        "ticket_messages/control_bytes.csv": bytes(range(0, 32)) * 16,
        "ticket_messages/utf16_no_bom.csv": (TICKET_MESSAGES_HEADER
                                             + "\nt1,tu1,agent,2026-10-03 10:00:00\n")
        .encode("utf-16-le"),
    }


def small_files() -> dict[str, bytes]:
    """Every committed generated file, by path relative to tests/corpus."""
    files = dict(csv_files())
    for folder, made in (("whatsapp_webhooks", webhook_files()),
                         ("conversation_analytics", conversation_files()),
                         ("pricing_analytics", pricing_files())):
        files.update({f"{folder}/{name}": data for name, data in made.items()})
    return files


# ---------------------------------------------------------------------------------------------
# Large files, generated at test time


def huge_cell_csv() -> bytes:
    """Campaigns: a good row, a row whose CampaignName is 3 MB, a good row (a line longer
    than DuckDB's default max_line_size, 2 MiB)."""
    return "\n".join([CAMPAIGNS_HEADER, campaign_row("h1"), campaign_row("h2", "x" * 3_000_000),
                      campaign_row("h3"), ""]).encode()


def huge_row_csv() -> bytes:
    """Event tracks: a good row, then one line of 1.5 million cells (about 3 MB)."""
    good = "acme-bot,5511999990001@wa.gw.msging.net,menu,click,Comprar,1,,2026-10-03 10:00:00"
    return "\n".join([EVENT_TRACKS_HEADER, good, ",".join(["x"] * 1_500_000), ""]).encode()


def lone_cr_csv(newline: str = "\n", compressed: bool = False) -> bytes:
    """Event tracks: a good row, a row with a carriage return inside an unquoted cell (DuckDB's
    strict reader gave up on the whole file at it), a good row."""
    good = "acme-bot,5511999990001@wa.gw.msging.net,menu,click,Comprar,1,,2026-10-03 10:00:0{}"
    body = newline.join([EVENT_TRACKS_HEADER, good.format(1),
                         "acme-bot,5511999990001@wa.gw.msging.net,menu,cl\rick,,1,,"
                         "2026-10-03 10:00:02", good.format(3), ""]).encode()
    return gzip.compress(body) if compressed else body


def big_gzip_csv(rows: int = 50_000) -> bytes:
    """Ticket messages: `rows` good rows, gzip-compressed."""
    body = "".join(f"t{i // 10},tm{i},{'customer' if i % 2 else 'agent'},"
                   f"2026-10-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:00\n"
                   for i in range(rows))
    return gzip.compress((TICKET_MESSAGES_HEADER + "\n" + body).encode(), compresslevel=1)


def deep_jsonl(depth: int = 100_000) -> bytes:
    """Webhooks: a good line, a line nested `depth` arrays deep, a good line."""
    deep = '{"object": "whatsapp_business_account", "entry": ' + "[" * depth + "]" * depth + "}"
    return jsonl(good_status_line("wamid.D1"), deep, good_status_line("wamid.D2", 1))


def huge_line_jsonl(size: int = 5_000_000) -> bytes:
    """Webhooks: a good body carrying a `size`-character field Meta never sends, then a good
    line. Unknown fields are ignored: both lines load."""
    body = webhook(statuses=[status("wamid.H1", "sent", T0, pricing=PRICING)])
    body["padding"] = "x" * size
    return jsonl(line(body), good_status_line("wamid.H2", 1))


def deep_json(depth: int = 100_000) -> bytes:
    """Analytics: a body nested `depth` arrays deep (also a wrong top-level type)."""
    return ("[" * depth + "]" * depth).encode()


def write_small(root: Path = CORPUS) -> list[Path]:
    written = []
    for relative, data in small_files().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_small():
        print(path.relative_to(CORPUS.parent.parent))
