-- One row per ticket created (StorageDate) in the period, with its outcome, its times in
-- minutes (docs/metrics.md, Attendance) and where it came from: a campaign (CampaignId), an agent's
-- active message (the ticket `attendance_agent_tickets` links to one), or elsewhere. Response
-- times are per customer message: `attendance_times.sql`.
WITH scoped AS (
    SELECT * FROM tickets
    WHERE tenant_id = getvariable('tenant')
      AND (storage_date AT TIME ZONE getvariable('tz'))::DATE
          BETWEEN getvariable('period_start') AND getvariable('period_end')
)
SELECT t.ticket_id, t.sequential_id, t.parent_sequential_id, t.team, t.agent_identity,
    t.customer_identity, t.status, t.tags, t.campaign_id,
    -- The campaign as its readers know it (its name), else its id.
    COALESCE(NULLIF(trim(c.campaign_name), ''), t.campaign_id) AS campaign_name,
    t.storage_date, t.open_date,
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
    epoch(t.close_date - t.first_response_date) / 60.0 AS handling_minutes,
    epoch(t.close_date - t.open_date) / 60.0 AS handling_from_open_minutes,
    CASE WHEN t.campaign_id IS NOT NULL THEN 'campaign'
         WHEN t.ticket_id IN (SELECT ticket_id FROM attendance_agent_tickets
                              WHERE ticket_id IS NOT NULL) THEN 'agent'
         ELSE 'other' END AS source
FROM scoped t
LEFT JOIN (SELECT campaign_id, any_value(campaign_name) AS campaign_name FROM campaigns
           WHERE tenant_id = getvariable('tenant') GROUP BY campaign_id) c
       ON c.campaign_id = t.campaign_id
ORDER BY t.storage_date, t.ticket_id
