-- Volume tiers reached (webhook `account_update`, VOLUME_BASED_PRICING_TIER_UPDATE; table
-- volume_tier_updates): one row per tier update reached in the period (a range of days
-- may start after a tier of its first month was reached), with the tier's bounds in messages delivered in the month (upper NULL when Meta
-- leaves it open: `MAX` or empty) and the tenant-local day it was reached.
SELECT effective_month, region, category, tier,
    split_part(tier, ':', 1)::BIGINT AS tier_lower,
    TRY_CAST(split_part(tier, ':', 2) AS BIGINT) AS tier_upper,
    ts AS reached_at, (ts AT TIME ZONE getvariable('tz'))::DATE AS reached_day
FROM volume_tier_updates
WHERE tenant_id = getvariable('tenant')
  AND effective_month BETWEEN date_trunc('month', getvariable('period_start'))
                          AND getvariable('period_end')
  AND ts >= getvariable('period_start_ts') AND ts < getvariable('period_end_ts')
ORDER BY ts, region, category, tier
