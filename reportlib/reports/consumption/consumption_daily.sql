-- Daily count: every day of the period (zero-filled), business- vs user-initiated, per unit.
-- `reported` is false on the days Meta's analytics have not reported yet while our records hold
-- messages delivered on them (consumption_unreported): their zeros are not counts.
WITH days AS (
    SELECT unnest(generate_series(getvariable('period_start'), getvariable('period_end'),
                                  INTERVAL 1 DAY))::DATE AS day
), kinds AS (
    SELECT DISTINCT unit FROM consumption_facts
), grid AS (
    SELECT d.day, k.unit, i.initiator FROM days d, kinds k,
        -- units whose initiator Meta's data does not tell are a series of their own
        (SELECT 'business' AS initiator UNION SELECT 'user'
         UNION SELECT DISTINCT initiator FROM consumption_facts) AS i
)
SELECT g.day, g.unit, g.initiator,
    COALESCE(sum(f.quantity), 0)::BIGINT AS quantity,
    COALESCE(sum(f.paid_quantity), 0)::BIGINT AS paid,
    COALESCE(sum(f.our_cost), 0)::DOUBLE AS our_cost_usd,
    -- the headline cost (Meta's where reported, else ours): the projection's to-date line
    COALESCE(sum(f.headline_cost), 0)::DOUBLE AS cost_usd,
    g.day < getvariable('as_of') AS complete,
    NOT EXISTS (SELECT 1 FROM consumption_unreported u
                WHERE u.day = g.day AND NOT u.reported) AS reported
FROM grid g
LEFT JOIN consumption_facts f USING (day, unit, initiator)
GROUP BY ALL
ORDER BY g.day, g.unit, g.initiator
