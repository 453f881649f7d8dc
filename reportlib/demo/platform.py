"""The demo's files in the platform's own export shapes (`reportlib demo --shape platform`).

The same simulated rows as the wide files, written as the platform exports them
(docs/sources.md, "The platform's own export tables"): notifications as an event log (one row
per status event, Meta's ids and instants in `Metadata`) plus each message's template in the
message export (base64 of UTF-16LE JSON); bot messages in the message export; tickets as
opening and closing rows; event tracks with `MessageId` and `Count`. Ingested, they give the
same reports as the wide files.

Each event-log row also carries `CampaignId`, `AgentIdentity` and `PhoneNumberId`, columns some
accounts' exports have: without them the campaign would be told from the template and time,
and an agent's send could not be told from an API send.
"""

from __future__ import annotations

import base64
import json

import numpy as np

from reportlib.demo.files import Table
from reportlib.demo.profiles import ERROR_TITLES

BOT_DOMAIN = "msging.net"
# Platform event of each wide timestamp column, and whether the user's side raised it (the
# platform then records From and To swapped).
EVENTS = (("AcceptedAt", "accepted", False), ("SentAt", "dispatched", False),
          ("DeliveredAt", "received", True), ("ReadAt", "consumed", True),
          ("FailedAt", "failed", False))
TEXT_CONTENT = {"sent": "Olá! Como posso ajudar?", "received": "Quero falar sobre meu pedido"}


def _objects(values) -> np.ndarray:
    return np.array(values, dtype=object)


def user_identity(identity: str) -> str:
    """A person as the platform names them: a WhatsApp number on the WhatsApp gateway, an
    Instagram id (`ig:…`) on the Instagram one."""
    if identity.startswith("+"):
        return f"{identity[1:]}@wa.gw.{BOT_DOMAIN}"
    if identity.startswith("ig:"):
        return f"{identity[3:]}@instagram.gw.{BOT_DOMAIN}"
    return identity


def content(text: str) -> str:
    """The message export's Content: base64 of the UTF-16LE text."""
    return base64.b64encode(text.encode("utf-16-le")).decode("ascii")


def _quoted_json(value: dict) -> str:
    """A JSON object as one CSV field (quoted, inner quotes doubled)."""
    return '"' + json.dumps(value, separators=(",", ":")).replace('"', '""') + '"'


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def platform_id(wamid: str) -> str:
    return "pm-" + wamid[-20:]


def notification_tables(table: Table) -> list[Table]:
    """The wide notifications of a batch as the event log and the message export's template
    messages."""
    c = table.columns
    ids = list(c["MessageId"])
    if not ids:
        return []
    bots = _objects([f"{b}@{BOT_DOMAIN}" for b in c["BotId"]])
    users = _objects([user_identity(r) for r in c["Recipient"]])
    pids = _objects([platform_id(m) for m in ids])
    parts: dict[str, list] = {k: [] for k in (
        "Id", "OwnerIdentity", "FromIdentity", "ToIdentity", "Event", "StorageDate",
        "Metadata", "ReasonCode", "ReasonDescription", "CampaignId", "AgentIdentity",
        "PhoneNumberId")}
    codes = np.asarray(c["ErrorCode"], dtype=object)
    for column, name, from_user in EVENTS:
        at = np.asarray(c[column], dtype=np.float64)
        rows = np.flatnonzero(~np.isnan(at))
        seconds = np.floor(at[rows]).astype(np.int64).tolist()
        categories = np.asarray(c["Category"], dtype=object)[rows].tolist()
        # Meta's id arrives with `dispatched`: the platform's accepted event does not have it.
        metadata = [_quoted_json({"#wa.timestamp": str(s), "#wa.conversation.origin.type": k}
                                 | ({} if name == "accepted" else
                                    {"#message.uniqueId": ids[i]}))
                    for i, s, k in zip(rows.tolist(), seconds, categories, strict=True)]
        parts["Id"].append(pids[rows])
        parts["OwnerIdentity"].append(bots[rows])
        parts["FromIdentity"].append((users if from_user else bots)[rows])
        parts["ToIdentity"].append((bots if from_user else users)[rows])
        parts["Event"].append(np.full(len(rows), name, dtype=object))
        parts["StorageDate"].append(at[rows])
        parts["Metadata"].append(_objects(metadata))
        failed = name == "failed"
        parts["ReasonCode"].append(codes[rows] if failed else np.full(len(rows), "", object))
        parts["ReasonDescription"].append(_objects(
            [_quoted(ERROR_TITLES.get(int(code), "Error")) if failed and code else ""
             for code in codes[rows].tolist()]))
        for key in ("CampaignId", "AgentIdentity", "PhoneNumberId"):
            parts[key].append(np.asarray(c[key], dtype=object)[rows])
    events = Table("notifications", "StorageDate",
                   {k: np.concatenate(v) if k != "StorageDate" else
                    np.concatenate(v).astype(np.float64) for k, v in parts.items()})
    templates = _objects([content(json.dumps({"type": "template", "template": {
        "name": name, "language": {"code": "pt_BR", "policy": "deterministic"}}},
        separators=(",", ":"))) for name in c["TemplateName"]])
    messages = Table("bot_messages", "StorageDate", {
        "Id": pids, "OwnerIdentity": bots, "FromIdentity": bots, "ToIdentity": users,
        "ToDomain": _objects([u.split("@", 1)[1] for u in users]),
        "StorageDate": np.asarray(c["AcceptedAt"], dtype=np.float64),
        "Type": np.full(len(ids), "application/json", dtype=object), "Content": templates,
        "RouterId": np.full(len(ids), "", dtype=object)})
    return [events, messages]


