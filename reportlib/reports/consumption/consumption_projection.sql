-- End-of-month projection for an open period: each remaining day is expected to repeat the
-- mean of the observed days of the same weekday (all observed days when that weekday has not
-- occurred yet); the band takes the lowest and highest observed value of that weekday.
-- The cost projected is the headline cost (Meta's where Meta reports it, else our estimate),
-- the one the summary leads with: projecting our estimate instead said "so far" an amount the
-- summary does not show, and nothing at all for points only Meta prices (no country).
-- What Meta has not reported yet (consumption_unreported) is counted as the headline counts
-- it: paid messages and cost add our estimate of the messages Meta does not cover yet, so
-- that "so far" is never below the summary's cost (`days_estimated`: observed days Meta has
-- not reported). All messages (`quantity`) are Meta's alone: a day Meta has not reported is
-- not observed for them, it is projected like the days to come. A day whose estimate has no
-- rate at all is not observed for the cost.
-- Empty when the period is closed (as_of after its last day) or no full day was observed.
WITH days AS (
    SELECT unnest(generate_series(getvariable('period_start'), getvariable('period_end'),
                                  INTERVAL 1 DAY))::DATE AS day
), meta AS (
    SELECT d.day, COALESCE(sum(f.paid_quantity), 0)::DOUBLE AS paid,
        COALESCE(sum(f.quantity), 0)::DOUBLE AS quantity,
        COALESCE(sum(f.headline_cost), 0)::DOUBLE AS cost
    FROM days d LEFT JOIN consumption_facts f USING (day)
    GROUP BY d.day
), daily AS (
    SELECT m.day, m.paid + COALESCE(u.paid, 0) AS paid, m.quantity,
        m.cost + COALESCE(u.cost_usd, 0) AS cost, COALESCE(u.reported, true) AS reported,
        COALESCE(u.paid > 0 AND u.cost_usd IS NULL, false) AS cost_unknown
    FROM meta m LEFT JOIN consumption_unreported u USING (day)
), metrics AS (
    SELECT 'paid' AS metric, day, paid AS value, day < getvariable('as_of') AS observed,
        NOT reported AS estimated FROM daily
    UNION ALL SELECT 'quantity', day, quantity, day < getvariable('as_of') AND reported, false
    FROM daily
    UNION ALL SELECT 'cost_usd', day, cost,
        day < getvariable('as_of') AND NOT (cost_unknown AND NOT reported), NOT reported
    FROM daily
), observed AS (
    SELECT * FROM metrics WHERE observed
), remaining AS (
    -- a closed period projects nothing
    SELECT * FROM metrics
    WHERE NOT observed AND getvariable('as_of') <= getvariable('period_end')
), by_weekday AS (
    SELECT metric, dayofweek(day) AS weekday, avg(value) AS mean, min(value) AS low,
        max(value) AS high
    FROM observed GROUP BY ALL
), overall AS (
    SELECT metric, avg(value) AS mean, min(value) AS low, max(value) AS high, count(*) AS n,
        sum(value) AS to_date, count(*) FILTER (WHERE estimated) AS days_estimated
    FROM observed GROUP BY ALL
), expected AS (
    SELECT r.metric,
        sum(COALESCE(w.mean, o.mean)) AS mean, sum(COALESCE(w.low, o.low)) AS low,
        sum(COALESCE(w.high, o.high)) AS high, count(*) AS days_remaining
    FROM remaining r JOIN overall o USING (metric)
    LEFT JOIN by_weekday w ON w.metric = r.metric AND w.weekday = dayofweek(r.day)
    GROUP BY r.metric
)
SELECT o.metric, o.n AS days_observed, e.days_remaining, o.days_estimated,
    o.to_date, o.to_date + e.mean AS projected, o.to_date + e.low AS projected_low,
    o.to_date + e.high AS projected_high
FROM overall o JOIN expected e USING (metric)
ORDER BY o.metric
