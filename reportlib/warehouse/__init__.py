"""The DuckDB warehouse: opening it, and the canonical DDL (docs/sources.md names the tables)."""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb

from reportlib import sources
from reportlib.domain import pricing
from reportlib.errors import WarehouseBusy

# The arguments of the `regexp_replace` that makes a number the key of its person (below the
# DDL); also `reportlib/marts/sql/attendance_agent_tickets.sql`.
PERSON_NUMBER = r"'^(55[1-9][0-9])9([6-9][0-9]{7})$|^(52)1([0-9]{10})$', '\1\2\3\4'"

DDL = """
-- The canonical tables of source rows carry no primary key: ingest upserts on their natural
-- key (docs/sources.md) by delete + insert, and DuckDB would hold such an index whole in memory.
CREATE TABLE IF NOT EXISTS tenants (
    tenant_id VARCHAR PRIMARY KEY, display_name VARCHAR, timezone VARCHAR, locale VARCHAR,
    currency VARCHAR);
CREATE TABLE IF NOT EXISTS phone_numbers (
    tenant_id VARCHAR, phone_number_id VARCHAR, display_phone_number VARCHAR, waba_id VARCHAR,
    label VARCHAR, PRIMARY KEY (tenant_id, phone_number_id));
CREATE TABLE IF NOT EXISTS campaigns (
    tenant_id VARCHAR, campaign_id VARCHAR, campaign_name VARCHAR, bot_id VARCHAR,
    template_name VARCHAR, template_language VARCHAR, category VARCHAR, status VARCHAR,
    scheduled_at TIMESTAMPTZ, sent_at TIMESTAMPTZ, created_by VARCHAR, invalid_contacts BIGINT,
    source_file VARCHAR, source_line BIGINT);
CREATE TABLE IF NOT EXISTS notifications (
    tenant_id VARCHAR, message_id VARCHAR, campaign_id VARCHAR, sender VARCHAR,
    agent_identity VARCHAR, bot_id VARCHAR, phone_number_id VARCHAR, recipient VARCHAR,
    template_name VARCHAR, category VARCHAR, accepted_at TIMESTAMPTZ, sent_at TIMESTAMPTZ,
    delivered_at TIMESTAMPTZ, read_at TIMESTAMPTZ, failed_at TIMESTAMPTZ, error_code BIGINT,
    replied_at TIMESTAMPTZ, source_file VARCHAR, source_line BIGINT);
CREATE TABLE IF NOT EXISTS tickets (
    tenant_id VARCHAR, ticket_id VARCHAR, sequential_id BIGINT, bot_id VARCHAR, team VARCHAR,
    agent_identity VARCHAR, customer_identity VARCHAR, status VARCHAR,
    storage_date TIMESTAMPTZ, open_date TIMESTAMPTZ, first_response_date TIMESTAMPTZ,
    close_date TIMESTAMPTZ, closed_by VARCHAR, tags VARCHAR, rating DOUBLE, campaign_id VARCHAR,
    parent_sequential_id BIGINT, source_file VARCHAR, source_line BIGINT,
    -- ticket events export: when the row that won (the ticket's latest event) was stored
    event_date TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS ticket_messages (
    tenant_id VARCHAR, ticket_id VARCHAR, message_id VARCHAR, direction VARCHAR,
    sent_at TIMESTAMPTZ, source_file VARCHAR, source_line BIGINT);
CREATE TABLE IF NOT EXISTS agent_status (
    tenant_id VARCHAR, agent_identity VARCHAR, status VARCHAR, started_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ, pause_reason VARCHAR, source_file VARCHAR, source_line BIGINT);
CREATE TABLE IF NOT EXISTS bot_messages (
    tenant_id VARCHAR, message_id VARCHAR, bot_id VARCHAR, router_id VARCHAR,
    user_identity VARCHAR, direction VARCHAR, channel VARCHAR, storage_date TIMESTAMPTZ,
    source_file VARCHAR, source_line BIGINT);
CREATE TABLE IF NOT EXISTS event_tracks (
    tenant_id VARCHAR, bot_id VARCHAR, contact_identity VARCHAR, category VARCHAR,
    action VARCHAR, label VARCHAR, value VARCHAR, extras VARCHAR, storage_date TIMESTAMPTZ,
    source_file VARCHAR, source_line BIGINT, message_id VARCHAR, event_count BIGINT);
-- The platform's notification export as an event log: one row per status event of a message
-- (`platform_id`); `notification_log` rolls them up per message.
CREATE TABLE IF NOT EXISTS notification_events (
    tenant_id VARCHAR, platform_id VARCHAR, bot_id VARCHAR, from_identity VARCHAR,
    to_identity VARCHAR, event VARCHAR, storage_date TIMESTAMPTZ, reason_code BIGINT,
    reason_description VARCHAR, campaign_id VARCHAR, sender VARCHAR, agent_identity VARCHAR,
    phone_number_id VARCHAR, template_name VARCHAR, category VARCHAR, recipient VARCHAR,
    ts TIMESTAMPTZ, wamid VARCHAR, conversation_id VARCHAR, origin_category VARCHAR,
    source_file VARCHAR, source_line BIGINT);
-- Templates of the platform's message export (the content of a template message), by the
-- platform's message id: they give event-log notifications their template.
CREATE TABLE IF NOT EXISTS message_templates (
    tenant_id VARCHAR, message_id VARCHAR, template_name VARCHAR, template_language VARCHAR,
    storage_date TIMESTAMPTZ, source_file VARCHAR, source_line BIGINT);
-- Template categories declared in a tenant's params (`templates`), the last resort for a
-- notification's category.
CREATE TABLE IF NOT EXISTS template_categories (
    tenant_id VARCHAR, template_name VARCHAR, category VARCHAR,
    PRIMARY KEY (tenant_id, template_name));
CREATE TABLE IF NOT EXISTS message_status_events (
    tenant_id VARCHAR, message_id VARCHAR, status VARCHAR, ts TIMESTAMPTZ,
    recipient_id VARCHAR, phone_number_id VARCHAR, waba_id VARCHAR, error_code BIGINT,
    error_title VARCHAR, pricing_billable BOOLEAN, pricing_model VARCHAR, pricing_type VARCHAR,
    pricing_category VARCHAR, conversation_id VARCHAR, conversation_origin VARCHAR,
    source_file VARCHAR, source_line BIGINT, recipient_type VARCHAR, recipient_user_id VARCHAR,
    error_details VARCHAR);
-- Marketing opt-outs and opt-ins of WhatsApp users (webhook field `user_preferences`).
CREATE TABLE IF NOT EXISTS user_preferences (
    tenant_id VARCHAR, wa_id VARCHAR, user_id VARCHAR, category VARCHAR, value VARCHAR,
    detail VARCHAR, ts TIMESTAMPTZ, phone_number_id VARCHAR, source_file VARCHAR,
    source_line BIGINT);
-- Phone numbers and business-scoped user ids that a webhook's `contacts[]` gives together
-- (`wa_id`, `user_id`): one of the sources of `user_id_pairs`.
CREATE TABLE IF NOT EXISTS contact_user_ids (
    tenant_id VARCHAR, wa_id VARCHAR, user_id VARCHAR, ts TIMESTAMPTZ, phone_number_id VARCHAR,
    source_file VARCHAR, source_line BIGINT);
-- Volume-based pricing tiers the business reached (webhook field `account_update`, event
-- `VOLUME_BASED_PRICING_TIER_UPDATE`): one row per effective month, Meta's region, category and
-- tier (`lower:upper` messages delivered in the month), with the time the tier was reached.
CREATE TABLE IF NOT EXISTS volume_tier_updates (
    tenant_id VARCHAR, effective_month DATE, region VARCHAR, category VARCHAR, tier VARCHAR,
    ts TIMESTAMPTZ, waba_id VARCHAR, source_file VARCHAR, source_line BIGINT);
CREATE TABLE IF NOT EXISTS inbound_messages (
    tenant_id VARCHAR, message_id VARCHAR, from_id VARCHAR, ts TIMESTAMPTZ, type VARCHAR,
    context_id VARCHAR, button_text VARCHAR, button_payload VARCHAR, phone_number_id VARCHAR,
    source_file VARCHAR, source_line BIGINT, from_user_id VARCHAR, referral_source_type VARCHAR,
    referral_source_id VARCHAR, group_id VARCHAR);
-- Meta's analytics: one row per data point. A dimension the response did not carry is NULL
-- (all values together); `dimensions` names those it carried and `granularity` is HALF_HOUR,
-- DAILY or MONTHLY, so that views of the same days are told apart (never added together).
CREATE TABLE IF NOT EXISTS conversations (
    tenant_id VARCHAR, waba_id VARCHAR, start_ts TIMESTAMPTZ, end_ts TIMESTAMPTZ,
    phone_number VARCHAR, country VARCHAR, conversation_type VARCHAR,
    conversation_direction VARCHAR, category VARCHAR, conversations BIGINT,
    cost_usd DECIMAL(18,6), source_file VARCHAR, granularity VARCHAR, dimensions VARCHAR);
CREATE TABLE IF NOT EXISTS pricing_daily (
    tenant_id VARCHAR, waba_id VARCHAR, start_ts TIMESTAMPTZ, end_ts TIMESTAMPTZ,
    phone_number VARCHAR, country VARCHAR, pricing_type VARCHAR, category VARCHAR,
    tier VARCHAR, volume BIGINT, cost_usd DECIMAL(18,6), source_file VARCHAR,
    granularity VARCHAR, dimensions VARCHAR);
CREATE TABLE IF NOT EXISTS ingest_log (
    tenant_id VARCHAR, source_kind VARCHAR, file VARCHAR, sha256 VARCHAR, status VARCHAR,
    rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT, message VARCHAR,
    loaded_at TIMESTAMPTZ, rules VARCHAR);
CREATE TABLE IF NOT EXISTS deliveries (
    tenant_id VARCHAR, period VARCHAR, report VARCHAR, output_hash VARCHAR,
    list_name VARCHAR, recipients VARCHAR, message_id VARCHAR, status VARCHAR,
    error VARCHAR, attempt INTEGER, attempted_at TIMESTAMPTZ, next_attempt_at TIMESTAMPTZ,
    sent_by VARCHAR, figures_sha256 VARCHAR);
CREATE TABLE IF NOT EXISTS schedule_runs (
    job VARCHAR, tenant_id VARCHAR, slot TIMESTAMPTZ, period VARCHAR, status VARCHAR,
    detail VARCHAR, finished_at TIMESTAMPTZ, PRIMARY KEY (job, tenant_id, slot));
-- One operator notice per failed schedule slot (reportlib.deliver.schedule), never one per retry.
CREATE TABLE IF NOT EXISTS schedule_notices (
    job VARCHAR, tenant_id VARCHAR, slot TIMESTAMPTZ, recipients VARCHAR, message_id VARCHAR,
    sent_at TIMESTAMPTZ, PRIMARY KEY (job, tenant_id, slot));
-- Every report rendered (`reportlib history`): outcome, times, the figures' fingerprint, who.
CREATE TABLE IF NOT EXISTS run_history (
    tenant_id VARCHAR, period VARCHAR, report VARCHAR, status VARCHAR, started_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ, bundle_hash VARCHAR, figures_sha256 VARCHAR, error VARCHAR,
    run_by VARCHAR, command VARCHAR, recorded_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS rejected_rows (
    tenant_id VARCHAR, source_kind VARCHAR, file VARCHAR, line BIGINT, field VARCHAR,
    value VARCHAR, reason VARCHAR, sha256 VARCHAR);

-- Event-log notifications, one row per message in the wide file's columns. The message id is
-- Meta's wamid where any event carries it (webhooks join on it). Template: the column, else the
-- message export. Campaign: the column, else the campaign of the same template and bot that
-- started last before the message, within two days. Category before webhooks (the timeline
-- puts their pricing category first): the column, the conversation origin, the campaign, the
-- tenant's template list.
CREATE OR REPLACE VIEW notification_log AS
WITH messages AS (
    SELECT tenant_id, platform_id, max(wamid) AS wamid, any_value(bot_id) AS bot_id,
        max(recipient) AS recipient, max(campaign_id) AS campaign_id, max(sender) AS sender,
        max(agent_identity) AS agent_identity, max(phone_number_id) AS phone_number_id,
        max(template_name) AS template_name, max(category) AS category,
        max(origin_category) AS origin_category,
        COALESCE(min(ts) FILTER (WHERE event = 'accepted'), min(ts)) AS accepted_at,
        min(ts) FILTER (WHERE event = 'dispatched') AS sent_at,
        min(ts) FILTER (WHERE event = 'received') AS delivered_at,
        min(ts) FILTER (WHERE event = 'consumed') AS read_at,
        min(ts) FILTER (WHERE event = 'failed') AS failed_at,
        arg_min(reason_code, ts) FILTER (WHERE event = 'failed') AS error_code,
        arg_min(reason_description, ts) FILTER (WHERE event = 'failed') AS error_details
    FROM notification_events GROUP BY tenant_id, platform_id
), templated AS (
    SELECT m.*, COALESCE(m.template_name, t.template_name) AS template
    FROM messages m LEFT JOIN message_templates t
      ON t.tenant_id = m.tenant_id AND t.message_id = m.platform_id
), starts AS (
    SELECT tenant_id, template_name AS template, bot_id, campaign_id,
        category AS campaign_category, COALESCE(sent_at, scheduled_at) AS started_at
    FROM campaigns WHERE COALESCE(sent_at, scheduled_at) IS NOT NULL
), attributed AS (
    SELECT m.*, CASE WHEN m.accepted_at < s.started_at + INTERVAL 2 DAY
                     THEN s.campaign_id END AS guessed_campaign,
           CASE WHEN m.accepted_at < s.started_at + INTERVAL 2 DAY
                     THEN s.campaign_category END AS guessed_category
    FROM templated m ASOF LEFT JOIN starts s
      ON s.tenant_id = m.tenant_id AND s.template = m.template
     AND lower(s.bot_id) = lower(m.bot_id) AND m.accepted_at >= s.started_at
)
SELECT a.tenant_id, COALESCE(a.wamid, a.platform_id) AS message_id,
    COALESCE(a.campaign_id, a.guessed_campaign) AS campaign_id,
    COALESCE(a.sender, CASE WHEN a.agent_identity IS NOT NULL THEN 'agent'
                            WHEN COALESCE(a.campaign_id, a.guessed_campaign) IS NOT NULL
                            THEN 'campaign' ELSE 'api' END) AS sender,
    a.agent_identity, a.bot_id, COALESCE(a.phone_number_id, p.phone_number_id) AS phone_number_id,
    a.recipient, a.template AS template_name,
    COALESCE(a.category, NULLIF(a.origin_category, 'referral_conversion'), a.guessed_category,
             c.category) AS category,
    a.accepted_at, a.sent_at, a.delivered_at, a.read_at, a.failed_at, a.error_code,
    NULL::TIMESTAMPTZ AS replied_at, a.error_details
FROM attributed a
LEFT JOIN template_categories c ON c.tenant_id = a.tenant_id AND c.template_name = a.template
-- A tenant with one phone number sent everything from it.
LEFT JOIN (SELECT tenant_id, any_value(phone_number_id) AS phone_number_id FROM phone_numbers
           GROUP BY tenant_id HAVING count(*) = 1) p ON p.tenant_id = a.tenant_id;

-- A message's status timeline: notification timestamps merged with webhook statuses.
-- The earliest time of each status wins, so a later source never doubles it.
CREATE OR REPLACE VIEW message_timeline AS
WITH events AS (
    SELECT tenant_id, message_id,
        min(ts) FILTER (WHERE status = 'sent') AS sent_at,
        min(ts) FILTER (WHERE status = 'delivered') AS delivered_at,
        min(ts) FILTER (WHERE status = 'read') AS read_at,
        min(ts) FILTER (WHERE status = 'failed') AS failed_at,
        arg_min(error_code, ts) FILTER (WHERE status = 'failed') AS error_code,
        arg_min(error_details, ts) FILTER (WHERE status = 'failed') AS error_details,
        any_value(phone_number_id) AS phone_number_id,
        any_value(recipient_id) AS recipient_id,
        any_value(recipient_user_id) AS recipient_user_id,
        -- A category only when it names a template's: Meta's conversation-based statuses may
        -- say `referral_conversion` (a free entry point) or, in its older examples,
        -- `user_initiated` / `business_initiated`: then the next source decides.
        any_value(pricing_category) FILTER (WHERE pricing_category IN <template categories>)
            AS pricing_category
    -- A group message's statuses (one per participant) stay out of one-to-one timelines.
    FROM message_status_events WHERE coalesce(recipient_type, '') <> 'group' GROUP BY ALL
), replies AS (
    SELECT tenant_id, context_id AS message_id, min(ts) AS replied_at
    FROM inbound_messages WHERE context_id IS NOT NULL GROUP BY ALL
), notes AS (
    -- The wide file and the event log; a message in both is the wide file's.
    SELECT *, NULL::VARCHAR AS error_details, false AS from_log FROM notifications
    UNION ALL BY NAME
    SELECT l.*, true AS from_log FROM notification_log l
    WHERE NOT EXISTS (SELECT 1 FROM notifications w
                      WHERE w.tenant_id = l.tenant_id AND w.message_id = l.message_id)
), merged AS (
    SELECT
        COALESCE(n.tenant_id, e.tenant_id) AS tenant_id,
        COALESCE(n.message_id, e.message_id) AS message_id,
        n.campaign_id, COALESCE(n.sender, 'api') AS sender, n.agent_identity, n.bot_id,
        COALESCE(n.phone_number_id, e.phone_number_id) AS phone_number_id,
        COALESCE(n.recipient, '+' || e.recipient_id) AS recipient,
        n.template_name,
        -- An event-log message's category: its webhooks' first, then the export's; shown as
        -- unknown with neither.
        CASE WHEN n.from_log THEN COALESCE(e.pricing_category, n.category, 'unknown')
             ELSE COALESCE(n.category, e.pricing_category) END AS category,
        n.accepted_at,
        least(n.sent_at, e.sent_at) AS sent_at,
        least(n.delivered_at, e.delivered_at) AS delivered_at,
        least(n.read_at, e.read_at) AS read_at,
        least(n.failed_at, e.failed_at) AS failed_at,
        COALESCE(e.error_code, n.error_code) AS error_code,
        COALESCE(e.error_details, n.error_details) AS error_details,
        least(n.replied_at, r.replied_at) AS replied_at,
        e.recipient_user_id
    FROM notes n
    FULL OUTER JOIN events e USING (tenant_id, message_id)
    LEFT JOIN replies r
      ON r.tenant_id = COALESCE(n.tenant_id, e.tenant_id)
     AND r.message_id = COALESCE(n.message_id, e.message_id)
)
SELECT *,
    -- Highest status reached; read implies delivered; a receipt outranks a stray failure.
    CASE WHEN read_at IS NOT NULL THEN 'read'
         WHEN delivered_at IS NOT NULL THEN 'delivered'
         WHEN failed_at IS NOT NULL THEN 'failed'
         WHEN sent_at IS NOT NULL THEN 'sent'
         ELSE 'pending' END AS final_status
FROM merged;

-- A business-scoped user id identifies a person like a phone number (docs/metrics.md, "Whose
-- message"): the pairs of the two that a tenant's own webhooks give, a status with
-- `recipient_id` and `recipient_user_id`, a user's message with `from` and `from_user_id`, a
-- contact with `wa_id` and `user_id`. One number per id: the one seen last. Pairs never cross
-- tenants (an id is scoped to a business).
CREATE OR REPLACE VIEW user_id_pairs AS
SELECT tenant_id, user_id, arg_max(phone, seen_at) AS phone
FROM (
    SELECT tenant_id, recipient_user_id AS user_id, recipient_id AS phone, ts AS seen_at
    FROM message_status_events
    WHERE recipient_user_id IS NOT NULL AND recipient_id IS NOT NULL
      AND coalesce(recipient_type, '') <> 'group'
    UNION ALL
    SELECT tenant_id, from_user_id, from_id, ts FROM inbound_messages
    WHERE from_user_id IS NOT NULL AND from_id IS NOT NULL
    UNION ALL
    SELECT tenant_id, user_id, wa_id, COALESCE(ts, TIMESTAMPTZ '1970-01-01 00:00:00+00')
    FROM contact_user_ids
)
GROUP BY tenant_id, user_id;

-- The person of each business message, as one key both sides of a join compute alike: the
-- recipient's number (digits), else the number paired with its user id, else the user id; a
-- Brazilian or Mexican mobile's WhatsApp id and number alike (why: where the DDL's text
-- ends).
CREATE OR REPLACE VIEW message_people AS
SELECT t.tenant_id, t.message_id,
    regexp_replace(COALESCE(ltrim(t.recipient, '+'), p.phone, t.recipient_user_id),
                   <person number>) AS person,
    COALESCE(t.sent_at, t.accepted_at) AS sent, t.category
FROM message_timeline t
LEFT JOIN user_id_pairs p ON p.tenant_id = t.tenant_id AND p.user_id = t.recipient_user_id;

-- Marketing opt-outs and opt-ins by person (the key of `message_people`). A row that named
-- only the user id stores it as `wa_id` too: it is no number.
CREATE OR REPLACE VIEW user_preferences_by_person AS
SELECT u.tenant_id,
    regexp_replace(COALESCE(CASE WHEN u.wa_id IS DISTINCT FROM u.user_id THEN u.wa_id END,
                            p.phone, u.user_id), <person number>) AS person,
    u.category, u.value, u.ts
FROM user_preferences u
LEFT JOIN user_id_pairs p ON p.tenant_id = u.tenant_id AND p.user_id = u.user_id;

-- Free windows a business message can fall in (docs/metrics.md, "Free windows"): a user's
-- message opens a 24 h customer-service window; a message that came from a click-to-WhatsApp
-- ad (`referral`) opens a free entry point window of 72 h from the business's first message to
-- that user within 24 h of it (none if the business did not answer in time). A window belongs
-- to a person (the key of `message_people`), whichever id the user's message carried. A
-- message a user posts in a group (`group_id`) opens the window of the whole group, not one
-- with that user: it frees no one-to-one message. A system message (`type: system`: WhatsApp
-- saying the user changed their number or user id) is not the user writing: it opens none.
CREATE OR REPLACE VIEW free_windows AS
WITH inbound AS (
    SELECT i.tenant_id,
        regexp_replace(COALESCE(i.from_id, p.phone, i.from_user_id), <person number>) AS person,
        i.ts,
        i.referral_source_type IS NOT NULL AS ad
    FROM inbound_messages i
    LEFT JOIN user_id_pairs p ON p.tenant_id = i.tenant_id AND p.user_id = i.from_user_id
    WHERE COALESCE(i.from_id, i.from_user_id) IS NOT NULL AND i.group_id IS NULL
      AND i.type <> 'system'
), answers AS (
    SELECT i.tenant_id, i.person, min(m.sent) AS opens_at
    FROM inbound i JOIN message_people m
      ON m.tenant_id = i.tenant_id AND m.person = i.person
     AND m.sent >= i.ts AND m.sent < i.ts + INTERVAL 24 HOUR
    WHERE i.ad GROUP BY i.tenant_id, i.person, i.ts
)
SELECT tenant_id, person, 'customer_service' AS kind, ts AS opens_at,
    ts + INTERVAL 24 HOUR AS closes_at FROM inbound
UNION ALL
SELECT tenant_id, person, 'free_entry_point', opens_at, opens_at + INTERVAL 72 HOUR
FROM answers;

-- Each business message sent inside a window that makes it free: a free entry point window
-- frees any message; a customer-service window frees utility templates (PMP).
CREATE OR REPLACE VIEW message_free_windows AS
SELECT m.tenant_id, m.message_id,
    CASE WHEN bool_or(w.kind = 'free_entry_point') THEN 'free_entry_point'
         ELSE 'customer_service' END AS free_window
FROM message_people m JOIN free_windows w
  ON w.tenant_id = m.tenant_id AND w.person = m.person
 AND m.sent >= w.opens_at AND m.sent < w.closes_at
WHERE w.kind = 'free_entry_point' OR lower(m.category) = 'utility'
GROUP BY m.tenant_id, m.message_id;
"""


