-- Staging for the consumption marts: our delivered (or read) template messages of the tenant,
-- from a day before the period to a day after it (a UTC day may be Meta's), one row each,
-- read once for the reconciliation (consumption_reconciliation.sql) and for what Meta has not
-- reported yet (consumption_unreported.sql).
--   category         the template's; billed_category: Meta's (its webhooks' pricing.category)
--                    where the webhooks give one, else the template's
--   free             free by our reading (`message_billing`: webhook pricing, else a window)
--   phone, waba_id   the sending number's display digits and business account
--   prefix           the recipient's first digits (calling codes have at most 3): the market
--                    is looked up once per prefix, not per message
SELECT t.message_id, COALESCE(t.delivered_at, t.read_at) AS delivered_at,
    (COALESCE(t.delivered_at, t.read_at) AT TIME ZONE getvariable('tz'))::DATE AS day,
    (COALESCE(t.delivered_at, t.read_at) AT TIME ZONE 'UTC')::DATE AS utc_day,
    normalize_category(t.category) AS category,
    COALESCE(b.billed_category, normalize_category(t.category)) AS billed_category,
    regexp_replace(COALESCE(n.display_phone_number, ''), '[^0-9]', '', 'g') AS phone,
    n.waba_id,
    b.free_reason IS NOT NULL AS free,
    left(regexp_replace(COALESCE(t.recipient, ''), '[^0-9]', '', 'g'), 4) AS prefix
FROM message_timeline t
LEFT JOIN message_billing b USING (message_id)
LEFT JOIN phone_numbers n
  ON n.tenant_id = t.tenant_id AND n.phone_number_id = t.phone_number_id
WHERE t.tenant_id = getvariable('tenant') AND t.final_status IN ('delivered', 'read')
  AND COALESCE(normalize_category(t.category), 'service') <> 'service'
  AND COALESCE(t.delivered_at, t.read_at) >= getvariable('period_start_ts') - INTERVAL 1 DAY
  AND COALESCE(t.delivered_at, t.read_at) < getvariable('period_end_ts') + INTERVAL 1 DAY
