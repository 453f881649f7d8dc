-- End-of-month projection for an open period: each remaining day is expected to repeat the
-- mean of the observed days of the same weekday (all observed days when that weekday has not
-- occurred yet); the band takes the lowest and highest observed value of that weekday.
-- The days Meta's analytics have not reported yet (consumption_unreported) are not observed
-- zeros: they are projected like the days to come (`days_unreported` of `days_remaining`).
-- Empty when the period is closed (as_of after its last day) or no full day was observed.
-- The cost projected is the headline cost (Meta's where Meta reports it, else our estimate),
-- the one the summary leads with: projecting our estimate instead said "so far" an amount the
-- summary does not show, and nothing at all for points only Meta prices (no country).
WITH days AS (
    SELECT unnest(generate_series(getvariable('period_start'), getvariable('period_end'),
                                  INTERVAL 1 DAY))::DATE AS day
), daily AS (
    SELECT d.day, COALESCE(sum(f.paid_quantity), 0)::DOUBLE AS paid,
        COALESCE(sum(f.quantity), 0)::DOUBLE AS quantity,
        COALESCE(sum(f.headline_cost), 0)::DOUBLE AS cost,
        NOT EXISTS (SELECT 1 FROM consumption_unreported u
                    WHERE d.day BETWEEN u.first AND u.last) AS reported
    FROM days d LEFT JOIN consumption_facts f USING (day)
    GROUP BY d.day
), observed AS (
    SELECT * FROM daily WHERE day < getvariable('as_of') AND reported
), remaining AS (
    -- a closed period projects nothing, its days not reported yet included
    SELECT * FROM daily
    WHERE (day >= getvariable('as_of') OR NOT reported)
      AND getvariable('as_of') <= getvariable('period_end')
), metrics AS (
    SELECT 'paid' AS metric, day, paid AS value FROM observed
    UNION ALL SELECT 'quantity', day, quantity FROM observed
    UNION ALL SELECT 'cost_usd', day, cost FROM observed
), by_weekday AS (
    SELECT metric, dayofweek(day) AS weekday, avg(value) AS mean, min(value) AS low,
        max(value) AS high
    FROM metrics GROUP BY ALL
), overall AS (
    SELECT metric, avg(value) AS mean, min(value) AS low, max(value) AS high, count(*) AS n
    FROM metrics GROUP BY ALL
), expected AS (
    SELECT o.metric,
        sum(COALESCE(w.mean, o.mean)) AS mean, sum(COALESCE(w.low, o.low)) AS low,
        sum(COALESCE(w.high, o.high)) AS high, count(*) AS days_remaining,
        count(*) FILTER (WHERE NOT r.reported) AS days_unreported
    FROM remaining r CROSS JOIN overall o
    LEFT JOIN by_weekday w ON w.metric = o.metric AND w.weekday = dayofweek(r.day)
    GROUP BY o.metric
)
SELECT o.metric, o.n AS days_observed, e.days_remaining, e.days_unreported,
    (SELECT sum(value) FROM metrics m WHERE m.metric = o.metric) AS to_date,
    (SELECT sum(value) FROM metrics m WHERE m.metric = o.metric) + e.mean AS projected,
    (SELECT sum(value) FROM metrics m WHERE m.metric = o.metric) + e.low AS projected_low,
    (SELECT sum(value) FROM metrics m WHERE m.metric = o.metric) + e.high AS projected_high
FROM overall o JOIN expected e USING (metric)
ORDER BY o.metric
