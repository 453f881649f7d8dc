-- Meta's analytics as the reports read them: one row per data point of the tenant over its
-- whole history (not only the period: the rates Meta applied are read per month, see
-- meta_rates.sql), with its tenant-local day, era, initiator and paid units. Read by the
-- consumption facts (consumption_facts.sql) and, through meta_rates, by a campaign's cost.
-- Conversation analytics (CBP): FREE_ENTRY_POINT and FREE_TIER are free, service is free from
-- 2024-11-01, and until then the first 1,000 service conversations of a WABA-month are free
-- (those Meta labels FREE_TIER count against the 1,000; REGULAR ones get what is left, in
-- order of time). Pricing analytics (PMP): only REGULAR template messages are paid.
-- One view a day: Meta may return the same days at several granularities and dimension sets
-- (one file by phone number and day, another by country and month...). A data point's day is
-- the tenant-local day of its middle; a monthly point stands on the first day of its month. A
-- view is a response's granularity and dimensions (ingest gives every point of a file the
-- dimensions any of its points carries, so one response is one view). Two views are never
-- added together. A request may also have been filtered (`country_codes`, `phone_numbers`,
-- `pricing_categories`...) and its response does not say so: it just has fewer points. A filter
-- only removes volume, so of the views of a day the one with the largest total is used (the
-- most complete), and only among views with that same total the one with the most dimensions
-- (then daily before half-hour). A month's view (the largest of the month's, the same way) is
-- used instead of the finer ones of its month when its total is larger than theirs (the sum of
-- the views chosen on its days); on equal totals the finer ones are used.
-- A dimension a response did not carry is NULL: its breakdown is not available, never zero.
-- Pages: Meta leaves `tier` out of free points, so a response requested with TIER and saved
-- page by page may have a later page of free points only, whose file then has no `tier`. Such a
-- file (no REGULAR point), beside a view of the same account and granularity with `tier`, is a
-- page of that view: its points join it, and a point both hold (the same request saved with
-- and without TIER) counts once.
WITH tiered_views AS (
    SELECT DISTINCT waba_id, granularity, dimensions FROM pricing_daily
    WHERE tenant_id = getvariable('tenant') AND list_contains(string_split(dimensions, ','), 'tier')
), free_pages AS (
    SELECT f.source_file, f.waba_id, f.granularity, f.dimensions, t.dimensions AS view_dimensions
    FROM (SELECT source_file, waba_id, granularity, dimensions FROM pricing_daily
          WHERE tenant_id = getvariable('tenant')
            AND NOT list_contains(string_split(dimensions, ','), 'tier')
          GROUP BY ALL
          HAVING bool_and(COALESCE(upper(pricing_type) <> 'REGULAR', false))) f
    JOIN tiered_views t ON t.waba_id IS NOT DISTINCT FROM f.waba_id
                       AND t.granularity = f.granularity
                       AND t.dimensions = CASE WHEN f.dimensions = '' THEN 'tier'
                                               ELSE f.dimensions || ',tier' END
), pmp_points AS (
    SELECT p.waba_id, p.start_ts, p.end_ts, p.granularity,
        COALESCE(fp.view_dimensions, p.dimensions) AS dimensions, p.phone_number, p.country,
        p.pricing_type, p.category, p.volume, p.cost_usd, p.tier
    FROM pricing_daily p
    LEFT JOIN free_pages fp ON fp.source_file = p.source_file
                           AND fp.waba_id IS NOT DISTINCT FROM p.waba_id
                           AND fp.granularity = p.granularity AND fp.dimensions = p.dimensions
    WHERE p.tenant_id = getvariable('tenant')
    QUALIFY fp.source_file IS NULL OR row_number() OVER (
        PARTITION BY p.waba_id, p.granularity, COALESCE(fp.view_dimensions, p.dimensions),
            p.start_ts, p.phone_number, p.country, p.pricing_type, p.category, p.tier
        ORDER BY fp.source_file IS NOT NULL, p.source_file) = 1
), points AS (
    SELECT 'CBP' AS era, waba_id, start_ts, end_ts, granularity, dimensions, phone_number,
        country, conversation_type AS pricing_type, conversation_direction, category,
        conversations AS quantity, cost_usd, NULL::VARCHAR AS tier
    FROM conversations WHERE tenant_id = getvariable('tenant')
    UNION ALL
    SELECT 'PMP', waba_id, start_ts, end_ts, granularity, dimensions, phone_number, country,
        pricing_type, NULL, category, volume, cost_usd, tier
    FROM pmp_points
), dated AS (
    SELECT *,
        CASE WHEN granularity = 'MONTHLY'
             THEN date_trunc('month', (to_timestamp((epoch(start_ts) + epoch(end_ts)) / 2)
                                      AT TIME ZONE getvariable('tz')))::DATE
             ELSE (to_timestamp((epoch(start_ts) + epoch(end_ts)) / 2)
                   AT TIME ZONE getvariable('tz'))::DATE END AS day,
        granularity || '|' || dimensions AS view,
        (CASE WHEN dimensions = '' THEN 0 ELSE len(string_split(dimensions, ',')) END) * 10
            + CASE granularity WHEN 'DAILY' THEN 2 WHEN 'HALF_HOUR' THEN 1 ELSE 0 END AS rank
    FROM points
), view_totals AS (
    -- per WABA: each account's files are views of its own messages
    SELECT era, waba_id, day, view, granularity = 'MONTHLY' AS monthly,
        sum(quantity) AS total, any_value(rank) AS rank
    FROM dated GROUP BY era, waba_id, day, view, granularity
), day_views AS (
    -- the most complete view of each day (of each month, among the monthly views)
    SELECT era, waba_id, day, monthly, max(total) AS total,
        first(view ORDER BY total DESC, rank DESC, view) AS view
    FROM view_totals GROUP BY era, waba_id, day, monthly
), month_totals AS (
    SELECT *,
        sum(CASE WHEN NOT monthly THEN total END)
            OVER (PARTITION BY era, waba_id, date_trunc('month', day)) AS finer_total,
        max(CASE WHEN monthly THEN total END)
            OVER (PARTITION BY era, waba_id, date_trunc('month', day)) AS monthly_total
    FROM day_views
), chosen AS (
    SELECT era, waba_id, day, view FROM month_totals
    WHERE CASE WHEN monthly THEN finer_total IS NULL OR total > finer_total
               ELSE monthly_total IS NULL OR monthly_total <= finer_total END
), analytics AS (
    SELECT d.* FROM dated d
    SEMI JOIN chosen c ON c.era = d.era AND c.waba_id IS NOT DISTINCT FROM d.waba_id
                      AND c.day = d.day AND c.view = d.view
), cbp_raw AS (
    SELECT waba_id, phone_number, country, day,
        'CBP' AS era, 'conversation' AS unit,
        -- Direction where Meta gave it; else the category tells it (service conversations are
        -- the user's); else it is not known.
        CASE conversation_direction WHEN 'USER_INITIATED' THEN 'user'
             WHEN 'BUSINESS_INITIATED' THEN 'business'
             ELSE CASE WHEN normalize_category(category) = 'service' THEN 'user'
                       WHEN normalize_category(category) IN ('unknown') OR category IS NULL
                       THEN 'not_reported' ELSE 'business' END END AS initiator,
        normalize_category(category) AS category, pricing_type, quantity,
        cost_usd AS meta_cost
    FROM analytics WHERE era = 'CBP'
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
        CASE WHEN pricing_type IS NULL OR pricing_type = 'UNKNOWN' THEN NULL
             WHEN NOT is_paid_conversation(pricing_type, category, day) THEN 0
             WHEN category = 'service' AND pricing_type = 'REGULAR'
                  AND day < DATE '2024-11-01' THEN quantity - greatest(0, least(quantity,
                      1000 - labelled - COALESCE(regular_before, 0)))
             ELSE quantity END AS paid_quantity
    FROM cbp_labelled
), pmp AS (
    SELECT waba_id, phone_number, country, day,
        'PMP' AS era, 'message' AS unit,
        CASE WHEN normalize_category(category) IN ('service', 'group_service')
                  OR pricing_type IN ('FREE_CUSTOMER_SERVICE', 'FREE_ENTRY_POINT',
                                      'FREE_GROUP_CUSTOMER_SERVICE') THEN 'user'
             WHEN category IS NULL OR normalize_category(category) = 'unknown' THEN 'not_reported'
             ELSE 'business' END AS initiator,
        normalize_category(category) AS category, pricing_type,
        quantity, cost_usd AS meta_cost, NULLIF(tier, '') AS tier,
        -- Without the pricing type (or with UNKNOWN) what was paid is not known.
        CASE WHEN pricing_type IS NULL OR pricing_type = 'UNKNOWN' THEN NULL
             WHEN is_paid_message(pricing_type, category) THEN quantity ELSE 0 END
            AS paid_quantity
    FROM analytics WHERE era = 'PMP'
), facts AS (
    SELECT * FROM cbp UNION ALL BY NAME SELECT * FROM pmp
)
SELECT * FROM facts
