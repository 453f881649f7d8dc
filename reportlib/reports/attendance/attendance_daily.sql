-- Tickets opened and closed per tenant-local day of the period (zero-filled).
WITH days AS (
    SELECT unnest(generate_series(getvariable('period_start'), getvariable('period_end'),
                                  INTERVAL 1 DAY))::DATE AS day
), opened AS (
    SELECT (storage_date AT TIME ZONE getvariable('tz'))::DATE AS day, count(*) AS n
    FROM tickets WHERE tenant_id = getvariable('tenant') GROUP BY ALL
), closed AS (
    SELECT (close_date AT TIME ZONE getvariable('tz'))::DATE AS day, count(*) AS n
    FROM tickets WHERE tenant_id = getvariable('tenant') AND close_date IS NOT NULL
    GROUP BY ALL
)
SELECT d.day, COALESCE(o.n, 0) AS opened, COALESCE(c.n, 0) AS closed
FROM days d LEFT JOIN opened o USING (day) LEFT JOIN closed c USING (day)
ORDER BY d.day
