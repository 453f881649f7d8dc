-- The days Meta's analytics have not reported yet (docs/metrics.md, "Days Meta has not reported
-- yet"). Meta's analytics catch up a day or more after the messages, and a day without a data
-- point reads like a quiet day: the daily mean, the busiest day and the projection counted it as
-- 0. Meta reaches the last day of the period, before as-of, with a data point; the days after
-- it, up to the period's last day or the day before as-of, are not reported yet when our own
-- records (the status timelines) hold template messages delivered on one of them. Without such
-- messages they stay quiet days, as before. Not judged when a monthly point covers the period:
-- it stands on its month's first day and does not say how far it reaches.
-- One row (kind, first, last, delivered), or none.
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
), ours AS (
    SELECT count(*) AS delivered
    FROM message_timeline t, span s
    WHERE t.tenant_id = getvariable('tenant') AND t.final_status IN ('delivered', 'read')
      AND COALESCE(normalize_category(t.category), 'service') <> 'service'
      AND COALESCE(t.delivered_at, t.read_at) >= getvariable('period_start_ts')
      AND COALESCE(t.delivered_at, t.read_at) < getvariable('as_of_ts')
      AND (COALESCE(t.delivered_at, t.read_at) AT TIME ZONE getvariable('tz'))::DATE
          BETWEEN s.first AND s.last
)
SELECT CASE s.era WHEN 'CBP' THEN 'conversation_analytics' ELSE 'pricing_analytics' END AS kind,
    s.first, s.last, o.delivered::BIGINT AS delivered
FROM span s, ours o
WHERE s.first <= s.last AND o.delivered > 0
