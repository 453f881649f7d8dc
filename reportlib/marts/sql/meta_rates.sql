-- The rates Meta applied (docs/metrics.md, "Consumption report" and "Cost of a campaign").
-- Under per-message pricing, utility and authentication are billed in monthly volume tiers,
-- and Meta's pricing analytics give each data point's tier and the cost of its volume. One
-- row per tenant-local month, market, category and tier: Meta's cost and the paid volume of
-- the month's points (`analytics_points`: one view a day, paid as there) that carry a cost and
-- a tier, and their quotient, the rate Meta applied to that tier that month. Marketing has no
-- tiers, so no row: it keeps the rate card's rate. A point without a country has no market and
-- gives no rate.
-- Two rates, read two ways: `rate`, the tier's, for a consumption data point, which is in a
-- tier (consumption_facts.sql); `month_rate`, across the tiers (Meta's cost / paid volume of
-- every row of its month, market and category), for a message, which has no tier of its own
-- (a campaign's cost, campaign_messages.sql; the cost flag's campaign estimate,
-- daily_anomalies.sql).
SELECT month, market, category, tier, sum(meta_cost) AS meta_cost,
    sum(paid_quantity) AS paid_quantity, sum(meta_cost) / sum(paid_quantity) AS rate,
    sum(sum(meta_cost)) OVER across_tiers / sum(sum(paid_quantity)) OVER across_tiers
        AS month_rate
FROM (SELECT date_trunc('month', day)::DATE AS month, market_of_country(country) AS market,
          category, tier, meta_cost, paid_quantity
      FROM analytics_points
      WHERE era = 'PMP' AND tier IS NOT NULL AND meta_cost IS NOT NULL AND paid_quantity > 0
        AND market_of_country(country) IS NOT NULL)
GROUP BY month, market, category, tier
WINDOW across_tiers AS (PARTITION BY month, market, category)
