-- Events per tenant-local day and category.
SELECT (storage_date AT TIME ZONE getvariable('tz'))::DATE AS day, category,
    sum(COALESCE(event_count, 1))::BIGINT AS events, count(DISTINCT contact_identity) AS users
FROM event_tracks
WHERE tenant_id = getvariable('tenant')
  AND (storage_date AT TIME ZONE getvariable('tz'))::DATE
      BETWEEN getvariable('period_start') AND getvariable('period_end')
GROUP BY ALL ORDER BY day, category
