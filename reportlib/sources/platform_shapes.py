"""The platform's own export tables (docs/sources.md): other shapes of the same kinds.

Each is a `CsvSource` of its own columns whose rows land in the same canonical tables as the
wide files (or, for the notification event log, in `notification_events`, which the message
timeline rolls up per message). Identities look like `5511987654321@wa.gw.msging.net` (a
WhatsApp user) or `name@msging.net` (a bot).
"""

from __future__ import annotations

from reportlib.sources import (
    CATEGORY_VALUES,
    TICKET_STATUSES,
    WHATSAPP_IDENTITY,
    AlsoInto,
    CsvSource,
    Field,
    person,
)


def _whatsapp_side(a: str, b: str) -> str:
    """SQL: the first of two identity columns that is a WhatsApp user's."""
    return (f"CASE WHEN regexp_matches({a}, '{WHATSAPP_IDENTITY}') THEN {a} "
            f"WHEN regexp_matches({b}, '{WHATSAPP_IDENTITY}') THEN {b} END")




def _closer(identity: str) -> str:
    """SQL: an identity comparable with another: a WhatsApp identity or a phone number
    (`+5521…`, `5521…`) as +E.164 (`person`), anything else lower-case."""
    return f"lower({person(identity)})"


def _metadata(key: str) -> str:
    return f"""json_extract_string("_metadata", '$."{key}"')"""


# `#wa.timestamp` is epoch seconds (milliseconds accepted too); missing or out of range: the
# row's StorageDate.
_WA_NUMBER = f"TRY_CAST({_metadata('#wa.timestamp')} AS DOUBLE)"
_WA_SECONDS = f"CASE WHEN {_WA_NUMBER} > 1e11 THEN {_WA_NUMBER} / 1000 ELSE {_WA_NUMBER} END"
_EVENT_TS = (f"CASE WHEN {_WA_SECONDS} BETWEEN 1420070400 AND 4102444800 "
             f"THEN to_timestamp({_WA_SECONDS}) ELSE \"storage_date\" END")

# `#wa.conversation.origin.type`, read like the Category column: normalised, and a category only
# when it is one (Meta's older `business_initiated`, or anything else, is reported and not used,
# so the category falls through to the campaign, then the template list). `referral_conversion`
# is kept too: no category of the template sent, but a free entry point conversation (a
# click-to-WhatsApp ad), which is what the message's billing reads of it (message_billing.sql).
_ORIGIN = f"normalize_category({_metadata('#wa.conversation.origin.type')})"
_ORIGINS = "(" + ", ".join(f"'{c}'" for c in (*CATEGORY_VALUES, "referral_conversion")) + ")"
_ORIGIN_CATEGORY = f"CASE WHEN {_ORIGIN} IN {_ORIGINS} THEN {_ORIGIN} END"
_BAD_ORIGIN = (f"CASE WHEN {_ORIGIN} NOT IN {_ORIGINS} "
               f"THEN {_metadata('#wa.conversation.origin.type')} END")

# The events of a message's notifications that give its statuses (docs/sources.md, "Event log").
STATUS_EVENTS = ("accepted", "dispatched", "received", "consumed", "failed")
# The platform's protocol (LIME) has two more, which its servers raise between `accepted` and
# `dispatched`: the message's format was `validated`, its dispatch `authorized` (the protocol's
# libraries list them: Lime.Protocol's Event in C#, NotificationEvent in lime-js and
# lime-python). They say nothing of WhatsApp's answer: read and counted in the file's line,
# never stored, so no status or time of a message comes from them.
INTERMEDIATE_EVENTS = ("validated", "authorized")
_INTERMEDIATE = "(" + ", ".join(f"'{e}'" for e in INTERMEDIATE_EVENTS) + ")"

