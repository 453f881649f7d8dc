-- By phone number: counts per business phone number x category (label from the tenant params).
SELECT f.phone_number, COALESCE(any_value(p.label), '') AS label, f.unit, f.category,
    sum(f.quantity)::BIGINT AS quantity,
    sum(f.paid_quantity)::BIGINT AS paid,
    sum(f.free_quantity)::BIGINT AS free,
    sum(f.our_cost)::DOUBLE AS our_cost_usd
FROM consumption_facts f
LEFT JOIN phone_numbers p
  ON p.tenant_id = getvariable('tenant')
 AND regexp_replace(p.display_phone_number, '[^0-9]', '', 'g') = f.phone_number
GROUP BY f.phone_number, f.unit, f.category
ORDER BY f.phone_number, f.unit, f.category
