-- One row per campaign message of the campaigns that belong to the period (sent, or else
-- scheduled, on a tenant-local day of the period), with its merged status timeline.
-- replied_24h: the user answered within 24 h of the send (docs/metrics.md, reply rate).
WITH first_send AS (
    SELECT campaign_id, min(accepted_at) AS first_accepted
    FROM message_timeline
    WHERE tenant_id = getvariable('tenant') AND campaign_id IS NOT NULL
    GROUP BY campaign_id
), scoped AS (
    SELECT COALESCE(c.campaign_id, f.campaign_id) AS campaign_id
    FROM (SELECT * FROM campaigns WHERE tenant_id = getvariable('tenant')) c
    FULL OUTER JOIN first_send f USING (campaign_id)
    WHERE (COALESCE(f.first_accepted, c.sent_at, c.scheduled_at) AT TIME ZONE getvariable('tz'))
          ::DATE BETWEEN getvariable('period_start') AND getvariable('period_end')
)
SELECT m.campaign_id, m.message_id, m.recipient, m.template_name,
    normalize_category(m.category) AS category,
    m.accepted_at, m.sent_at, m.delivered_at, m.read_at, m.failed_at, m.replied_at,
    m.final_status, m.error_code, m.error_details,
    m.replied_at IS NOT NULL AND m.final_status IN ('delivered', 'read')
        AND m.replied_at <= COALESCE(m.sent_at, m.accepted_at) + INTERVAL 24 HOUR
        AS replied_24h,
    CASE WHEN m.read_at IS NOT NULL AND m.sent_at IS NOT NULL
         THEN epoch(m.read_at - m.sent_at) / 60.0 END AS minutes_to_read
FROM message_timeline m JOIN scoped USING (campaign_id)
WHERE m.tenant_id = getvariable('tenant')
ORDER BY m.campaign_id, m.accepted_at, m.message_id
