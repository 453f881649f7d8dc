-- Time metrics as median, p90 and mean with their counts, per group of
-- `attendance_grouped` (all, team, agent, tag, source). Ticket times count once per ticket.
-- Response time (docs/metrics.md, Attendance) counts once per customer message: each message a
-- customer sent at or after the ticket's first response, to the next agent message of the
-- ticket (messages never answered are left out); `response_per_ticket_minutes` is the second,
-- labelled figure: each ticket's mean of those times, once per ticket.
WITH messages AS (
    SELECT m.ticket_id, m.direction, m.sent_at, t.first_response_date,
        min(CASE WHEN m.direction = 'agent' THEN m.sent_at END) OVER (
            PARTITION BY m.ticket_id ORDER BY m.sent_at
            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS next_agent
    FROM ticket_messages m JOIN attendance_tickets t USING (ticket_id)
    WHERE m.tenant_id = getvariable('tenant')
), responses AS (
    SELECT ticket_id, epoch(next_agent - sent_at) / 60.0 AS minutes
    FROM messages
    WHERE direction = 'customer' AND next_agent IS NOT NULL
      AND first_response_date IS NOT NULL AND sent_at >= first_response_date
), per_ticket AS (
    SELECT ticket_id, avg(minutes) AS minutes FROM responses GROUP BY ticket_id
), long AS (
    SELECT dimension, grp, metric, minutes FROM (
        UNPIVOT attendance_grouped ON queue_minutes, first_response_minutes, waiting_minutes,
            handling_minutes, handling_from_open_minutes
        INTO NAME metric VALUE minutes)
    UNION ALL
    SELECT g.dimension, g.grp, 'response_minutes', r.minutes
    FROM attendance_grouped g JOIN responses r USING (ticket_id)
    UNION ALL
    SELECT g.dimension, g.grp, 'response_per_ticket_minutes', p.minutes
    FROM attendance_grouped g JOIN per_ticket p USING (ticket_id)
)
SELECT dimension, grp, metric, count(minutes) AS n,
    quantile_cont(minutes, 0.5) AS median, quantile_cont(minutes, 0.9) AS p90,
    avg(minutes) AS mean
FROM long GROUP BY ALL ORDER BY dimension, grp, metric
