-- Hours per agent in each status, intervals clipped to the period (an interval still open
-- counts up to as_of or the period's end, whichever is first).
WITH bounds AS (
    SELECT getvariable('period_start_ts') AS lo,
        least(getvariable('period_end_ts'), getvariable('as_of_ts')) AS hi
), clipped AS (
    SELECT s.agent_identity, s.status,
        greatest(s.started_at, b.lo) AS started,
        least(COALESCE(s.ended_at, b.hi), b.hi) AS ended
    FROM agent_status s, bounds b
    WHERE s.tenant_id = getvariable('tenant')
      AND s.started_at < b.hi AND COALESCE(s.ended_at, b.hi) > b.lo
)
SELECT agent_identity, status, sum(epoch(ended - started)) / 3600.0 AS hours
FROM clipped WHERE ended > started
GROUP BY ALL ORDER BY agent_identity, status
