-- What the report stands on: per source kind, its rows on the tenant-local days of the period,
-- how many days have any, the first and last of them, and how many rows of the files that
-- gave them were rejected. Each source is read on the period's instants only (the tenant-local
-- days of the period, `period_start_ts` to `period_end_ts`, and the weeks before and after it
-- for missing_days): not the tenant's whole history.
-- Only the kinds the bundle's reports read (`in_coverage`): a chatbots bundle does not scan
-- the webhooks.
-- missing_days (docs/metrics.md, "Coverage"): a file that is missing or an export that
-- stopped, instead of a quiet stretch of zeros nobody is told about. For a kind whose records
-- flow every day (20 or more on its median day with data; never campaigns or Meta's
-- analytics), the runs of 3 or more of its expected days in a row without a record, named by
-- their days within the period. Its expected days: from its first record in the week before
-- the period or in the period (a source that begins then misses nothing before it), or from
-- the week before the period for a source with records before it (stopped and resumed), to the
-- day before as-of or a week after the period, whichever comes first, each day whose weekday
-- has a record on another day of that span (a desk closed on weekends expects none then; a
-- holiday on a Friday is a run of one). A run is found across the period's first or last day
-- (an outage from 30 Oct to 1 Nov is a run of 3 in both months' reports).
-- begins (docs/metrics.md, "Coverage"): the first day of a source the tenant has no record of
-- before the period, when that day is not the period's first. The days before it are not
-- available (the source had not begun), not quiet days: a chart shows them so and no mean
-- or change counts them. Not for campaigns or Meta's analytics, which need not have a
-- record every day (their first one is no sign of a beginning); for the notifications and
-- the webhooks, which have records only when messages are sent, only where the other shows
-- messages sent before (a tenant's first campaign is no export beginning).
WITH stamped AS (
    SELECT 'notifications' AS kind, accepted_at AS ts, source_file, true AS counted
    FROM notifications
    WHERE in_coverage('notifications')
      AND tenant_id = getvariable('tenant') AND in_period_and_week_around_ts(accepted_at)
    -- The platform's event log: a message on the day it was accepted, counted once; every
    -- event's file, for its rejected rows.
    UNION ALL SELECT 'notifications', accepted_at, NULL, true FROM notification_log l
    WHERE in_coverage('notifications')
      AND tenant_id = getvariable('tenant') AND in_period_and_week_around_ts(accepted_at)
      AND NOT EXISTS (
        SELECT 1 FROM notifications w
        WHERE w.tenant_id = l.tenant_id AND w.message_id = l.message_id)
    UNION ALL SELECT 'notifications', ts, source_file, false FROM notification_events
    WHERE in_coverage('notifications')
      AND tenant_id = getvariable('tenant') AND in_period_and_week_around_ts(ts)
    UNION ALL SELECT 'whatsapp_webhooks', ts, source_file, true FROM message_status_events
    WHERE in_coverage('whatsapp_webhooks')
      AND tenant_id = getvariable('tenant') AND in_period_and_week_around_ts(ts)
    UNION ALL SELECT 'whatsapp_webhooks', ts, source_file, true FROM inbound_messages
    WHERE in_coverage('whatsapp_webhooks')
      AND tenant_id = getvariable('tenant') AND in_period_and_week_around_ts(ts)
    UNION ALL SELECT 'campaigns', COALESCE(sent_at, scheduled_at), source_file, true
    FROM campaigns
    WHERE in_coverage('campaigns')
      AND tenant_id = getvariable('tenant')
      AND in_period_and_week_around_ts(COALESCE(sent_at, scheduled_at))
    UNION ALL SELECT 'bot_messages', storage_date, source_file, true FROM bot_messages
    WHERE in_coverage('bot_messages')
      AND tenant_id = getvariable('tenant') AND in_period_and_week_around_ts(storage_date)
    UNION ALL SELECT 'event_tracks', storage_date, source_file, true FROM event_tracks
    WHERE in_coverage('event_tracks')
      AND tenant_id = getvariable('tenant') AND in_period_and_week_around_ts(storage_date)
    UNION ALL SELECT 'tickets', storage_date, source_file, true FROM tickets
    WHERE in_coverage('tickets')
      AND tenant_id = getvariable('tenant') AND in_period_and_week_around_ts(storage_date)
    UNION ALL SELECT 'ticket_messages', sent_at, source_file, true FROM ticket_messages
    WHERE in_coverage('ticket_messages')
      AND tenant_id = getvariable('tenant') AND in_period_and_week_around_ts(sent_at)
    UNION ALL SELECT 'agent_status', started_at, source_file, true FROM agent_status
    WHERE in_coverage('agent_status')
      AND tenant_id = getvariable('tenant') AND in_period_and_week_around_ts(started_at)
), days AS (
    SELECT kind, (ts AT TIME ZONE getvariable('tz'))::DATE AS day, source_file, counted
    FROM stamped
    UNION ALL
    -- An analytics point is on the day the consumption report puts it: the local day of its
    -- middle, a monthly one on the first day of its month.
    SELECT kind, CASE WHEN granularity = 'MONTHLY'
                      THEN date_trunc('month', (to_timestamp((epoch(start_ts) + epoch(end_ts)) / 2)
                                               AT TIME ZONE getvariable('tz')))::DATE
                      ELSE (to_timestamp((epoch(start_ts) + epoch(end_ts)) / 2)
                            AT TIME ZONE getvariable('tz'))::DATE END, source_file, true
    FROM (SELECT 'pricing_analytics' AS kind, start_ts, end_ts, granularity, source_file
          FROM pricing_daily
          WHERE in_coverage('pricing_analytics') AND tenant_id = getvariable('tenant')
          UNION ALL
          SELECT 'conversation_analytics', start_ts, end_ts, granularity, source_file
          FROM conversations
          WHERE in_coverage('conversation_analytics') AND tenant_id = getvariable('tenant'))
), in_period AS (
    SELECT * FROM days
    WHERE day BETWEEN getvariable('period_start') AND getvariable('period_end')
), kinds AS (
    SELECT unnest(getvariable('coverage_kinds')) AS kind
), per_day AS (
    SELECT kind, day, count(*) AS n FROM in_period WHERE counted GROUP BY ALL
), steady AS (
    SELECT kind FROM per_day
    WHERE kind NOT IN ('campaigns', 'pricing_analytics', 'conversation_analytics')
    GROUP BY kind HAVING median(n) >= 20
), seen AS (
    -- the days with a record, the weeks before and after the period's included
    SELECT DISTINCT kind, day FROM days
    WHERE counted AND day >= getvariable('period_start') - 7
      AND day <= least(getvariable('period_end') + 7, getvariable('as_of') - 1)
), earlier AS (
    -- the kinds the tenant has a record of before the period's first day
    SELECT kind FROM (
        SELECT 'notifications' AS kind, EXISTS (
            SELECT 1 FROM notifications WHERE tenant_id = getvariable('tenant')
              AND accepted_at < getvariable('period_start_ts')) OR EXISTS (
            SELECT 1 FROM notification_log WHERE tenant_id = getvariable('tenant')
              AND accepted_at < getvariable('period_start_ts')) AS found
        UNION ALL SELECT 'whatsapp_webhooks', EXISTS (
            SELECT 1 FROM message_status_events WHERE tenant_id = getvariable('tenant')
              AND ts < getvariable('period_start_ts')) OR EXISTS (
            SELECT 1 FROM inbound_messages WHERE tenant_id = getvariable('tenant')
              AND ts < getvariable('period_start_ts'))
        UNION ALL SELECT 'bot_messages', EXISTS (
            SELECT 1 FROM bot_messages WHERE tenant_id = getvariable('tenant')
              AND storage_date < getvariable('period_start_ts'))
        UNION ALL SELECT 'event_tracks', EXISTS (
            SELECT 1 FROM event_tracks WHERE tenant_id = getvariable('tenant')
              AND storage_date < getvariable('period_start_ts'))
        UNION ALL SELECT 'tickets', EXISTS (
            SELECT 1 FROM tickets WHERE tenant_id = getvariable('tenant')
              AND storage_date < getvariable('period_start_ts'))
        UNION ALL SELECT 'ticket_messages', EXISTS (
            SELECT 1 FROM ticket_messages WHERE tenant_id = getvariable('tenant')
              AND sent_at < getvariable('period_start_ts'))
        UNION ALL SELECT 'agent_status', EXISTS (
            SELECT 1 FROM agent_status WHERE tenant_id = getvariable('tenant')
              AND started_at < getvariable('period_start_ts')))
    WHERE in_coverage(kind) AND found
), candidates AS (
    SELECT s.kind, e.day
    FROM steady s
    CROSS JOIN (SELECT unnest(generate_series(
                    getvariable('period_start') - 7,
                    least(getvariable('period_end') + 7, getvariable('as_of') - 1),
                    INTERVAL 1 DAY))::DATE AS day) e
    -- from its first record, or from the week before the period when it has records before
    -- it (an export that stopped before the period and resumed inside it missed those days)
    WHERE e.day >= CASE WHEN s.kind IN (SELECT kind FROM earlier)
                        THEN getvariable('period_start') - 7
                        ELSE (SELECT min(w.day) FROM seen w WHERE w.kind = s.kind) END
), expected AS (
    SELECT c.kind, c.day,
        EXISTS (SELECT 1 FROM seen w WHERE w.kind = c.kind AND w.day = c.day) AS has_record,
        row_number() OVER (PARTITION BY c.kind ORDER BY c.day) AS n
    FROM candidates c
    WHERE EXISTS (SELECT 1 FROM seen w WHERE w.kind = c.kind AND w.day <> c.day
                    AND isodow(w.day) = isodow(c.day))
), runs AS (
    -- expected days without a record one after another share n - (their rank among them);
    -- a run is named by its days within the period
    SELECT kind,
        min(day) FILTER (WHERE day >= getvariable('period_start')) AS first,
        max(day) FILTER (WHERE day <= getvariable('period_end')) AS last
    FROM (SELECT kind, day,
              n - row_number() OVER (PARTITION BY kind ORDER BY day) AS run
          FROM expected WHERE NOT has_record)
    GROUP BY kind, run HAVING count(*) >= 3
), gaps AS (
    -- an empty list for a kind judged without a run, NULL for one not judged
    SELECT s.kind, COALESCE(list({'first': r.first, 'last': r.last} ORDER BY r.first)
                                FILTER (WHERE r.first <= r.last), []) AS missing_days
    FROM steady s LEFT JOIN runs r USING (kind) GROUP BY s.kind
), begun AS (
    SELECT f.kind, f.first AS begins
    FROM (SELECT kind, min(day) AS first FROM in_period WHERE counted GROUP BY kind) f
    WHERE f.kind NOT IN ('campaigns', 'pricing_analytics', 'conversation_analytics')
      AND f.kind NOT IN (SELECT kind FROM earlier)
      AND f.first > getvariable('period_start')
      -- the notifications and the webhooks have records only when messages are sent: one
      -- begins only where the other shows messages sent before it (statuses subscribed
      -- while campaigns ran), never at a tenant's first campaign
      AND (f.kind NOT IN ('notifications', 'whatsapp_webhooks') OR EXISTS (
          SELECT 1 FROM days d
          WHERE d.counted AND d.day < f.first
            AND d.kind = CASE f.kind WHEN 'notifications' THEN 'whatsapp_webhooks'
                                     ELSE 'notifications' END))
), rejected AS (
    SELECT r.source_kind AS kind, count(*) AS rejected
    FROM rejected_rows r
    WHERE r.tenant_id = getvariable('tenant')
      AND r.file IN (SELECT source_file FROM in_period p WHERE p.kind = r.source_kind)
    GROUP BY ALL
)
SELECT k.kind, count(p.day) FILTER (WHERE p.counted)::BIGINT AS rows,
    count(DISTINCT p.day) FILTER (WHERE p.counted)::BIGINT AS days_with_data,
    min(p.day) FILTER (WHERE p.counted) AS first_day,
    max(p.day) FILTER (WHERE p.counted) AS last_day,
    COALESCE(any_value(r.rejected), 0)::BIGINT AS rejected,
    any_value(g.missing_days) AS missing_days,
    any_value(b.begins) AS begins
FROM kinds k
LEFT JOIN in_period p USING (kind)
LEFT JOIN rejected r USING (kind)
LEFT JOIN gaps g USING (kind)
LEFT JOIN begun b USING (kind)
GROUP BY k.kind
ORDER BY k.kind
