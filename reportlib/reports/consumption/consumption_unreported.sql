-- The days Meta's analytics have not reported yet (docs/metrics.md, "Days Meta has not reported
-- yet"), and our estimate of their cost. Meta's analytics catch up a day or more after the
-- messages, and a day without a data point reads like a quiet day: the daily mean, the busiest
-- day and the projection counted it as 0. Meta reaches the last day of the period, before
-- as-of, with a data point; the days after it, up to the period's last day or the day before
-- as-of, are not reported yet when our own records (the status timelines) hold template
-- messages delivered on one of them. Without such messages they stay quiet days, as before.
-- Not judged when a monthly point covers the period: it stands on its month's first day and
-- does not say how far it reaches.
-- Our estimate covers what Meta has not reported: those messages not free (`message_billing`)
-- at the rate in force, under per-message pricing the rate Meta applied this month to the
-- tier its last paid point of the market and category was in (the tier in force), else the
-- rate card's. A paid message without a rate (no market, no category) is counted apart
-- (`paid_without_rate`), never priced at zero. Under conversation-based pricing a message is
-- not what Meta bills: no estimate (cost_usd NULL).
-- One row (kind, first, last, delivered, paid, cost_usd, paid_without_rate), or none.
WITH reach AS (
    SELECT max(day) AS reach, arg_max(era, day) AS era FROM consumption_facts
    WHERE day < getvariable('as_of')
), monthly AS (
    SELECT count(*) > 0 AS any FROM (
        SELECT 1 FROM pricing_daily
        WHERE tenant_id = getvariable('tenant') AND granularity = 'MONTHLY'
          AND start_ts < getvariable('period_end_ts') AND end_ts > getvariable('period_start_ts')
        UNION ALL
        SELECT 1 FROM conversations
        WHERE tenant_id = getvariable('tenant') AND granularity = 'MONTHLY'
          AND start_ts < getvariable('period_end_ts') AND end_ts > getvariable('period_start_ts'))
), span AS (
    SELECT r.era, r.reach + 1 AS first,
        least(getvariable('period_end'), getvariable('as_of') - 1) AS last
    FROM reach r, monthly m
    WHERE r.reach IS NOT NULL AND NOT m.any
), messages AS (
    -- per day, category, free or not and the recipient's first digits (calling codes have at
    -- most 3): the market and the rate are looked up once per group, not per message
    SELECT (COALESCE(t.delivered_at, t.read_at) AT TIME ZONE getvariable('tz'))::DATE AS day,
        normalize_category(t.category) AS category, b.free_reason IS NOT NULL AS free,
        left(regexp_replace(COALESCE(t.recipient, ''), '[^0-9]', '', 'g'), 4) AS prefix,
        count(*) AS n
    FROM message_timeline t
    LEFT JOIN message_billing b USING (message_id)
    WHERE t.tenant_id = getvariable('tenant') AND t.final_status IN ('delivered', 'read')
      AND COALESCE(normalize_category(t.category), 'service') <> 'service'
      AND COALESCE(t.delivered_at, t.read_at) >= getvariable('period_start_ts')
      AND COALESCE(t.delivered_at, t.read_at) < getvariable('as_of_ts')
      AND (COALESCE(t.delivered_at, t.read_at) AT TIME ZONE getvariable('tz'))::DATE
          BETWEEN (SELECT first FROM span) AND (SELECT last FROM span)
    GROUP BY ALL
), marketed AS (
    SELECT m.*, CASE WHEN m.prefix <> ''
                     THEN COALESCE(market_of_country(country_of_phone(m.prefix)), 'Other')
                     END AS market
    FROM messages m
), tiers AS (
    -- the tier in force: that of the last paid point Meta gave per market and category
    SELECT market, category, arg_max(tier, day) AS tier
    FROM consumption_facts
    WHERE era = 'PMP' AND paid_quantity > 0 AND tier IS NOT NULL AND market IS NOT NULL
    GROUP BY ALL
), priced AS (
    SELECT m.*, CASE WHEN NOT m.free
                     THEN COALESCE(r.rate, rate_in_force(m.market, m.category, m.day)) END
                    AS rate
    FROM marketed m
    LEFT JOIN tiers t ON t.market = m.market AND t.category = m.category
    LEFT JOIN meta_rates r ON r.month = date_trunc('month', m.day)::DATE
     AND r.market = t.market AND r.category = t.category AND r.tier = t.tier
)
SELECT CASE s.era WHEN 'CBP' THEN 'conversation_analytics' ELSE 'pricing_analytics' END AS kind,
    s.first, s.last, sum(p.n)::BIGINT AS delivered,
    COALESCE(sum(p.n) FILTER (WHERE NOT p.free), 0)::BIGINT AS paid,
    -- per message under per-message pricing; a conversation is no message (CBP: none)
    CASE WHEN s.era = 'PMP'
         THEN round(COALESCE(sum(p.n * p.rate) FILTER (WHERE NOT p.free AND p.rate IS NOT NULL),
                             0), 6) END::DOUBLE AS cost_usd,
    COALESCE(sum(p.n) FILTER (WHERE NOT p.free AND p.rate IS NULL), 0)::BIGINT
        AS paid_without_rate
FROM span s, priced p
WHERE s.first <= s.last
GROUP BY s.era, s.first, s.last
HAVING sum(p.n) > 0