# A person's number as one key, whichever way it is written. A WhatsApp id (`wa_id`, a
# webhook's `from` and `recipient_id`) keeps the number as it was when the user joined, while
# the platform's files name the number dialled today: a Brazilian mobile (+55, two-digit area
# code, then 9 and eight digits) from before the ninth digit keeps the old eight digits
# (553187654321 for +55 31 98765-4321), a Mexican mobile keeps the 1 after 52 that Mexico
# dropped (5215512345678 for +52 55 1234 5678). Both read as the shorter number, so that a
# person's messages, windows and opt-outs meet; every other number or user id is left as it is.
DDL = DDL.replace("<person number>", PERSON_NUMBER)
# The template categories a webhook's pricing category may give a message (the platform files'
# Category values, docs/sources.md).
DDL = DDL.replace("<template categories>",
                  "(" + ", ".join(f"'{c}'" for c in sources.CATEGORY_VALUES) + ")")
DDL_SHA256 = hashlib.sha256(DDL.encode()).hexdigest()


# How long a command waits for a warehouse another process holds (the command's `--wait`).
LOCK_WAIT_SECONDS = 300.0
LOCK_POLL_SECONDS = 0.5


def _holder(message: str) -> str:
    """Who holds the warehouse, from DuckDB's lock error: the command and since when."""
    found = re.search(r"\(PID (\d+)\)", message)
    return process_description(found.group(1)) if found else "another process"


