-- Active messages sent by agents from the help desk in the period, with their desk status as
-- of as_of_ts (docs/metrics.md, "Help-desk statuses"): failed; else expired once 24 h have passed
-- since the send without a reply; else the highest reached of read, delivered, sent, sending.
-- A message stays visible in the desk view until 72 h after the send; a reply makes a ticket.
SELECT message_id, agent_identity, recipient, template_name,
    normalize_category(category) AS category, accepted_at, sent_at, delivered_at, read_at,
    failed_at, replied_at, error_code, final_status,
    desk_status(final_status, COALESCE(accepted_at, sent_at), replied_at,
                getvariable('as_of_ts')) AS desk_status,
    getvariable('as_of_ts') < COALESCE(accepted_at, sent_at) + INTERVAL 72 HOUR AS visible,
    replied_at IS NOT NULL
        AND replied_at <= COALESCE(accepted_at, sent_at) + INTERVAL 24 HOUR AS ticket_opened
FROM message_timeline
WHERE tenant_id = getvariable('tenant') AND sender = 'agent'
  AND (COALESCE(accepted_at, sent_at) AT TIME ZONE getvariable('tz'))::DATE
      BETWEEN getvariable('period_start') AND getvariable('period_end')
ORDER BY COALESCE(accepted_at, sent_at), message_id
