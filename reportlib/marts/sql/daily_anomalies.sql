-- Anomaly flags per tenant-day (docs/metrics.md, "Anomaly flags"): one row per flag, for days
-- of the period. Three series per day, each against the same weekday of the previous 8 weeks
-- (median and median absolute deviation of those days):
--   failure_rate  per error code: messages that failed with the code / messages sent that day
--   read_rate     per category: messages read within 24 h of the send / received (delivered
--                 or read), so that a recent day is measured like the older ones
--   cost          the headline cost of the day (Meta's where reported, else our estimate),
--                 from `consumption_facts_history` (the consumption facts over the baseline
--                 weeks and the period)
-- A day is judged only with enough volume (200 messages sent, 200 received of the category,
-- or US$ 5 on the day or in its baseline), with at least 4 baseline days that have it too
-- (rates; every baseline day counts for cost), once it can be measured: message days up to
-- two days before as-of (a day's reads within 24 h are in), cost days before as-of that Meta's
-- analytics already cover. robust_z = (value − baseline) / scale, scale = 1.4826 × MAD but
-- never below 1 percentage point (rates) or the larger of US$ 1 and 5 % of the baseline
-- (cost); a flag when |robust_z| > 3.5. campaign_messages: campaign messages sent that day.
WITH messages AS (
    SELECT (COALESCE(sent_at, accepted_at) AT TIME ZONE getvariable('tz'))::DATE AS day,
        normalize_category(category) AS category, final_status, error_code, campaign_id,
        read_at IS NOT NULL
            AND read_at <= COALESCE(sent_at, accepted_at) + INTERVAL 24 HOUR AS read_24h
    FROM message_timeline
    WHERE tenant_id = getvariable('tenant')
      AND COALESCE(sent_at, accepted_at) >= getvariable('baseline_start_ts')
      AND COALESCE(sent_at, accepted_at) < getvariable('period_end_ts')
), sent_days AS (
    SELECT day, count(*) AS messages, count(campaign_id) AS campaign_messages
    FROM messages GROUP BY day
), codes AS (
    SELECT DISTINCT error_code AS code FROM messages
    WHERE final_status = 'failed' AND error_code IS NOT NULL
), failed AS (
    SELECT day, error_code AS code, count(*) AS n FROM messages
    WHERE final_status = 'failed' AND error_code IS NOT NULL GROUP BY ALL
), cost_span AS (
    SELECT min(day) AS first_day, max(day) AS last_day FROM consumption_facts_history
), cost_days AS (
    SELECT unnest(generate_series(greatest(getvariable('baseline_start'), first_day),
                                  least(getvariable('period_end'), last_day),
                                  INTERVAL 1 DAY))::DATE AS day
    FROM cost_span WHERE last_day IS NOT NULL
), series AS (
    SELECT d.day, 'failure_rate' AS metric, c.code::VARCHAR AS subject,
        d.messages::DOUBLE AS volume, COALESCE(f.n, 0) / d.messages AS value
    FROM sent_days d CROSS JOIN codes c
    LEFT JOIN failed f ON f.day = d.day AND f.code = c.code
    UNION ALL
    SELECT day, 'read_rate', category,
        count(*) FILTER (WHERE final_status IN ('delivered', 'read'))::DOUBLE,
        count(*) FILTER (WHERE read_24h AND final_status IN ('delivered', 'read'))
            / count(*) FILTER (WHERE final_status IN ('delivered', 'read'))
    FROM messages WHERE category IS NOT NULL
    GROUP BY day, category
    HAVING count(*) FILTER (WHERE final_status IN ('delivered', 'read')) > 0
    UNION ALL
    SELECT d.day, 'cost', NULL, COALESCE(sum(f.headline_cost), 0),
        COALESCE(sum(f.headline_cost), 0)
    FROM cost_days d LEFT JOIN consumption_facts_history f USING (day)
    GROUP BY d.day
), rules AS (
    SELECT * FROM (VALUES ('failure_rate', 200.0, true), ('read_rate', 200.0, true),
                          ('cost', 5.0, false)) r(metric, minimum, baseline_needs_minimum)
), judged AS (
    SELECT s.day, s.metric, s.subject, s.value, s.volume, r.minimum,
        list(b.value ORDER BY b.day) FILTER (WHERE b.value IS NOT NULL) AS history
    FROM series s JOIN rules r USING (metric)
    LEFT JOIN series b
      ON b.metric = s.metric AND b.subject IS NOT DISTINCT FROM s.subject
     AND b.day < s.day AND b.day >= s.day - INTERVAL 56 DAY
     AND date_diff('day', b.day, s.day) % 7 = 0
     AND (NOT r.baseline_needs_minimum OR b.volume >= r.minimum)
    WHERE s.day BETWEEN getvariable('period_start') AND getvariable('period_end')
      AND CASE WHEN s.metric = 'cost' THEN s.day < getvariable('as_of')
               ELSE s.day + INTERVAL 1 DAY < getvariable('as_of') END
    GROUP BY ALL
), scored AS (
    SELECT *, list_aggregate(history, 'median') AS baseline,
        len(history) AS baseline_days
    FROM judged
), scaled AS (
    SELECT *,
        list_aggregate(list_transform(history, lambda x: abs(x - baseline)), 'median') AS mad
    FROM scored
)
SELECT day, metric, subject, value, baseline, mad,
    -- what the day's campaigns sent: a likely cause of a cost flag
    COALESCE((SELECT campaign_messages FROM sent_days d WHERE d.day = scaled.day), 0)
        AS campaign_messages,
    (value - baseline) / greatest(1.4826 * mad, CASE WHEN metric = 'cost'
                                                     THEN greatest(1.0, 0.05 * baseline)
                                                     ELSE 0.01 END) AS robust_z,
    volume, baseline_days
FROM scaled
WHERE baseline_days >= 4
  AND CASE WHEN metric = 'cost' THEN greatest(value, baseline) >= minimum
           ELSE volume >= minimum END
  AND abs((value - baseline) / greatest(1.4826 * mad, CASE WHEN metric = 'cost'
                                                           THEN greatest(1.0, 0.05 * baseline)
                                                           ELSE 0.01 END)) > 3.5
ORDER BY day, metric, subject
