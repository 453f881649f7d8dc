-- MAU, MEU and MSGs per month of the period, per bot, per router and in all (docs/metrics.md,
-- Chatbots). A user is an identity on a channel. Each month is measured over its observed span
-- (its days in the period before as-of) and, like for like, over the same days of the month
-- before and of the same month a year before: a span that ends on its month's last day compares
-- with one ending on that month's last day (a closed month against the whole month before). A
-- comparison span is available when the data received covers it: the tenant's bot messages
-- start on or before its first day and some fall inside it (a span without any is a gap in the
-- data received, e.g. months between two exports, not a quiet month), and no run of 3 or more
-- of its expected days lacks a record where the bot messages flow every day (20 or more on
-- the span's median day with data; an expected day: its weekday has a record on another day
-- of the span), as the coverage block judges the period's own days (source_coverage.sql): an
-- export that began or stopped inside the span left days of zeros that are no quiet days.
-- Otherwise its figures are NULL (not available), never zero; and so are both changes of a
-- month whose own span has such a run (span_complete false: the coverage block names it).
WITH months AS (
    SELECT unnest(generate_series(date_trunc('month', getvariable('period_start')),
                                  date_trunc('month', getvariable('period_end')),
                                  INTERVAL 1 MONTH))::DATE AS month
), spans AS (
    SELECT month, greatest(month, getvariable('period_start')) AS span_start,
        least(last_day(month), getvariable('period_end'), getvariable('as_of') - 1) AS span_end
    FROM months
), compared AS (
    SELECT s.month, s.span_start, s.span_end, k.kind,
        (s.span_start - to_months(k.back))::DATE AS cmp_start,
        CASE WHEN s.span_end = last_day(s.month) THEN last_day(s.month - to_months(k.back))
             ELSE (s.span_end - to_months(k.back))::DATE END AS cmp_end
    FROM spans s, (VALUES ('current', 0), ('previous', 1), ('year', 12)) k(kind, back)
    WHERE s.span_end >= s.span_start
), first_day AS (
    SELECT min((storage_date AT TIME ZONE getvariable('tz'))::DATE) AS first_day
    FROM bot_messages WHERE tenant_id = getvariable('tenant')
), scoped AS (
    SELECT *, (storage_date AT TIME ZONE getvariable('tz'))::DATE AS day
    FROM bot_messages
    WHERE tenant_id = getvariable('tenant')
      AND (storage_date AT TIME ZONE getvariable('tz'))::DATE
          BETWEEN (SELECT min(cmp_start) FROM compared) AND (SELECT max(cmp_end) FROM compared)
), levels AS (
    SELECT 'bot' AS level, bot_id AS name, * FROM scoped
    UNION ALL BY NAME SELECT 'router' AS level, router_id AS name, * FROM scoped WHERE router_id IS NOT NULL
    UNION ALL BY NAME SELECT 'all' AS level, 'all' AS name, * FROM scoped
), measured AS (
    SELECT l.level, l.name, c.month, c.kind,
        count(DISTINCT (l.user_identity, COALESCE(l.channel, ''))) AS mau,
        count(DISTINCT (l.user_identity, COALESCE(l.channel, '')))
            FILTER (WHERE l.direction = 'received') AS meu,
        count(*) AS msgs,
        count(*) FILTER (WHERE l.direction = 'sent') AS sent,
        count(*) FILTER (WHERE l.direction = 'received') AS received
    FROM compared c JOIN levels l ON l.day BETWEEN c.cmp_start AND c.cmp_end
    GROUP BY ALL
), span_counts AS (
    -- the bot messages of each span (the month's own and those it is compared with), per day
    -- with a record
    SELECT c.month, c.kind, l.day, count(*) AS n
    FROM compared c JOIN scoped l ON l.day BETWEEN c.cmp_start AND c.cmp_end
    GROUP BY ALL
), span_days AS (
    SELECT month, kind,
        unnest(generate_series(cmp_start, cmp_end, INTERVAL 1 DAY))::DATE AS day
    FROM compared
), expected AS (
    SELECT s.month, s.kind, s.day, d.n IS NOT NULL AS has_record,
        row_number() OVER (PARTITION BY s.month, s.kind ORDER BY s.day) AS i
    FROM span_days s
    LEFT JOIN span_counts d USING (month, kind, day)
    WHERE EXISTS (SELECT 1 FROM span_counts w
                  WHERE w.month = s.month AND w.kind = s.kind AND w.day <> s.day
                    AND isodow(w.day) = isodow(s.day))
), gapped AS (
    -- spans of a steady source with a run of 3 or more expected days without a record
    SELECT DISTINCT month, kind FROM (
        SELECT month, kind, i - row_number() OVER (PARTITION BY month, kind ORDER BY day) AS run
        FROM expected WHERE NOT has_record)
    SEMI JOIN (SELECT month, kind FROM span_counts GROUP BY month, kind
               HAVING median(n) >= 20) USING (month, kind)
    GROUP BY month, kind, run HAVING count(*) >= 3
), span_of AS (
    SELECT month, any_value(span_start) AS span_start, any_value(span_end) AS span_end,
        any_value(cmp_start) FILTER (WHERE kind = 'previous') AS previous_start,
        any_value(cmp_end) FILTER (WHERE kind = 'previous') AS previous_end,
        any_value(cmp_start) FILTER (WHERE kind = 'year') AS year_start,
        any_value(cmp_end) FILTER (WHERE kind = 'year') AS year_end
    FROM compared GROUP BY month
), covered AS (
    SELECT s.*,
        NOT EXISTS (SELECT 1 FROM gapped g WHERE g.month = s.month AND g.kind = 'current')
            AS span_complete,
        f.first_day <= s.previous_start AND EXISTS (
            SELECT 1 FROM measured c
            WHERE c.level = 'all' AND c.month = s.month AND c.kind = 'previous')
            AND NOT EXISTS (SELECT 1 FROM gapped g
                            WHERE g.month = s.month AND g.kind IN ('current', 'previous'))
            AS previous_available,
        f.first_day <= s.year_start AND EXISTS (
            SELECT 1 FROM measured c
            WHERE c.level = 'all' AND c.month = s.month AND c.kind = 'year')
            AND NOT EXISTS (SELECT 1 FROM gapped g
                            WHERE g.month = s.month AND g.kind IN ('current', 'year'))
            AS year_available
    FROM span_of s CROSS JOIN first_day f
)
SELECT m.level, m.name, m.month, s.span_start, s.span_end, s.span_complete, m.mau, m.meu,
    m.msgs, m.sent, m.received,
    s.previous_start, s.previous_end, s.previous_available,
    CASE WHEN s.previous_available THEN COALESCE(p.mau, 0) END AS previous_mau,
    CASE WHEN s.previous_available THEN COALESCE(p.meu, 0) END AS previous_meu,
    CASE WHEN s.previous_available THEN COALESCE(p.msgs, 0) END AS previous_msgs,
    s.year_start, s.year_end, s.year_available,
    CASE WHEN s.year_available THEN COALESCE(y.mau, 0) END AS year_mau,
    CASE WHEN s.year_available THEN COALESCE(y.meu, 0) END AS year_meu,
    CASE WHEN s.year_available THEN COALESCE(y.msgs, 0) END AS year_msgs
FROM measured m
JOIN covered s USING (month)
LEFT JOIN measured p ON p.level = m.level AND p.name = m.name AND p.month = m.month
                    AND p.kind = 'previous'
LEFT JOIN measured y ON y.level = m.level AND y.name = m.name AND y.month = m.month
                    AND y.kind = 'year'
WHERE m.kind = 'current'
ORDER BY m.level, m.name, m.month
