-- Staging for the consumption marts: one row per Meta analytics data point of the tenant on a
-- day of the period (`analytics_points`: one view a day, its tenant-local day, era, initiator
-- and paid units), with its market and our cost.
-- Our cost: paid units × the rate. Under PMP a point in a volume tier uses the rate Meta applied
-- to that tier this month (`meta_rates`: Meta's cost / paid volume of the month's points of the
-- same market, category and tier that carry a cost): it equals Meta's cost where Meta reports
-- one and is the tier rate in force where it does not. Elsewhere the rate card's rate in force.
SELECT *,
    -- The headline cost (docs/metrics.md): Meta's where Meta reports it, else our estimate.
    COALESCE(meta_cost, our_cost) AS headline_cost
FROM (
SELECT f.* EXCLUDE (tier_rate),
    COALESCE(f.tier_rate, rate_in_force(f.market, f.category, f.day)) AS rate_usd,
    CASE WHEN f.tier_rate IS NOT NULL THEN 'meta_tier'
         ELSE rate_confidence(f.market, f.category, f.day) END AS rate_confidence,
    -- Nothing paid costs nothing, rate or not; a paid point without a rate (or without the
    -- country that names its market) has no estimate: NULL, shown as not available.
    CASE WHEN f.paid_quantity = 0 THEN 0
         ELSE round(f.paid_quantity * COALESCE(f.tier_rate,
                    rate_in_force(f.market, f.category, f.day)), 6)
    END AS our_cost
FROM (SELECT f.*, market_of_country(f.country) AS market,
          f.quantity - f.paid_quantity AS free_quantity, t.rate AS tier_rate
      FROM analytics_points f
      LEFT JOIN meta_rates t ON t.month = date_trunc('month', f.day)::DATE
       AND t.market = market_of_country(f.country) AND t.category = f.category
       AND t.tier = f.tier) f
WHERE f.day BETWEEN getvariable('period_start') AND getvariable('period_end')
)
