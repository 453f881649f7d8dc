-- Reconciliation (PMP era): delivered template messages per day x category counted from the
-- webhooks/platform timeline, against the volume in Meta's pricing analytics; and of them,
-- those sent inside a free window (our reading of the users' messages and ad referrals,
-- `message_free_windows`) against Meta's free volume (free customer service, free entry point).
WITH ours AS (
    SELECT (COALESCE(t.delivered_at, t.read_at) AT TIME ZONE getvariable('tz'))::DATE AS day,
        normalize_category(t.category) AS category, count(*) AS delivered,
        count(w.message_id) AS in_free_window
    FROM message_timeline t
    LEFT JOIN message_free_windows w
      ON w.tenant_id = t.tenant_id AND w.message_id = t.message_id
    WHERE t.tenant_id = getvariable('tenant') AND t.final_status IN ('delivered', 'read')
    GROUP BY ALL
), meta AS (
    SELECT day, category, sum(quantity) AS volume,
        sum(quantity) FILTER (WHERE pricing_type IN ('FREE_CUSTOMER_SERVICE',
                                                     'FREE_ENTRY_POINT')) AS free_volume
    FROM consumption_facts
    WHERE era = 'PMP' AND category <> 'service' GROUP BY ALL
)
SELECT category, sum(COALESCE(ours.delivered, 0))::BIGINT AS delivered_in_webhooks,
    sum(COALESCE(meta.volume, 0))::BIGINT AS meta_volume,
    (sum(COALESCE(meta.volume, 0)) - sum(COALESCE(ours.delivered, 0)))::BIGINT AS difference,
    sum(COALESCE(ours.in_free_window, 0))::BIGINT AS free_window_in_webhooks,
    sum(COALESCE(meta.free_volume, 0))::BIGINT AS meta_free_volume
FROM ours FULL OUTER JOIN meta USING (day, category)
WHERE day BETWEEN getvariable('period_start') AND getvariable('period_end')
  AND day >= DATE '2025-07-01'
GROUP BY category
ORDER BY category