NOTIFICATION_EVENTS = CsvSource(
    kind="notifications",
    table="notification_events",
    shape="event log",
    fields=(
        Field("Id", required=True, column="platform_id"),
        Field("OwnerIdentity", "bot", required=True, column="bot_id"),
        Field("FromIdentity", "identity"),
        Field("ToIdentity", "identity", required=True),
        Field("Event", "enum", required=True,
              allowed=(STATUS_EVENTS[0], *INTERMEDIATE_EVENTS, *STATUS_EVENTS[1:])),
        Field("StorageDate", "timestamp", required=True),
        Field("Metadata", "json_object", max_length=20_000, column="_metadata"),
        Field("ReasonCode", "integer", minimum=0),
        Field("ReasonDescription", max_length=2000),
        # Columns of the wide file an export may add; read when present.
        Field("CampaignId"),
        Field("Sender", "enum", allowed=("campaign", "agent", "api")),
        Field("AgentIdentity"),
        Field("PhoneNumberId"),
        Field("TemplateName"),
        Field("Category", "category"),
    ),
    key=("platform_id", "event", "ts"),
    tenant_checks=(("bot_id", "bot"), ("phone_number_id", "phone"),
                   ("from_identity", "identity"), ("to_identity", "identity")),
    # The recipient of every event that is stored (an intermediate one names none that is read).
    row_checks=(("ToIdentity",
                 _whatsapp_side('"_typed_to_identity"', '"_typed_from_identity"') + " IS NULL"
                 f' AND "_typed_event" NOT IN {_INTERMEDIATE}',
                 "neither FromIdentity nor ToIdentity is a WhatsApp user "
                 "(digits@wa.gw.msging.net)"),),
    keep=f'"event" NOT IN {_INTERMEDIATE}',
    derived=(
        ("recipient", "'+' || regexp_extract("
         + _whatsapp_side('"to_identity"', '"from_identity"') + f", '{WHATSAPP_IDENTITY}', 1)"),
        ("ts", _EVENT_TS),
        ("wamid", _metadata("#message.uniqueId")),
        ("conversation_id", _metadata("#wa.conversation.id")),
        ("origin_category", _ORIGIN_CATEGORY),
    ),
    warnings=(("Metadata #wa.conversation.origin.type is not a category, not used",
               _BAD_ORIGIN),
              ("events validated or authorized (the platform's steps before dispatch, no "
               "status), read and not stored",
               f'CASE WHEN "event" IN {_INTERMEDIATE} THEN "event" END')),
)


def _is_bot(identity: str) -> str:
    """SQL: the identity is a bot's: `name@msging.net` (any of the tenant's bots, a router's
    sub-bot too: another tenant's are rejected before), or the row's owner or router."""
    name = f"lower(split_part({identity}, '@', 1))"
    return (f"""(split_part(split_part(lower({identity}), '@', 2), '/', 1) = 'msging.net' """
            f"""OR {name} = lower("bot_id") OR {name} = lower(coalesce("router_id", '')))""")


_FROM_BOT = _is_bot('"_from"')
_USER = f"""CASE WHEN {_FROM_BOT} THEN "_to" ELSE "_from" END"""
# A message between two bots (a router and its sub-bot) is no user's: not chatbot traffic.
_BETWEEN_BOTS = f"""({_FROM_BOT} AND {_is_bot('"_to"')})"""

# Template messages (the notifications) are not chatbot traffic: they give notifications their
# template instead. `_template` is the decoded content when it is JSON (ingest adds it).
MESSAGE_TEMPLATES = AlsoInto(
    table="message_templates",
    key=("message_id",),
    columns=(("message_id", '"message_id"'),
             ("template_name", """json_extract_string("_template", '$.template.name')"""),
             ("template_language", """COALESCE(
                 json_extract_string("_template", '$.template.language.code'),
                 CASE WHEN json_type("_template", '$.template.language') = 'VARCHAR'
                      THEN json_extract_string("_template", '$.template.language') END)"""),
             ("storage_date", '"storage_date"')),
    when="""json_extract_string("_template", '$.template.name') IS NOT NULL""",
)