def process_description(pid: str) -> str:
    """A process as an operator knows it: its command and since when (`PID n` where it
    cannot be read)."""
    try:
        words = [a.decode(errors="replace") for a in
                 Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
        if words and Path(words[0]).name.startswith("python"):
            words = words[1:]  # the interpreter: name the program it runs
        command = " ".join([Path(words[0]).name, *words[1:]] if words else ["?"])
        command = " ".join(command.split())  # one line, whatever the arguments hold
        since = datetime.fromtimestamp(os.stat(f"/proc/{pid}").st_mtime)
        return f"`{command[:120]}` (PID {pid}, since {since:%H:%M:%S})"
    except OSError:
        return f"PID {pid}"


def _waiters(path: Path | str) -> Path:
    """The folder where commands waiting for the warehouse leave their process id, so that a
    long ingest can let them in between two files."""
    return Path(f"{path}.waiting")


def someone_waiting(path: Path | str) -> bool:
    """Whether a live process is waiting for the warehouse (stale marks are removed)."""
    live = False
    for mark in _waiters(path).glob("*") if _waiters(path).is_dir() else ():
        try:
            os.kill(int(mark.name), 0)
            live = True
        except (ValueError, ProcessLookupError):
            mark.unlink(missing_ok=True)
        except PermissionError:
            live = True
    return live


def waiting_for_lock(action, path: Path | str, wait: float | None = None):
    """Run `action()` (which opens the warehouse); while another process holds the file, say so
    once on stderr, leave a mark that this process waits (`someone_waiting`), and retry until
    `wait` seconds have passed, then stop with one line."""
    wait = LOCK_WAIT_SECONDS if wait is None else wait
    deadline, said, mark = time.monotonic() + wait, False, None
    try:
        while True:
            try:
                return action()
            except duckdb.IOException as exc:
                if "Could not set lock" not in str(exc):
                    raise
                holder = _holder(str(exc))
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(f"the warehouse {path} is busy ({holder}) and stayed "
                                        f"busy for {wait:g} s: try again when it is done, or "
                                        "give a longer --wait") from None
                if not said:
                    print(f"reportlib: the warehouse {path} is busy: {holder} holds it; "
                          f"waiting up to {wait:g} s (--wait)", file=sys.stderr, flush=True)
                    said = True
                    try:
                        _waiters(path).mkdir(exist_ok=True)
                        mark = _waiters(path) / str(os.getpid())
                        mark.touch()
                    except OSError:
                        mark = None  # a read-only folder: wait without a mark
                time.sleep(LOCK_POLL_SECONDS)
    finally:
        if mark is not None:
            mark.unlink(missing_ok=True)
            try:
                _waiters(path).rmdir()
            except OSError:
                pass  # another waiter's mark is still there


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse with extensions never fetched from the network, times in UTC; a
    warehouse another process holds is waited for (`waiting_for_lock`)."""
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": True}
    con = waiting_for_lock(
        lambda: duckdb.connect(str(path), read_only=read_only, config=config), path)
    con.execute("SET TimeZone = 'UTC'")
    return con


HEADER_BYTES = 3 * 4096  # a DuckDB file's main header and its two database headers


def damage(path: Path | str) -> str | None:
    """Why a DuckDB file cannot be read as a warehouse, or None: it reads, or another process
    holds it (waited for later). A file cut short (a full disk, a copy stopped half-way) is
    shorter than the blocks its header says are in use. Read-only, before a command writes
    anything."""
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": True}
    try:
        con = duckdb.connect(str(path), read_only=True, config=config)
        try:
            con.execute("SELECT table_name, column_name FROM information_schema.columns")
            con.fetchall()
            block_size, used = con.execute(
                "SELECT block_size, used_blocks FROM pragma_database_size()").fetchone()
        finally:
            con.close()
        size, needed = os.path.getsize(path), HEADER_BYTES + used * block_size
        if size < needed:
            return f"cut short: {size} bytes of at least {needed}"
    except duckdb.IOException as exc:
        if "Could not set lock" in str(exc):
            return None
        if "Could not read enough bytes" in str(exc):
            return f"cut short: {os.path.getsize(path)} bytes, its catalog reaches past them"
        return str(exc).splitlines()[0].removeprefix("IO Error: ")
    except duckdb.Error as exc:  # a damaged catalog
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


# Columns added since a table was first made: an older warehouse gets them, empty.
ADDED_COLUMNS = {
    "message_status_events": ("recipient_type", "recipient_user_id", "error_details"),
    "inbound_messages": ("from_user_id", "referral_source_type", "referral_source_id",
                         "group_id"),
    "event_tracks": ("message_id", "event_count BIGINT"),
    "tickets": ("event_date TIMESTAMPTZ",),
    "deliveries": ("sent_by", "figures_sha256"),
    "ingest_log": ("rules",),
}


def create(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the warehouse and make sure every canonical table exists."""
    con = connect(path)
    present = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}
    for table, columns in ADDED_COLUMNS.items():  # before the DDL: its view reads them
        for column in columns if table in present else ():
            name, _, kind = column.partition(" ")
            con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {kind or 'VARCHAR'}")
    con.execute(DDL)
    _migrate_analytics(con)
    pricing.install(con)
    con.execute("CREATE TABLE IF NOT EXISTS warehouse_schema (ddl_sha256 VARCHAR)")
    con.execute("DELETE FROM warehouse_schema")
    con.execute("INSERT INTO warehouse_schema VALUES (?)", [DDL_SHA256])
    return con


