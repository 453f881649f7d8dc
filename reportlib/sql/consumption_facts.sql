-- Staging for the consumption marts: one row per Meta analytics data point of the tenant,
-- with its tenant-local day, era, initiator, paid/free split and our cost (rate card).
-- Conversation analytics (CBP): FREE_ENTRY_POINT and FREE_TIER are free, service is free from
-- 2024-11-01, and until then the first 1,000 service conversations of a WABA-month are free
-- (those Meta labels FREE_TIER count against the 1,000; REGULAR ones get what is left, in
-- order of time). Pricing analytics (PMP): only REGULAR template messages are paid.
WITH cbp_raw AS (
    SELECT waba_id, phone_number, country,
        (start_ts AT TIME ZONE getvariable('tz'))::DATE AS day,
        'CBP' AS era, 'conversation' AS unit,
        CASE conversation_direction WHEN 'USER_INITIATED' THEN 'user' ELSE 'business' END
            AS initiator,
        normalize_category(category) AS category, conversation_type AS pricing_type,
        conversations AS quantity, cost_usd AS meta_cost
    FROM conversations WHERE tenant_id = getvariable('tenant')
), cbp_labelled AS (
    SELECT *,
        sum(CASE WHEN pricing_type = 'FREE_TIER' AND category = 'service' THEN quantity
                 ELSE 0 END) OVER (PARTITION BY waba_id, date_trunc('month', day)) AS labelled,
        sum(CASE WHEN pricing_type = 'REGULAR' AND category = 'service' THEN quantity
                 ELSE 0 END) OVER (PARTITION BY waba_id, date_trunc('month', day)
                 ORDER BY day, phone_number, country, initiator
                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS regular_before
    FROM cbp_raw
), cbp AS (
    SELECT waba_id, phone_number, country, day, era, unit, initiator, category, pricing_type,
        quantity, meta_cost,
        CASE WHEN NOT is_paid_conversation(pricing_type, category, day) THEN 0
             WHEN category = 'service' AND pricing_type = 'REGULAR'
                  AND day < DATE '2024-11-01' THEN quantity - greatest(0, least(quantity,
                      1000 - labelled - COALESCE(regular_before, 0)))
             ELSE quantity END AS paid_quantity
    FROM cbp_labelled
), pmp AS (
    SELECT waba_id, phone_number, country,
        (start_ts AT TIME ZONE getvariable('tz'))::DATE AS day,
        'PMP' AS era, 'message' AS unit,
        CASE WHEN normalize_category(category) = 'service'
                  OR pricing_type IN ('FREE_CUSTOMER_SERVICE', 'FREE_ENTRY_POINT')
             THEN 'user' ELSE 'business' END AS initiator,
        normalize_category(category) AS category, pricing_type,
        volume AS quantity, cost_usd AS meta_cost,
        CASE WHEN is_paid_message(pricing_type, category) THEN volume ELSE 0 END
            AS paid_quantity
    FROM pricing_daily WHERE tenant_id = getvariable('tenant')
), facts AS (
    SELECT * FROM cbp UNION ALL BY NAME SELECT * FROM pmp
)
SELECT f.*, market_of_country(f.country) AS market,
    f.quantity - f.paid_quantity AS free_quantity,
    rate_in_force(market_of_country(f.country), f.category, f.day) AS rate_usd,
    f.paid_quantity * rate_in_force(market_of_country(f.country), f.category, f.day)
        AS our_cost
FROM facts f
WHERE f.day BETWEEN getvariable('period_start') AND getvariable('period_end')
