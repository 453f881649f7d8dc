-- Daily active users and messages sent vs received, per tenant-local day of the period.
WITH days AS (
    SELECT unnest(generate_series(getvariable('period_start'), getvariable('period_end'),
                                  INTERVAL 1 DAY))::DATE AS day
), counts AS (
    SELECT (storage_date AT TIME ZONE getvariable('tz'))::DATE AS day,
        count(DISTINCT (user_identity, COALESCE(channel, ''))) AS active_users,
        count(*) FILTER (WHERE direction = 'sent') AS sent,
        count(*) FILTER (WHERE direction = 'received') AS received
    FROM bot_messages WHERE tenant_id = getvariable('tenant') GROUP BY ALL
)
SELECT d.day, COALESCE(c.active_users, 0) AS active_users, COALESCE(c.sent, 0) AS sent,
    COALESCE(c.received, 0) AS received
FROM days d LEFT JOIN counts c USING (day) ORDER BY d.day