# Dimensions every data point carried before analytics of any shape were read.
_OLD_DIMENSIONS = {
    "conversations": "phone_number,country,conversation_type,conversation_direction,"
                     "conversation_category",
    "pricing_daily": "phone_number,country,pricing_type,pricing_category",
}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
        [table]).fetchall()}


def _migrate_analytics(con: duckdb.DuckDBPyConnection) -> None:
    """Analytics tables of an older warehouse (a primary key over every dimension, no
    granularity) get the current layout, their rows kept."""
    for table, dimensions in _OLD_DIMENSIONS.items():
        if "granularity" in _columns(con, table):
            continue
        con.execute("BEGIN TRANSACTION")  # all or nothing: a kill leaves the old table
        con.execute(f"ALTER TABLE {table} RENAME TO {table}_before")
        con.execute(DDL)
        con.execute(f"""
            INSERT INTO {table} BY NAME
            SELECT *, CASE WHEN end_ts - start_ts <= INTERVAL 30 MINUTE THEN 'HALF_HOUR'
                           WHEN end_ts - start_ts <= INTERVAL 25 HOUR THEN 'DAILY'
                           ELSE 'MONTHLY' END AS granularity,
                   '{dimensions}' AS dimensions
            FROM {table}_before""")
        con.execute(f"DROP TABLE {table}_before")
        con.execute("COMMIT")


