-- Funnels of the tenant's params (temp table `funnel_steps`: funnel, step, category, action).
-- A user reaches step k at the first time they did step k at or after reaching step k-1, so
-- repeated events count once and a user who skips a step stops there. `events` counts every
-- event of the step in the period (the platform's convention; a row of the platform's export
-- stands for `Count` events), as the events table does, those without a contact too;
-- `users` those who reached it (an event without a contact reaches no step: no one to follow).
WITH RECURSIVE events AS (
    SELECT contact_identity AS user_id, category, action, storage_date AS at,
        COALESCE(event_count, 1) AS n
    FROM event_tracks
    WHERE tenant_id = getvariable('tenant')
      AND (storage_date AT TIME ZONE getvariable('tz'))::DATE
          BETWEEN getvariable('period_start') AND getvariable('period_end')
), reach(funnel, step, user_id, reached_at) AS (
    SELECT f.funnel, f.step, e.user_id, min(e.at)
    FROM funnel_steps f JOIN events e ON e.category = f.category AND e.action = f.action
    WHERE f.step = 1 AND e.user_id IS NOT NULL
    GROUP BY f.funnel, f.step, e.user_id
    UNION ALL
    SELECT f.funnel, f.step, r.user_id, min(e.at)
    FROM reach r
    JOIN funnel_steps f ON f.funnel = r.funnel AND f.step = r.step + 1
    JOIN events e ON e.user_id = r.user_id AND e.category = f.category
                 AND e.action = f.action AND e.at >= r.reached_at
    GROUP BY f.funnel, f.step, r.user_id
), users AS (
    SELECT funnel, step, count(*) AS users FROM reach GROUP BY ALL
), step_events AS (
    SELECT f.funnel, f.step, sum(e.n)::BIGINT AS events
    FROM funnel_steps f LEFT JOIN events e ON e.category = f.category AND e.action = f.action
    GROUP BY ALL
)
SELECT f.funnel, f.step, f.category, f.action, COALESCE(s.events, 0) AS events,
    COALESCE(u.users, 0) AS users
FROM funnel_steps f
LEFT JOIN users u USING (funnel, step)
LEFT JOIN step_events s USING (funnel, step)
ORDER BY f.funnel, f.step
