-- Reconciliation (PMP era): delivered template messages per day x category counted from the
-- webhooks/platform timeline, against the volume in Meta's pricing analytics.
WITH ours AS (
    SELECT (COALESCE(delivered_at, read_at) AT TIME ZONE getvariable('tz'))::DATE AS day,
        normalize_category(category) AS category, count(*) AS delivered
    FROM message_timeline
    WHERE tenant_id = getvariable('tenant') AND final_status IN ('delivered', 'read')
    GROUP BY ALL
), meta AS (
    SELECT day, category, sum(quantity) AS volume FROM consumption_facts
    WHERE era = 'PMP' AND category <> 'service' GROUP BY ALL
)
SELECT category, sum(COALESCE(ours.delivered, 0))::BIGINT AS delivered_in_webhooks,
    sum(COALESCE(meta.volume, 0))::BIGINT AS meta_volume,
    (sum(COALESCE(meta.volume, 0)) - sum(COALESCE(ours.delivered, 0)))::BIGINT AS difference
FROM ours FULL OUTER JOIN meta USING (day, category)
WHERE day BETWEEN getvariable('period_start') AND getvariable('period_end')
  AND day >= DATE '2025-07-01'
GROUP BY category
ORDER BY category
