"""Declared schemas of every source format (docs/sources.md): columns, types, required fields, keys.

A schema is data: ingest turns it into one validation query per file, so adding a column to a
format is one line here, not code in ingest.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

# \A…\Z, not ^…$: "$" also matches before a trailing newline, so "acme\n" would pass.
TENANT_ID = re.compile(r"\A[a-z0-9][a-z0-9_-]{0,62}\Z")
# Unicode's direction controls (embeddings, overrides, isolates): in user text they turn the
# rest of a line round ('abc\u202egpj.exe' reads 'abcexe.jpg'); no script needs them.
DIRECTION_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


# A phone number's digits (ITU-T E.164): a country code, which never starts with 0, then the
# national number, at most 15 digits in all (8 at least, here). A `+` before them is how the
# number is written, not part of it: Meta's webhooks name a user by the digits alone (`wa_id`,
# `recipient_id`, `from`), the platform's identities by the digits before the `@`
# (`5511987654321@wa.gw.msging.net`), and a spreadsheet drops the `+`.
E164 = r"[1-9][0-9]{7,14}"
# A number of the North American Numbering Plan (+1): 10 digits after the 1, its area code
# starting with 2 to 9. A Brazilian number written without its country code (`11987654321`,
# São Paulo's area code 11) reads as +1 and is none: it would have been priced as North
# America.
NANP = r"1[2-9][0-9]{9}"
# A WhatsApp user's identity on the platform: E.164 digits, then the WhatsApp gateway's domain
# (in any case: `(?i)`).
WHATSAPP_IDENTITY = rf"(?i)^\+?({E164})@wa\."


def person(identity: str) -> str:
    """SQL: a person's identity as one spelling, whichever file named them and however: a
    WhatsApp user (`5511987654321@wa.gw.msging.net`) and a phone number written with or
    without its `+` as +E.164 (`+5511987654321`, how Meta and the notifications name them);
    any other identity (another channel's, an e-mail) as it is. The same person in a wide file
    and in a platform export is one user, not two."""
    return (f"CASE WHEN regexp_full_match({identity}, '\\+?{E164}') "
            f"THEN '+' || ltrim({identity}, '+') "
            f"WHEN regexp_matches({identity}, '{WHATSAPP_IDENTITY}') "
            f"THEN '+' || regexp_extract({identity}, '{WHATSAPP_IDENTITY}', 1) "
            f"ELSE {identity} END")


@functools.cache
def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Field:
    """One source column. `kind` is text, timestamp, integer, number, enum, e164 (a phone
    number, kept as + and its digits), identity (text naming a person: a phone number, a
    channel identity, an e-mail; kept as written), person (an identity kept as `person` spells
    it: one spelling of one person), json (an object of strings), json_object (any object), bot
    (an id or a `name@msging.net` identity, kept as the id) or base64_utf16 (the platform's
    encoded message content, kept as is)."""

    name: str
    kind: str = "text"
    required: bool = False
    allowed: tuple[str, ...] = ()
    column: str = ""  # canonical column name; default: snake_case of `name`
    max_length: int = 500
    minimum: float | None = None  # smallest value a number can truly take (counts, ratings)
    aliases: tuple[str, ...] = ()  # other spellings of the column name in real exports

    @property
    def target(self) -> str:
        return self.column or _snake(self.name)


@dataclass(frozen=True)
class AlsoInto:
    """Rows of a shape that land in a second table: `columns` maps its columns to SQL over the
    checked columns; only rows where `when` holds."""

    table: str
    key: tuple[str, ...]
    columns: tuple[tuple[str, str], ...]
    when: str


@dataclass(frozen=True)
class CsvSource:
    """A platform CSV export: its folder name, fields, canonical table and natural key."""

    kind: str
    table: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]  # canonical column names (besides tenant_id)
    # (column, 'phone'|'bot'|'identity'): an identity column names a user or a bot.
    tenant_checks: tuple[tuple[str, str], ...] = field(default=())
    shape: str = "wide"  # the platform's own export tables are other shapes of a kind
    # (field name, bad-condition over the typed columns "_typed_<column>", reason): checks of
    # more than one field, run after the per-field ones.
    row_checks: tuple[tuple[str, str, str], ...] = ()
    # Columns stored besides the fields' own: (column, SQL over the checked columns).
    derived: tuple[tuple[str, str], ...] = ()
    # Which of a key's rows wins within a file (SQL ORDER BY, first wins); default: the last.
    latest: str = "_ord DESC"
    # A second table some rows also land in (the message export's templates).
    also: AlsoInto | None = None
    # Rows stored in `table` (SQL over the checked columns); default: every good row.
    keep: str = ""
    # When an incoming row `i` replaces the stored row `t` of its key (SQL over both, across
    # files and runs); default: always (the file loaded last wins).
    replaces: str = ""
    # (what, SQL over the checked columns): a value of a loaded row that is read but not used
    # (NULL when fine); the file's line counts them and shows the first.
    warnings: tuple[tuple[str, str], ...] = ()
    # Columns whose stored value is the earliest any row of the key gave, within a file and
    # across files and runs, whichever row wins (a ticket was created at its first event).
    earliest: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        """The canonical columns a loaded row stores, besides tenant and source: a field whose
        column starts with `_` is read and checked but only feeds derived columns."""
        derived = {name for name, _ in self.derived}
        return [f.target for f in self.fields
                if f.target not in derived and not f.target.startswith("_")] + \
            [name for name, _ in self.derived]

    def field_named(self, header: str) -> Field | None:
        name = header.strip().lower()
        for f in self.fields:
            if f.name.lower() == name or name in (a.lower() for a in f.aliases):
                return f
        return None


CATEGORY_VALUES = (
    "marketing", "utility", "authentication", "authentication_international",
    "marketing_lite", "service",
)

CAMPAIGNS = CsvSource(
    kind="campaigns",
    table="campaigns",
    fields=(
        Field("CampaignId", required=True),
        Field("CampaignName", required=True),
        Field("BotId", required=True),
        Field("TemplateName", required=True),
        Field("TemplateLanguage"),
        Field("Category", "category", required=True),
        Field("Status", "enum", required=True,
              allowed=("Scheduled", "Processing", "Sent", "Canceled", "Failed")),
        Field("ScheduledAt", "timestamp"),
        Field("SentAt", "timestamp"),
        Field("CreatedBy"),
        Field("InvalidContacts", "integer", minimum=0),
    ),
    key=("campaign_id",),
    tenant_checks=(("bot_id", "bot"),),
)

NOTIFICATIONS = CsvSource(
    kind="notifications",
    table="notifications",
    fields=(
        Field("MessageId", required=True),
        Field("CampaignId"),
        Field("Sender", "enum", required=True, allowed=("campaign", "agent", "api")),
        Field("AgentIdentity"),
        Field("BotId", required=True),
        Field("PhoneNumberId", required=True),
        Field("Recipient", "e164", required=True),
        Field("TemplateName", required=True),
        Field("Category", "category", required=True),
        Field("AcceptedAt", "timestamp", required=True),
        Field("SentAt", "timestamp"),
        Field("DeliveredAt", "timestamp"),
        Field("ReadAt", "timestamp"),
        Field("FailedAt", "timestamp"),
        Field("ErrorCode", "integer", minimum=0),
        Field("RepliedAt", "timestamp"),
    ),
    key=("message_id",),
    tenant_checks=(("phone_number_id", "phone"), ("bot_id", "bot")),
)

TICKET_STATUSES = ("Waiting", "Assigned", "Open", "ClosedAttendant", "ClosedClient",
                   "ClosedClientInactivity", "Transferred")

TICKETS = CsvSource(
    kind="tickets",
    table="tickets",
    fields=(
        Field("TicketId", required=True),
        Field("SequentialId", "integer"),
        Field("BotId", required=True),
        Field("Team"),
        Field("AgentIdentity"),
        Field("CustomerIdentity", "person", required=True),
        Field("Status", "enum", required=True, allowed=TICKET_STATUSES),
        Field("StorageDate", "timestamp", required=True),
        Field("OpenDate", "timestamp"),
        Field("FirstResponseDate", "timestamp"),
        Field("CloseDate", "timestamp"),
        Field("ClosedBy"),
        Field("Tags", max_length=2000),
        Field("Rating", "number", minimum=0),
        Field("CampaignId"),
        Field("ParentSequentialId", "integer"),
    ),
    key=("ticket_id",),
    tenant_checks=(("bot_id", "bot"), ("customer_identity", "identity")),
)

TICKET_MESSAGES = CsvSource(
    kind="ticket_messages",
    table="ticket_messages",
    fields=(
        Field("TicketId", required=True),
        Field("MessageId", required=True),
        Field("Direction", "enum", required=True, allowed=("customer", "agent")),
        Field("SentAt", "timestamp", required=True),
    ),
    key=("message_id",),
)

AGENT_STATUS = CsvSource(
    kind="agent_status",
    table="agent_status",
    fields=(
        Field("AgentIdentity", required=True),
        Field("Status", "enum", required=True,
              allowed=("Online", "Pause", "Invisible", "Offline")),
        Field("StartedAt", "timestamp", required=True),
        Field("EndedAt", "timestamp"),
        Field("PauseReason"),
    ),
    key=("agent_identity", "started_at"),
)

BOT_MESSAGES = CsvSource(
    kind="bot_messages",
    table="bot_messages",
    fields=(
        Field("MessageId", required=True),
        Field("BotId", required=True),
        Field("RouterId"),
        Field("UserIdentity", "person", required=True),
        Field("Direction", "enum", required=True, allowed=("sent", "received")),
        Field("Channel"),
        Field("StorageDate", "timestamp", required=True),
    ),
    key=("message_id",),
    tenant_checks=(("bot_id", "bot"), ("router_id", "bot"), ("user_identity", "identity")),
)

EVENT_TRACKS = CsvSource(
    kind="event_tracks",
    table="event_tracks",
    fields=(
        Field("BotId", required=True),
        Field("ContactIdentity", "person"),
        Field("Category", required=True),
        Field("Action", required=True),
        Field("Label"),
        Field("Value"),
        Field("Extras", "json", max_length=5000),
        Field("StorageDate", "timestamp", required=True),
        # The platform's export adds these: the message that raised the event, and how many
        # events one row stands for.
        Field("MessageId"),
        Field("Count", "integer", minimum=1, column="event_count"),
    ),
    # All columns are the natural key: an identical event re-loaded is the same event.
    key=("bot_id", "contact_identity", "category", "action", "label", "value", "extras",
         "storage_date", "message_id", "event_count"),
    tenant_checks=(("bot_id", "bot"), ("contact_identity", "identity")),
)

CSV_SOURCES: dict[str, CsvSource] = {s.kind: s for s in (
    CAMPAIGNS, NOTIFICATIONS, TICKETS, TICKET_MESSAGES, AGENT_STATUS, BOT_MESSAGES,
    EVENT_TRACKS)}


def csv_shapes(kind: str) -> tuple[CsvSource, ...]:
    """Every shape a kind's file may have, the wide one first: a file is read as the first
    whose required columns its header has (the platform's own tables: `platform_shapes`)."""
    from reportlib.sources.platform_shapes import PLATFORM_SHAPES

    return (CSV_SOURCES[kind], *(s for s in PLATFORM_SHAPES if s.kind == kind))
JSON_SOURCES = ("whatsapp_webhooks", "conversation_analytics", "pricing_analytics")
# Formats docs/sources.md names whose ingest arrives with their reports: reported, not read yet.
PLANNED_SOURCES: tuple[str, ...] = ()
KNOWN_SOURCES = tuple(CSV_SOURCES) + JSON_SOURCES + PLANNED_SOURCES

WEBHOOK_STATUSES = {
    "sent": "sent", "delivered": "delivered", "read": "read", "failed": "failed",
    "played": "read", "accepted": "sent", "dispatched": "sent", "received": "delivered",
    "consumed": "read",
    # Never a final status: a message the user deleted, or a warning about an item in it.
    "deleted": "deleted", "warning": "warning",
}
CONVERSATION_TYPES = ("REGULAR", "FREE_TIER", "FREE_ENTRY_POINT")
CONVERSATION_DIRECTIONS = ("BUSINESS_INITIATED", "USER_INITIATED")
PRICING_TYPES = ("REGULAR", "FREE_CUSTOMER_SERVICE", "FREE_ENTRY_POINT")