MESSAGES = CsvSource(
    kind="bot_messages",
    table="bot_messages",
    shape="messages",
    fields=(
        Field("Id", required=True, column="message_id"),
        Field("OwnerIdentity", "bot", required=True, column="bot_id"),
        Field("FromIdentity", "identity", required=True, column="_from"),
        Field("ToIdentity", "identity", required=True, column="_to"),
        Field("ToDomain", column="_to_domain"),
        Field("StorageDate", "timestamp", required=True),
        Field("Type", column="_type"),
        Field("Content", "base64_utf16", max_length=200_000, column="_content"),
        Field("Metadata", "json_object", max_length=20_000, column="_metadata"),
        Field("RouterId"),
        Field("Channel", column="_channel"),
    ),
    key=("message_id",),
    tenant_checks=(("bot_id", "bot"), ("router_id", "bot"), ("_from", "identity"),
                   ("_to", "identity")),
    also=MESSAGE_TEMPLATES,
    keep=f"NOT ({MESSAGE_TEMPLATES.when}) AND NOT {_BETWEEN_BOTS}",
    derived=(
        ("direction", f"CASE WHEN {_FROM_BOT} THEN 'sent' ELSE 'received' END"),
        ("user_identity", person(_USER)),
        # The user's channel from their identity's domain (wa.gw.msging.net: whatsapp).
        ("channel", f"""COALESCE("_channel", CASE
            WHEN lower(split_part({_USER}, '@', 2)) LIKE 'wa.%' THEN 'whatsapp'
            ELSE NULLIF(lower(split_part(split_part({_USER}, '@', 2), '.', 1)), '') END)"""),
    ),
)

TICKET_EVENTS = CsvSource(
    kind="tickets",
    table="tickets",
    shape="ticket events",
    fields=(
        Field("TicketId", required=True),
        Field("SequentialId", "integer"),
        Field("OwnerIdentity", "bot", required=True, column="bot_id"),
        Field("CustomerIdentity", "identity", required=True,
              column="_customer_identity"),
        Field("ContactIdentity", "identity", column="_contact_identity"),
        Field("StorageDate", "timestamp", required=True),
        Field("OpenDate", "timestamp"),
        Field("ClosedDate", "timestamp", column="close_date", aliases=("CloseDate",)),
        Field("FirstResponseDate", "timestamp"),
        Field("Team"),
        Field("AgentIdentity"),
        Field("Status", "enum", allowed=TICKET_STATUSES, column="_status"),
        Field("ClosedBy"),
        Field("Tags", max_length=2000),
        Field("Rating", "number", minimum=0),
        Field("CampaignId"),
        Field("ParentSequentialId", "integer"),
    ),
    key=("ticket_id",),
    tenant_checks=(("bot_id", "bot"), ("_customer_identity", "identity"),
                   ("_contact_identity", "identity")),
    derived=(
        ("customer_identity", person('"_customer_identity"')),
        # Without a Status column: closed once it has a close date (by the customer when they
        # closed it), open once an agent answered or holds it, else waiting.
        ("status", f"""COALESCE("_status", CASE
            WHEN "close_date" IS NOT NULL
                 AND {_closer('"closed_by"')} = {_closer('"_customer_identity"')}
                THEN 'ClosedClient'
            WHEN "close_date" IS NOT NULL THEN 'ClosedAttendant'
            WHEN "first_response_date" IS NOT NULL OR "agent_identity" IS NOT NULL THEN 'Open'
            ELSE 'Waiting' END)"""),
        # The StorageDate of the row that won: when the ticket's latest event was stored.
        ("event_date", '"storage_date"'),
    ),
    # Opening and closing events of one ticket: the latest row wins, within a file (the later
    # line on a tie) and across files and runs (the file whose path sorts last on a tie, so
    # that the order files are loaded in does not matter; a file re-loaded replaces its own).
    # A stored row without an event date (a wide file's, or one stored before event dates were
    # kept) is compared by its StorageDate.
    latest='"event_date" DESC NULLS LAST, _ord DESC',
    replaces="coalesce(t.event_date, t.storage_date) IS NULL "
             "OR i.event_date > coalesce(t.event_date, t.storage_date) "
             "OR (i.event_date = coalesce(t.event_date, t.storage_date) "
             "AND i.source_file >= t.source_file)",
    # The ticket was created when its first event was stored (`storage_date` is the ticket's
    # creation in every report: opened in the period, queue time), whichever row wins.
    earliest=("storage_date",),
)

PLATFORM_SHAPES = (NOTIFICATION_EVENTS, MESSAGES, TICKET_EVENTS)