def bot_message_table(table: Table) -> Table:
    """Wide bot messages as the message export (text messages both ways)."""
    c = table.columns
    n = len(table)
    bots = _objects([f"{b}@{BOT_DOMAIN}" for b in c["BotId"]])
    users = _objects([user_identity(u) for u in c["UserIdentity"]])
    sent = np.asarray(c["Direction"], dtype=object) == "sent"
    texts = {k: content(v) for k, v in TEXT_CONTENT.items()}
    return Table("bot_messages", "StorageDate", {
        "Id": c["MessageId"], "OwnerIdentity": bots,
        "FromIdentity": np.where(sent, bots, users), "ToIdentity": np.where(sent, users, bots),
        "ToDomain": np.where(sent, _objects([u.split("@", 1)[-1] for u in users]), BOT_DOMAIN),
        "StorageDate": c["StorageDate"],
        "Type": np.full(n, "text/plain", dtype=object),
        "Content": np.where(sent, texts["sent"], texts["received"]).astype(object),
        "RouterId": c["RouterId"]})


def ticket_table(table: Table) -> Table:
    """Wide tickets as the platform's ticket rows: an opening row for every ticket that has
    moved on since, then its latest row (which wins)."""
    c = {k: np.asarray(v, dtype=np.float64 if isinstance(v, np.ndarray)
                       and v.dtype == np.float64 else object) for k, v in table.columns.items()}
    n = len(table)
    moved = ~np.isnan(c["OpenDate"]) | ~np.isnan(c["CloseDate"])
    empty, nan = np.full(n, "", dtype=object), np.full(n, np.nan)
    full = {
        "TicketId": c["TicketId"], "SequentialId": c["SequentialId"],
        "OwnerIdentity": _objects([f"{b}@{BOT_DOMAIN}" for b in c["BotId"]]),
        "CustomerIdentity": _objects([user_identity(u) for u in c["CustomerIdentity"]]),
        "StorageDate": c["StorageDate"], "OpenDate": c["OpenDate"],
        "FirstResponseDate": c["FirstResponseDate"], "ClosedDate": c["CloseDate"],
        "Team": c["Team"], "AgentIdentity": c["AgentIdentity"], "Status": c["Status"],
        "ClosedBy": c["ClosedBy"], "Tags": c["Tags"], "Rating": c["Rating"],
        "CampaignId": c["CampaignId"], "ParentSequentialId": c["ParentSequentialId"]}
    opening = {k: v.copy() for k, v in full.items()}
    for key in ("OpenDate", "FirstResponseDate", "ClosedDate"):
        opening[key] = nan
    for key in ("AgentIdentity", "Status", "ClosedBy", "Rating"):
        opening[key] = empty
    return Table("tickets", "StorageDate", {
        k: np.concatenate([opening[k][moved], full[k]]) for k in full})


def event_track_table(table: Table) -> Table:
    """Wide event tracks with the export's `MessageId` and `Count` (one event a row)."""
    n = len(table)
    return Table("event_tracks", "StorageDate", {
        **table.columns, "MessageId": np.full(n, "", dtype=object),
        "Count": np.full(n, "1", dtype=object)})


def platform_tables(table: Table) -> list[Table]:
    """A wide table of the demo as the platform's export of the same rows."""
    if table.kind == "notifications":
        return notification_tables(table)
    if table.kind == "bot_messages":
        return [bot_message_table(table)]
    if table.kind == "tickets":
        return [ticket_table(table)]
    if table.kind == "event_tracks":
        return [event_track_table(table)]
    return [table]


def broken_event_rows(bot: str, recipient: str, accepted: str) -> tuple[list[str], list[list]]:
    """(header, rows): the two malformed rows of the wide demo as event-log rows (a recipient
    that is no WhatsApp number, an impossible date), rejected at ingest with their reasons."""
    header = ["Id", "OwnerIdentity", "FromIdentity", "ToIdentity", "Event", "StorageDate",
              "Metadata", "ReasonCode", "ReasonDescription", "CampaignId", "AgentIdentity",
              "PhoneNumberId"]
    owner = f"{bot}@{BOT_DOMAIN}"
    rows = [["pm-BROKEN1", owner, owner, "11-NOT-A-PHONE", "accepted", accepted,
             "", "", "", "", "", ""],
            ["pm-BROKEN2", owner, owner, user_identity(recipient), "accepted",
             "31/02/2026 25:61:00", "", "", "", "", "", ""]]
    return header, rows
