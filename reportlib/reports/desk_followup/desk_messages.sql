-- Active messages sent by agents from the help desk in the period, with their desk status as
-- of as_of_ts (docs/metrics.md, "Help-desk statuses"): failed; else expired once 24 h have passed
-- since the send without a reply; else the highest reached of read, delivered, sent, sending.
-- A message stays visible in the desk view until 72 h after the send. A reply within 24 h makes
-- a ticket: whether a message opened one, and when, comes from `attendance_agent_tickets`, the
-- one definition the attendance report counts too (the ticket's creation is the reply).
SELECT m.message_id, m.agent_identity, m.recipient, m.template_name,
    normalize_category(m.category) AS category, m.accepted_at, m.sent_at, m.delivered_at,
    m.read_at, m.failed_at, m.replied_at, m.error_code, m.final_status,
    desk_status(m.final_status, COALESCE(m.accepted_at, m.sent_at),
                least(m.replied_at, a.ticket_at), getvariable('as_of_ts')) AS desk_status,
    getvariable('as_of_ts') < COALESCE(m.accepted_at, m.sent_at) + INTERVAL 72 HOUR AS visible,
    COALESCE(a.opened_ticket, false) AS ticket_opened, a.ticket_id
FROM message_timeline m
LEFT JOIN attendance_agent_tickets a USING (message_id)
WHERE m.tenant_id = getvariable('tenant') AND m.sender = 'agent'
  AND (COALESCE(m.accepted_at, m.sent_at) AT TIME ZONE getvariable('tz'))::DATE
      BETWEEN getvariable('period_start') AND getvariable('period_end')
ORDER BY COALESCE(m.accepted_at, m.sent_at), m.message_id
