-- Counts per group: opened, missed, abandoned, handled, closed, still open; SLA attainment:
-- answered tickets whose waiting time is within the target, over answered tickets; beside it
-- the missed tickets the share leaves out that waited longer than the target (StorageDate to
-- CloseDate) before the customer gave up.
SELECT dimension, grp,
    count(*) AS opened,
    count(*) FILTER (WHERE outcome = 'missed') AS missed,
    count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned,
    count(*) FILTER (WHERE outcome = 'handled') AS handled,
    count(*) FILTER (WHERE outcome IN ('missed', 'abandoned', 'handled')) AS closed,
    count(*) FILTER (WHERE outcome = 'open') AS still_open,
    count(waiting_minutes) AS answered,
    count(*) FILTER (WHERE waiting_minutes <= getvariable('sla_minutes')) AS within_sla,
    count(*) FILTER (WHERE waiting_minutes <= getvariable('sla_minutes'))
        / NULLIF(count(waiting_minutes), 0) AS sla_attainment,
    count(*) FILTER (WHERE outcome = 'missed'
                     AND epoch(close_date - storage_date) / 60.0 > getvariable('sla_minutes'))
        AS missed_past_target
FROM attendance_grouped GROUP BY ALL ORDER BY dimension, opened DESC, grp
