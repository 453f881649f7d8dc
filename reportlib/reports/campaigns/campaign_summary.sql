-- Per campaign: audience, pending, sent, failed, received, read, replied, tickets, the rates
-- with their denominators (docs/metrics.md, "Campaign metrics") and time to read (median, p90).
-- Estimated cost (campaign_messages.cost_usd): the sum over the messages that have a price;
-- billable messages without one are counted apart (cost_not_available), never priced at zero;
-- NULL when no billable message has a price. Cost per read / per reply only when every
-- billable message has a price.
-- Tickets (and the ticket rate) are NULL, not available, when the tenant's tickets source has
-- no record in the period (nor in both the week before and the week after it: a quiet few
-- days), or the campaign was sent before the
-- tenant's first ticket ever (the source had not begun), and no ticket names the campaign: a
-- count of 0 then would be an export not received, not recipients who never opened a ticket.
-- The campaigns of the period are campaign_messages' (first message accepted in the period),
-- and those with no message at all whose send (else schedule) falls in it: a campaign the
-- export says was sent on Oct 31 whose messages were accepted from Nov 1 is November's only,
-- never also an October campaign of no message.
WITH scoped AS (
    SELECT DISTINCT campaign_id FROM campaign_messages
    UNION
    SELECT campaign_id FROM campaigns c
    WHERE tenant_id = getvariable('tenant')
      AND (COALESCE(sent_at, scheduled_at) AT TIME ZONE getvariable('tz'))::DATE
          BETWEEN getvariable('period_start') AND getvariable('period_end')
      AND NOT EXISTS (SELECT 1 FROM message_timeline m
                      WHERE m.tenant_id = getvariable('tenant')
                        AND m.campaign_id = c.campaign_id)
), counts AS (
    SELECT campaign_id,
        count(*) AS audience,
        count(*) FILTER (WHERE final_status = 'pending') AS pending,
        count(*) FILTER (WHERE final_status = 'failed') AS failed,
        count(*) FILTER (WHERE final_status IN ('delivered', 'read')) AS received,
        count(*) FILTER (WHERE final_status = 'read') AS read,
        count(*) FILTER (WHERE replied_24h) AS replied,
        -- Recipients who received the campaign and asked WhatsApp to stop the business's
        -- marketing messages within 7 days of its send (campaign_messages.opted_out_7d);
        -- NULL (not available) when the tenant's webhooks carry no marketing preferences.
        CASE WHEN count(opted_out_7d) > 0
             THEN count(DISTINCT recipient) FILTER (WHERE opted_out_7d) END AS opted_out,
        quantile_cont(minutes_to_read, 0.5) AS minutes_to_read_median,
        quantile_cont(minutes_to_read, 0.9) AS minutes_to_read_p90,
        min(accepted_at) AS first_accepted,
        count(*) FILTER (WHERE billable) AS billable,
        count(*) FILTER (WHERE final_status IN ('delivered', 'read')
                         AND free_reason IS NOT NULL) AS free_messages,
        count(*) FILTER (WHERE billable AND cost_usd IS NULL) AS cost_not_available,
        sum(cost_usd) AS priced_cost
    FROM campaign_messages GROUP BY campaign_id
), tickets_opened AS (
    SELECT campaign_id, count(*) AS tickets FROM tickets
    WHERE tenant_id = getvariable('tenant') AND campaign_id IS NOT NULL GROUP BY campaign_id
), tickets_source AS (
    -- a record in the period, or in the week before it and in the week after it: a quiet
    -- few days between records are no missing export (one that stopped before is)
    SELECT EXISTS (SELECT 1 FROM tickets WHERE tenant_id = getvariable('tenant')
                   AND in_period_ts(storage_date))
        OR (EXISTS (SELECT 1 FROM tickets WHERE tenant_id = getvariable('tenant')
                    AND storage_date >= getvariable('period_start_ts') - INTERVAL 7 DAY
                    AND storage_date < getvariable('period_start_ts'))
            AND EXISTS (SELECT 1 FROM tickets WHERE tenant_id = getvariable('tenant')
                        AND storage_date >= getvariable('period_end_ts')
                        AND storage_date < getvariable('period_end_ts') + INTERVAL 7 DAY))
        AS known,
        -- the local day of the tenant's first ticket ever: a campaign sent before it could
        -- have opened tickets the source does not hold (it had not begun)
        (SELECT (min(storage_date) AT TIME ZONE getvariable('tz'))::DATE FROM tickets
         WHERE tenant_id = getvariable('tenant')) AS first_day
), known AS (
    SELECT s.campaign_id,
        k.known AND COALESCE((COALESCE(c.sent_at, n.first_accepted)
                              AT TIME ZONE getvariable('tz'))::DATE >= k.first_day, true)
        OR COALESCE(t.tickets, 0) > 0 AS known
    FROM scoped s
    LEFT JOIN (SELECT * FROM campaigns WHERE tenant_id = getvariable('tenant')) c
        USING (campaign_id)
    LEFT JOIN counts n USING (campaign_id)
    LEFT JOIN tickets_opened t USING (campaign_id)
    CROSS JOIN tickets_source k
)
SELECT s.campaign_id,
    COALESCE(c.campaign_name, s.campaign_id) AS campaign_name,
    c.template_name, normalize_category(c.category) AS category, c.status,
    c.scheduled_at, COALESCE(c.sent_at, n.first_accepted) AS sent_at,
    COALESCE(c.invalid_contacts, 0) AS invalid_contacts,
    COALESCE(n.audience, 0) AS audience, COALESCE(n.pending, 0) AS pending,
    COALESCE(n.audience, 0) - COALESCE(n.pending, 0) AS sent,
    COALESCE(n.failed, 0) AS failed, COALESCE(n.received, 0) AS received,
    COALESCE(n.read, 0) AS read, COALESCE(n.replied, 0) AS replied,
    CASE WHEN k.known THEN COALESCE(t.tickets, 0) END AS tickets, n.opted_out,
    n.opted_out / NULLIF(n.received, 0) AS opt_out_rate,
    n.received / NULLIF(n.audience - n.pending, 0) AS delivery_rate,
    n.read / NULLIF(n.received, 0) AS read_rate,
    n.failed / NULLIF(n.audience, 0) AS failure_rate,
    n.replied / NULLIF(n.received, 0) AS reply_rate,
    CASE WHEN k.known THEN COALESCE(t.tickets, 0) END / NULLIF(n.received, 0) AS ticket_rate,
    n.minutes_to_read_median, n.minutes_to_read_p90,
    COALESCE(n.billable, 0) AS billable, COALESCE(n.free_messages, 0) AS free_messages,
    COALESCE(n.cost_not_available, 0) AS cost_not_available,
    CASE WHEN n.billable > 0 AND n.billable = n.cost_not_available THEN NULL
         ELSE round(COALESCE(n.priced_cost, 0), 6) END AS cost_usd,
    CASE WHEN COALESCE(n.cost_not_available, 0) = 0
         THEN round(COALESCE(n.priced_cost, 0), 6) / NULLIF(n.read, 0) END AS cost_per_read,
    CASE WHEN COALESCE(n.cost_not_available, 0) = 0
         THEN round(COALESCE(n.priced_cost, 0), 6) / NULLIF(n.replied, 0) END AS cost_per_reply,
    COALESCE(n.audience, 0) = 0 AND COALESCE(c.status, '') IN ('Scheduled', 'Processing')
        AS scheduled_only
FROM scoped s
LEFT JOIN (SELECT * FROM campaigns WHERE tenant_id = getvariable('tenant')) c
    USING (campaign_id)
LEFT JOIN counts n USING (campaign_id)
LEFT JOIN tickets_opened t USING (campaign_id)
JOIN known k USING (campaign_id)
ORDER BY COALESCE(c.sent_at, n.first_accepted, c.scheduled_at), s.campaign_id
