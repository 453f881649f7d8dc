-- All events of the period and the distinct users behind them.
SELECT COALESCE(sum(COALESCE(event_count, 1)), 0)::BIGINT AS events,
    count(DISTINCT contact_identity) AS users
FROM event_tracks
WHERE tenant_id = getvariable('tenant')
  AND (storage_date AT TIME ZONE getvariable('tz'))::DATE
      BETWEEN getvariable('period_start') AND getvariable('period_end')
