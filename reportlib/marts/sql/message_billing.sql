-- What Meta bills, per message of the tenant: the one reading that the campaigns' cost, the
-- consumption report's reconciliation and the cost flag share (docs/metrics.md, "Cost of a
-- campaign", "Reconciliation", "Anomaly flags"). A message delivered or read is billed unless
-- free_reason says why not:
--   free_entry_point / free_customer_service   its status webhooks' pricing (type or
--       category) says so (under conversation-based pricing, a free entry point's statuses
--       have no type: their category, or their conversation's origin, is
--       `referral_conversion`); or, when its webhooks carry no pricing at all, the platform's event
--       log names its conversation's origin `referral_conversion` (a free entry point), or it
--       was sent inside that free window (`message_free_windows`).
-- billed_category: Meta's billed category (the webhooks' pricing.category) when it names a
-- template category (not `service`, `referral_conversion`, nor the older `user_initiated` /
-- `business_initiated` of conversation-based pricing). A message with neither pricing nor a
-- free window has no row.
WITH webhook_pricing AS (
    SELECT message_id,
        bool_or(pricing_type IS NOT NULL OR pricing_category IS NOT NULL) AS has_pricing,
        CASE WHEN bool_or('free_entry_point' IN (lower(pricing_type),
                                                 normalize_category(pricing_category))
                          OR 'referral_conversion' IN (normalize_category(pricing_category),
                                                      lower(conversation_origin)))
             THEN 'free_entry_point'
             WHEN bool_or('free_customer_service' IN (lower(pricing_type),
                                                      normalize_category(pricing_category)))
             THEN 'free_customer_service' END AS webhook_free,
        any_value(normalize_category(pricing_category)) FILTER (
            WHERE normalize_category(pricing_category) IN
                  ('marketing', 'utility', 'authentication', 'authentication_international',
                   'marketing_lite')) AS billed_category
    FROM message_status_events WHERE tenant_id = getvariable('tenant') GROUP BY message_id
), windows AS (
    SELECT message_id, free_window FROM message_free_windows
    WHERE tenant_id = getvariable('tenant')
), referrals AS (
    -- The message's id as notification_log gives it: its wamid where any event carries one.
    SELECT COALESCE(max(wamid), platform_id) AS message_id, true AS referral
    FROM notification_events WHERE tenant_id = getvariable('tenant')
    GROUP BY platform_id HAVING bool_or(origin_category = 'referral_conversion')
)
SELECT message_id,
    CASE WHEN p.webhook_free IS NOT NULL THEN p.webhook_free
         WHEN COALESCE(p.has_pricing, false) THEN NULL
         WHEN r.referral OR w.free_window = 'free_entry_point' THEN 'free_entry_point'
         WHEN w.free_window = 'customer_service' THEN 'free_customer_service'
         END AS free_reason,
    p.billed_category
FROM webhook_pricing p FULL JOIN windows w USING (message_id)
FULL JOIN referrals r USING (message_id)
