-- Summary: counts by era, unit, initiator, category and pricing type; paid, free; costs.
SELECT era, unit, initiator, category, pricing_type,
    sum(quantity)::BIGINT AS quantity,
    sum(paid_quantity)::BIGINT AS paid,
    sum(free_quantity)::BIGINT AS free,
    sum(our_cost)::DOUBLE AS our_cost_usd,
    sum(meta_cost)::DOUBLE AS meta_cost_usd,
    sum(headline_cost)::DOUBLE AS headline_cost_usd,
    sum(our_cost) FILTER (WHERE meta_cost IS NULL)::DOUBLE AS estimated_part_usd,
    count(*) FILTER (WHERE meta_cost IS NULL) AS points_without_meta_cost,
    count(*) FILTER (WHERE paid_quantity > 0 AND rate_usd IS NULL) AS points_without_rate,
    -- Paid units with no estimate (no rate on the card for the market, or no country in
    -- Meta's data): counted apart, never priced at zero.
    COALESCE(sum(paid_quantity) FILTER (WHERE paid_quantity > 0 AND our_cost IS NULL), 0)
        ::BIGINT AS paid_without_estimate,
    -- Units whose payment Meta's data does not tell (no type, or UNKNOWN): not in paid or free.
    COALESCE(sum(quantity) FILTER (WHERE paid_quantity IS NULL), 0)::BIGINT AS paid_unknown
FROM consumption_facts
GROUP BY ALL
ORDER BY era, unit, initiator, category, pricing_type
