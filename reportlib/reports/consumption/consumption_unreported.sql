-- What Meta's analytics do not cover yet (docs/metrics.md, "Days Meta has not reported yet"),
-- per tenant-local day: our template messages delivered after Meta's last data point, and our
-- estimate of their cost. Meta's analytics catch up a day or more after the messages; a day
-- without a data point read like a quiet day and the last messages cost nothing.
-- How far Meta reaches is an instant per business account: the end of its last daily (or
-- half-hour) point, whatever the day boundary its points use (UTC or the tenant's midnight).
-- A message counts here when it was delivered (or read) at or after its account's reach, in
-- the period and before as-of; a message of an account that has no point (or of no known
-- account) goes by the farthest reach of the tenant's accounts. A local day holding such
-- messages is `reported` when Meta has a point on it for each account they belong to (Meta
-- lags by hours: its figure of the day stands, our estimate adds the rest); otherwise Meta
-- has not reported it yet: not a quiet day. A day with none of our messages after the reach
-- is a quiet day, as before. Nothing is judged when a monthly point stands in the period's
-- months: it does not say how far it reaches.
-- The estimate: each message not free (`message_billing`), in the category Meta bills it in
-- (its webhooks' pricing.category, else its template's), at the rate in force: for a
-- category in volume tiers, the rate Meta applied this month to the tier of its last paid
-- point of that market and category (the tier in force), else the rate card's. Under
-- conversation-based pricing a message is not what Meta bills: no estimate (cost_usd NULL).
-- A paid message without a rate is counted apart (`paid_without_rate`); cost_usd is NULL
-- when no paid message of the day has one, never a price of zero.
WITH points AS (
    SELECT waba_id, start_ts, end_ts, granularity FROM pricing_daily
    WHERE tenant_id = getvariable('tenant')
    UNION ALL
    SELECT waba_id, start_ts, end_ts, granularity FROM conversations
    WHERE tenant_id = getvariable('tenant')
), reach AS (
    SELECT waba_id, max(end_ts) AS reach FROM points
    WHERE granularity <> 'MONTHLY' GROUP BY waba_id
), monthly AS (
    SELECT count(*) > 0 AS has_monthly FROM points
    WHERE granularity = 'MONTHLY'
      AND (to_timestamp((epoch(start_ts) + epoch(end_ts)) / 2) AT TIME ZONE getvariable('tz'))::DATE
          BETWEEN date_trunc('month', getvariable('period_start'))::DATE
              AND getvariable('period_end')
), messages AS (
    SELECT m.delivered_at, m.day,
        -- the account, when Meta has points of it (else the tenant's farthest reach)
        CASE WHEN r.reach IS NOT NULL THEN m.waba_id END AS waba_id,
        COALESCE(r.reach, (SELECT max(reach) FROM reach)) AS reach,
        m.billed_category AS category, m.free, m.prefix
    FROM consumption_messages m
    LEFT JOIN reach r ON r.waba_id = m.waba_id
    WHERE m.delivered_at >= getvariable('period_start_ts')
      AND m.delivered_at < least(getvariable('period_end_ts'), getvariable('as_of_ts'))
), late AS (
    SELECT day, waba_id, category, free, prefix, count(*) AS n
    FROM messages
    WHERE reach IS NOT NULL AND delivered_at >= reach AND NOT (SELECT has_monthly FROM monthly)
    GROUP BY ALL
), days_of_accounts AS (
    -- Meta has a point on that day for that account
    SELECT l.day, l.waba_id,
        EXISTS (SELECT 1 FROM consumption_facts f
                WHERE f.day = l.day AND (l.waba_id IS NULL OR f.waba_id = l.waba_id)) AS on_meta
    FROM (SELECT DISTINCT day, waba_id FROM late) l
), tiers AS (
    -- the tier in force: that of the last paid point Meta gave per market and category
    SELECT market, category, arg_max(tier, day) AS tier
    FROM consumption_facts
    WHERE era = 'PMP' AND paid_quantity > 0 AND tier IS NOT NULL AND market IS NOT NULL
    GROUP BY ALL
), priced AS (
    SELECT l.*, pricing_era(l.day) AS era,
        CASE WHEN NOT l.free AND pricing_era(l.day) = 'PMP'
             THEN COALESCE(r.rate, rate_in_force(l.market, l.category, l.day)) END AS rate
    FROM (SELECT *, CASE WHEN prefix <> ''
                         THEN COALESCE(market_of_country(country_of_phone(prefix)), 'Other')
                         END AS market
          FROM late) l
    LEFT JOIN tiers t ON t.market = l.market AND t.category = l.category
    LEFT JOIN meta_rates r ON r.month = date_trunc('month', l.day)::DATE
     AND r.market = t.market AND r.category = t.category AND r.tier = t.tier
)
SELECT p.day, any_value(p.era) AS era,
    sum(p.n)::BIGINT AS delivered,
    COALESCE(sum(p.n) FILTER (WHERE NOT p.free), 0)::BIGINT AS paid,
    CASE WHEN any_value(p.era) = 'PMP'
          AND (COALESCE(sum(p.n) FILTER (WHERE NOT p.free), 0) = 0
               OR count(*) FILTER (WHERE p.rate IS NOT NULL) > 0)
         THEN round(COALESCE(sum(p.n * p.rate) FILTER (WHERE p.rate IS NOT NULL), 0), 6)
         END::DOUBLE AS cost_usd,
    CASE WHEN any_value(p.era) = 'PMP'
         THEN COALESCE(sum(p.n) FILTER (WHERE NOT p.free AND p.rate IS NULL), 0) ELSE 0
         END::BIGINT AS paid_without_rate,
    bool_and(a.on_meta) AS reported
FROM priced p JOIN days_of_accounts a ON a.day = p.day AND a.waba_id IS NOT DISTINCT FROM p.waba_id
GROUP BY p.day
ORDER BY p.day
