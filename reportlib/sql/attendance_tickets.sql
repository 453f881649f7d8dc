-- One row per ticket created (StorageDate) in the period, with its outcome, its times in
-- minutes (docs/metrics.md, Attendance) and where it came from: a campaign (CampaignId), an agent's
-- active message (the customer replied within 24 h of an agent send), or elsewhere.
WITH scoped AS (
    SELECT * FROM tickets
    WHERE tenant_id = getvariable('tenant')
      AND (storage_date AT TIME ZONE getvariable('tz'))::DATE
          BETWEEN getvariable('period_start') AND getvariable('period_end')
), responses AS (
    -- Response time: from a customer message to the next agent message, after the first reply.
    SELECT ticket_id, avg(epoch(next_agent - sent_at) / 60.0) AS response_minutes
    FROM (
        SELECT m.ticket_id, m.direction, m.sent_at,
            min(CASE WHEN m.direction = 'agent' THEN m.sent_at END) OVER (
                PARTITION BY m.ticket_id ORDER BY m.sent_at
                ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_agent,
            t.first_response_date
        FROM ticket_messages m JOIN scoped t USING (ticket_id)
        WHERE m.tenant_id = getvariable('tenant')
    )
    WHERE direction = 'customer' AND next_agent IS NOT NULL
      AND first_response_date IS NOT NULL AND sent_at >= first_response_date
    GROUP BY ticket_id
), agent_sends AS (
    SELECT recipient, COALESCE(accepted_at, sent_at) AS sent, agent_identity AS sender_agent
    FROM message_timeline
    WHERE tenant_id = getvariable('tenant') AND sender = 'agent'
)
SELECT t.ticket_id, t.sequential_id, t.parent_sequential_id, t.team, t.agent_identity,
    t.customer_identity, t.status, t.tags, t.campaign_id, t.storage_date, t.open_date,
    t.first_response_date, t.close_date,
    CASE
        WHEN t.status IN ('ClosedClient', 'ClosedClientInactivity') AND t.open_date IS NULL
            THEN 'missed'
        WHEN t.status IN ('ClosedClient', 'ClosedClientInactivity') THEN 'abandoned'
        WHEN t.status IN ('ClosedAttendant', 'Transferred') THEN 'handled'
        ELSE 'open' END AS outcome,
    epoch(t.open_date - t.storage_date) / 60.0 AS queue_minutes,
    epoch(t.first_response_date - t.open_date) / 60.0 AS first_response_minutes,
    epoch(t.first_response_date - t.storage_date) / 60.0 AS waiting_minutes,
    r.response_minutes,
    epoch(t.close_date - t.first_response_date) / 60.0 AS handling_minutes,
    epoch(t.close_date - t.open_date) / 60.0 AS handling_from_open_minutes,
    CASE WHEN t.campaign_id IS NOT NULL THEN 'campaign'
         WHEN EXISTS (SELECT 1 FROM agent_sends a
                      WHERE a.recipient = t.customer_identity AND a.sent <= t.storage_date
                        AND t.storage_date <= a.sent + INTERVAL 24 HOUR) THEN 'agent'
         ELSE 'other' END AS source
FROM scoped t LEFT JOIN responses r USING (ticket_id)
ORDER BY t.storage_date, t.ticket_id
