-- Cost by category: paid units per market and rate in force (a rate change inside the period
-- shows as two rows; a PMP volume tier, whose rate is the one Meta applied, is a row of its own),
-- our estimate and Meta's cost where Meta gives one.
SELECT category, market, era, unit, rate_usd, tier,
    -- the rate Meta applied to the tier this month, read from its analytics; false (never
    -- NULL) where no rate is known at all (no market without the country dimension)
    COALESCE(bool_or(rate_confidence = 'meta_tier'), false) AS tier_rate,
    CASE WHEN NOT COALESCE(bool_or(rate_confidence = 'meta_tier'), false) THEN (
    SELECT max(effective_from) FROM rate_card r
      WHERE r.market IN (f.market, fallback_market(f.market))
        AND r.category = rate_category(f.category) AND r.effective_from <= max(f.day)) END
        AS rate_effective_from,
    min(day) AS first_day, max(day) AS last_day,
    sum(paid_quantity)::BIGINT AS paid,
    sum(our_cost)::DOUBLE AS our_cost_usd,
    sum(meta_cost)::DOUBLE AS meta_cost_usd,
    count(*) FILTER (WHERE meta_cost IS NULL) AS points_without_meta_cost,
    -- a rate from secondary sources, not Meta's own card (rate card `confidence`)
    COALESCE(bool_or(rate_confidence = 'low'), false) AS low_confidence
FROM consumption_facts f
WHERE paid_quantity > 0 OR meta_cost > 0
GROUP BY category, market, era, unit, rate_usd, tier
ORDER BY category, market, first_day, tier
