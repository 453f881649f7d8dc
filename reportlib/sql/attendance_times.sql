-- Time metrics as median, p90 and mean with their counts, per group of
-- `attendance_grouped` (all, team, agent, tag, source).
WITH long AS (
    UNPIVOT attendance_grouped ON queue_minutes, first_response_minutes, waiting_minutes,
        response_minutes, handling_minutes, handling_from_open_minutes
    INTO NAME metric VALUE minutes
)
SELECT dimension, grp, metric, count(minutes) AS n,
    quantile_cont(minutes, 0.5) AS median, quantile_cont(minutes, 0.9) AS p90,
    avg(minutes) AS mean
FROM long GROUP BY ALL ORDER BY dimension, grp, metric
