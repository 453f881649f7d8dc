-- Each ticket of the period once per grouping the report shows: all, team, agent, source,
-- and each of its tags (a ticket with no tag under "(none)").
WITH tagged AS (
    SELECT *, unnest(CASE WHEN tags IS NULL OR tags = '' THEN ['(none)']
                          ELSE string_split(tags, '|') END) AS tag
    FROM attendance_tickets
)
SELECT 'all' AS dimension, 'all' AS grp, * FROM attendance_tickets
UNION ALL BY NAME SELECT 'team' AS dimension, COALESCE(team, '–') AS grp, * FROM attendance_tickets
UNION ALL BY NAME
SELECT 'agent' AS dimension, COALESCE(agent_identity, '–') AS grp, * FROM attendance_tickets
UNION ALL BY NAME SELECT 'source' AS dimension, source AS grp, * FROM attendance_tickets
UNION ALL BY NAME SELECT 'tag' AS dimension, tag AS grp, * EXCLUDE (tag) FROM tagged
