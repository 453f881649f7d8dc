-- Reads and replies of campaign messages by weekday (1 = Monday) x hour, in the tenant's zone.
WITH events AS (
    SELECT read_at AS event_at, 'read' AS kind FROM campaign_messages WHERE read_at IS NOT NULL
    UNION ALL
    SELECT replied_at, 'reply' FROM campaign_messages WHERE replied_24h
)
SELECT isodow(event_at AT TIME ZONE getvariable('tz')) AS weekday,
    hour(event_at AT TIME ZONE getvariable('tz')) AS hour,
    count(*) FILTER (WHERE kind = 'read') AS reads,
    count(*) FILTER (WHERE kind = 'reply') AS replies
FROM events GROUP BY ALL ORDER BY weekday, hour
