-- The most frequent labels per category and action.
SELECT category, action, label, sum(COALESCE(event_count, 1))::BIGINT AS events, count(DISTINCT contact_identity) AS users
FROM event_tracks
WHERE tenant_id = getvariable('tenant') AND label IS NOT NULL AND label <> ''
  AND (storage_date AT TIME ZONE getvariable('tz'))::DATE
      BETWEEN getvariable('period_start') AND getvariable('period_end')
GROUP BY ALL ORDER BY events DESC, category, action, label LIMIT 50
