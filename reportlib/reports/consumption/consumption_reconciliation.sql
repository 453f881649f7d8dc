-- Reconciliation (PMP era; docs/metrics.md, "Reconciliation"): per tenant-local day x template
-- category, the delivered template messages of our own timelines (webhooks + the platform's
-- notifications) against the volume of Meta's pricing analytics, and our cost against Meta's.
-- Beside each pair, the figures the report needs to explain a difference by its cause:
--   delivered_on_meta_day   ours counted on the day Meta's points use (UTC days when Meta's
--                           daily points start at 00:00 UTC, else the local day): the day
--                           boundary part is delivered_on_meta_day - delivered;
--   outside_coverage        Meta's volume on a phone number and (Meta's) day with no message
--                           of ours at all (numbers or days the webhooks do not cover);
--   billed_here/billed_away messages Meta billed in this category while our template says
--                           another, and the reverse (Meta's billed category from the status
--                           webhooks' pricing.category);
--   our_free / meta_free    free by our reading (`message_billing`: webhook pricing, else a
--                           free window)
--                           against Meta's FREE_CUSTOMER_SERVICE + FREE_ENTRY_POINT volume;
--   meta_paid_at_card       Meta's paid volume priced at the rate card: meta_cost minus it is
--                           the part of the cost difference due to Meta's own rates (tiers);
--                           NULL when a paid point has no rate (no market without `country`).
-- meta_volume is NULL (not available, never zero) on a day Meta's analytics have no point
-- for; meta_cost is NULL when a paid point of the row carries no cost.
WITH meta_alignment AS (
    -- Meta's days are UTC days when all its daily points start at 00:00 UTC (the demo's and
    -- most fetches start at the tenant's midnight instead).
    SELECT COALESCE(bool_and(epoch(start_ts)::BIGINT % 86400 = 0), false) AS utc_days
    FROM pricing_daily
    WHERE tenant_id = getvariable('tenant') AND granularity = 'DAILY'
      AND start_ts >= getvariable('period_start_ts') - INTERVAL 1 DAY
      AND start_ts < getvariable('period_end_ts') + INTERVAL 1 DAY
), messages AS (
    -- a day away from the period at most (its UTC day may be Meta's): no other day counts
    SELECT message_id, delivered_at, day, utc_day, category, billed_category, phone, free,
        prefix
    FROM consumption_messages
), ours AS (
    -- the rate looked up once per day x category x market, not per message
    SELECT day, category, sum(delivered) AS delivered, sum(our_free) AS our_free,
        sum(our_paid) AS our_paid, sum(our_paid * rate) AS our_cost,
        sum(our_paid) FILTER (WHERE rate IS NULL) AS our_paid_without_rate
    FROM (SELECT *, rate_in_force(market, category, day) AS rate
          FROM (SELECT day, category,
                    CASE WHEN prefix <> ''
                         THEN COALESCE(market_of_country(country_of_phone(prefix)), 'Other')
                         END AS market,
                    sum(delivered) AS delivered, sum(our_free) AS our_free,
                    sum(our_paid) AS our_paid
                FROM (SELECT day, category, prefix, count(*) AS delivered,
                          count(*) FILTER (WHERE free) AS our_free,
                          count(*) FILTER (WHERE NOT free) AS our_paid
                      FROM messages GROUP BY ALL)
                GROUP BY ALL))
    GROUP BY ALL
), on_meta_day AS (
    SELECT CASE WHEN a.utc_days THEN m.utc_day ELSE m.day END AS day, m.category,
        count(*) AS delivered_on_meta_day
    FROM messages m, meta_alignment a GROUP BY ALL
), billed_moves AS (
    SELECT day, category, sum(here)::BIGINT AS billed_here, sum(away)::BIGINT AS billed_away
    FROM (SELECT day, billed_category AS category, 1 AS here, 0 AS away FROM messages
          WHERE billed_category <> category
          UNION ALL
          SELECT day, category, 0, 1 FROM messages WHERE billed_category <> category)
    GROUP BY ALL
), covered AS (
    -- on Meta's days, like delivered_on_meta_day, so that a day-boundary shift is not also
    -- counted as a day outside coverage
    SELECT DISTINCT CASE WHEN a.utc_days THEN m.utc_day ELSE m.day END AS day, m.phone
    FROM messages m, meta_alignment a
), meta_days AS (
    SELECT DISTINCT day FROM consumption_facts WHERE era = 'PMP'
), meta AS (
    SELECT f.day, f.category, sum(f.quantity) AS meta_volume,
        sum(f.quantity) FILTER (WHERE f.pricing_type IN ('FREE_CUSTOMER_SERVICE',
                                                         'FREE_ENTRY_POINT')) AS meta_free,
        sum(f.paid_quantity) AS meta_paid,
        CASE WHEN count(*) FILTER (WHERE f.paid_quantity > 0 AND f.meta_cost IS NULL) = 0
             THEN sum(f.meta_cost) END AS meta_cost,
        -- NULL (not available) when a paid point has no rate: no market without `country`
        CASE WHEN count(*) FILTER (WHERE f.paid_quantity > 0 AND
                                   rate_in_force(f.market, f.category, f.day) IS NULL) = 0
             THEN COALESCE(sum(f.paid_quantity * rate_in_force(f.market, f.category, f.day))
                           FILTER (WHERE f.paid_quantity > 0), 0) END AS meta_paid_at_card,
        sum(f.quantity) FILTER (
            WHERE f.phone_number IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM covered c
                WHERE c.day = f.day
                  AND c.phone = regexp_replace(f.phone_number, '[^0-9]', '', 'g')))
            AS outside_coverage
    FROM consumption_facts f
    WHERE f.era = 'PMP' AND f.category NOT IN ('service', 'unknown') GROUP BY ALL
), keys AS (
    SELECT day, category FROM ours UNION SELECT day, category FROM meta
    UNION SELECT day, category FROM billed_moves
)
SELECT k.day, k.category,
    COALESCE(o.delivered, 0)::BIGINT AS delivered,
    COALESCE(d.delivered_on_meta_day, 0)::BIGINT AS delivered_on_meta_day,
    CASE WHEN md.day IS NOT NULL THEN COALESCE(m.meta_volume, 0) END::BIGINT AS meta_volume,
    CASE WHEN md.day IS NOT NULL THEN COALESCE(m.outside_coverage, 0) END::BIGINT
        AS outside_coverage,
    COALESCE(b.billed_here, 0)::BIGINT AS billed_here,
    COALESCE(b.billed_away, 0)::BIGINT AS billed_away,
    COALESCE(o.our_free, 0)::BIGINT AS our_free,
    CASE WHEN md.day IS NOT NULL THEN COALESCE(m.meta_free, 0) END::BIGINT AS meta_free,
    COALESCE(o.our_paid, 0)::BIGINT AS our_paid,
    CASE WHEN md.day IS NOT NULL THEN COALESCE(m.meta_paid, 0) END::BIGINT AS meta_paid,
    -- NULL (not available, never a zero) when a paid message of ours has no rate
    CASE WHEN COALESCE(o.our_paid_without_rate, 0) = 0
         THEN round(COALESCE(o.our_cost, 0), 6) END::DOUBLE AS our_cost_usd,
    COALESCE(o.our_paid_without_rate, 0)::BIGINT AS our_paid_without_rate,
    CASE WHEN md.day IS NOT NULL AND NOT (m.meta_volume IS NOT NULL AND m.meta_cost IS NULL)
         THEN round(COALESCE(m.meta_cost, 0), 6) END::DOUBLE AS meta_cost_usd,
    -- a row Meta reports without a cost (billed through a provider): not available
    m.meta_volume IS NOT NULL AND m.meta_cost IS NULL AS meta_cost_missing,
    CASE WHEN md.day IS NOT NULL AND (m.meta_volume IS NULL OR m.meta_paid_at_card IS NOT NULL)
         THEN round(COALESCE(m.meta_paid_at_card, 0), 6) END::DOUBLE AS meta_paid_at_card_usd
FROM keys k
LEFT JOIN ours o USING (day, category)
LEFT JOIN on_meta_day d USING (day, category)
LEFT JOIN billed_moves b USING (day, category)
LEFT JOIN meta m USING (day, category)
LEFT JOIN meta_days md USING (day)
WHERE k.day BETWEEN getvariable('period_start') AND getvariable('period_end')
  AND k.day >= DATE '2025-07-01'
ORDER BY k.day, k.category
