-- Hours per agent in each status (docs/metrics.md, Attendance), plus the hours with no status
-- recorded (status 'none'), so that each agent's hours add up to the period (up to as-of, or
-- the period's end, whichever is first). An agent has one status at a time: an interval ends
-- at its EndedAt, at the agent's next status, or (still open) at that bound, whichever is
-- first; intervals are clipped to the period. Agents: those with any status in the period.
-- A tenant whose agent statuses begin inside the period (none before it: coverage `begins`)
-- is measured from the start of that day: the hours before it are not available, not hours
-- with no status recorded.
WITH began AS (
    SELECT CASE WHEN NOT EXISTS (
                    SELECT 1 FROM agent_status WHERE tenant_id = getvariable('tenant')
                      AND started_at < getvariable('period_start_ts'))
                THEN ((min(started_at) AT TIME ZONE getvariable('tz'))::DATE::TIMESTAMP
                      AT TIME ZONE getvariable('tz')) END AS first_day_ts
    FROM agent_status
    WHERE tenant_id = getvariable('tenant') AND started_at >= getvariable('period_start_ts')
), bounds AS (
    SELECT greatest(getvariable('period_start_ts'),
                    COALESCE((SELECT first_day_ts FROM began), getvariable('period_start_ts')))
            AS lo,
        least(getvariable('period_end_ts'), getvariable('as_of_ts')) AS hi
), ordered AS (
    SELECT agent_identity, status, started_at, ended_at,
        lead(started_at) OVER (PARTITION BY agent_identity
                               ORDER BY started_at, ended_at NULLS LAST, status) AS next_start
    FROM agent_status WHERE tenant_id = getvariable('tenant')
), clipped AS (
    SELECT s.agent_identity, s.status,
        greatest(s.started_at, b.lo) AS started,
        least(COALESCE(s.ended_at, b.hi), COALESCE(s.next_start, b.hi), b.hi) AS ended
    FROM ordered s, bounds b
    WHERE s.started_at < b.hi AND COALESCE(s.ended_at, b.hi) > b.lo
), in_status AS (
    SELECT agent_identity, status, sum(epoch(ended - started)) / 3600.0 AS hours
    FROM clipped WHERE ended > started
    GROUP BY ALL
)
SELECT agent_identity, status, hours FROM in_status
UNION ALL
SELECT i.agent_identity, 'none' AS status,
    greatest(epoch(any_value(b.hi) - any_value(b.lo)) / 3600.0 - sum(i.hours), 0) AS hours
FROM in_status i, bounds b
GROUP BY i.agent_identity
ORDER BY agent_identity, status
