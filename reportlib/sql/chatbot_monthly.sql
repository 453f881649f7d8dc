-- MAU, MEU and MSGs per month (the period's months and the one before, for the change),
-- per bot and per router (docs/metrics.md, Chatbot metrics). A user is an identity on a channel.
WITH scoped AS (
    SELECT *, date_trunc('month', storage_date AT TIME ZONE getvariable('tz'))::DATE AS month
    FROM bot_messages
    WHERE tenant_id = getvariable('tenant')
      AND (storage_date AT TIME ZONE getvariable('tz'))::DATE
          BETWEEN (date_trunc('month', getvariable('period_start')) - INTERVAL 1 MONTH)::DATE
              AND getvariable('period_end')
), levels AS (
    SELECT 'bot' AS level, bot_id AS name, * FROM scoped
    UNION ALL BY NAME SELECT 'router' AS level, router_id AS name, * FROM scoped WHERE router_id IS NOT NULL
    UNION ALL BY NAME SELECT 'all' AS level, 'all' AS name, * FROM scoped
)
SELECT level, name, month,
    count(DISTINCT (user_identity, COALESCE(channel, ''))) AS mau,
    count(DISTINCT (user_identity, COALESCE(channel, '')))
        FILTER (WHERE direction = 'received') AS meu,
    count(*) AS msgs,
    count(*) FILTER (WHERE direction = 'sent') AS sent,
    count(*) FILTER (WHERE direction = 'received') AS received,
    month < date_trunc('month', getvariable('period_start'))::DATE AS previous
FROM levels GROUP BY ALL ORDER BY level, name, month