def file_state(path: Path | str) -> tuple:
    """The warehouse file and its write-ahead log as they are now (any write changes them)."""
    found = []
    for file in (Path(path), Path(path).with_name(Path(path).name + ".wal")):
        try:
            stat = file.stat()
            found.append((str(file.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino))
        except FileNotFoundError:
            found.append((str(file.resolve()), None))
    return tuple(found)


_found_current: set[tuple] = set()  # `file_state`s this process found current


def ensure_current(path: Path | str) -> None:
    """Bring a warehouse made by an older version up to the current DDL (new tables are
    created empty); a no-op, read-only, when it is current. Looked at once per process while
    the file and its log stay as they were: a run's worker builds bundle after bundle from
    one warehouse, and opening it only to look cost each build a tenth of a second."""
    state = file_state(path)
    if state in _found_current:
        return
    wanted = set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", DDL))
    con = connect(path, read_only=True)
    try:
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        # The views change with the code (the timeline, the event log): a warehouse made by
        # another version of the DDL gets the current one.
        made_by = con.execute("SELECT ddl_sha256 FROM warehouse_schema").fetchall() \
            if "warehouse_schema" in present else []
        stale = made_by != [(DDL_SHA256,)] or any(
            "granularity" not in _columns(con, t) for t in _OLD_DIMENSIONS
            if t in present) or any(
            not {c.split()[0] for c in columns} <= _columns(con, t)
            for t, columns in ADDED_COLUMNS.items()
            if t in present)
    finally:
        con.close()
    if wanted - present or stale:
        create(path).close()
    else:
        _found_current.add(state)


# Tables of the warehouse's own bookkeeping: no bundle reads them (rejected rows it does, in a
# report's coverage block).
BOOKKEEPING_TABLES = ("ingest_log", "deliveries", "schedule_runs", "schedule_notices",
                      "run_history")
# Every table of a tenant's rows that a bundle may read: the canonical tables of its sources
# and params, and its rejected rows.
TENANT_TABLES = tuple(t for t in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", DDL)
                      if t not in BOOKKEEPING_TABLES)


def tenant_fingerprints(con: duckdb.DuckDBPyConnection,
                        tenants: list[str]) -> dict[str, str]:
    """Per tenant, a hash of every row of it that a bundle may read (`TENANT_TABLES`), summed
    in SQL as a multiset of row hashes: equal fingerprints, equal rows. A run compares it with
    the one its reports were rendered from before building anything."""
    parts = " UNION ALL ".join(
        f"SELECT '{t}' AS name, tenant_id, count(*) AS n, "
        f"COALESCE(sum(hash(t)::HUGEINT), 0) AS total FROM {t} t "
        f"WHERE tenant_id IN (SELECT unnest($tenants)) GROUP BY tenant_id"
        for t in TENANT_TABLES)
    found: dict[str, list[str]] = {t: [] for t in tenants}
    for name, tenant, rows, total in con.execute(
            f"SELECT * FROM ({parts}) ORDER BY tenant_id, name", {"tenants": list(tenants)}
    ).fetchall():
        found[tenant].append(f"{name}:{rows}:{total}")
    return {t: hashlib.sha256("|".join(v).encode()).hexdigest() for t, v in found.items()}


def tenant_rows(con: duckdb.DuckDBPyConnection, tenants: list[str]) -> dict[str, int]:
    """Per tenant, its rows that a bundle may read (`TENANT_TABLES`): how long its reports
    take, roughly. A run starts the largest tenants first so no worker is left with one at
    the end."""
    parts = " UNION ALL ".join(
        f"SELECT tenant_id, count(*) AS n FROM {t} WHERE tenant_id IN (SELECT unnest($tenants))"
        f" GROUP BY tenant_id" for t in TENANT_TABLES)
    found = dict.fromkeys(tenants, 0)
    for tenant, rows in con.execute(f"SELECT tenant_id, sum(n) FROM ({parts}) GROUP BY 1",
                                    {"tenants": list(tenants)}).fetchall():
        found[tenant] = int(rows)
    return found
