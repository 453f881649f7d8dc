-- One row per campaign message of the campaigns that belong to the period (sent, or else
-- scheduled, on a tenant-local day of the period), with its merged status timeline.
-- replied_24h: the user answered within 24 h of the send (docs/metrics.md, reply rate).
-- send_day / send_hour / send_weekday / send_week: when it was sent (else accepted), in the
-- tenant's zone. Cost (docs/metrics.md, "Cost of a campaign", an estimate priced like the
-- consumption report's): a delivered message is billed under per-message pricing (from
-- 2025-07-01), unless it was free (`message_billing`: its webhooks' pricing, else a free
-- window), at the rate Meta applied in its send month (tenant-local) to its market (the
-- recipient's country) and category where Meta's pricing analytics give one: a message has no
-- volume tier of its own, so the month's rate across tiers (`meta_rates`: Meta's cost / paid
-- volume of the month's points of that market and category that carry a cost and a tier).
-- Else (marketing, which has no tiers; a month Meta has given no cost for) the rate card's
-- rate in force on its send day. rate_source: 'meta_month' or 'rate_card', NULL when the
-- message costs nothing or has no price.
-- cost_usd is NULL (not available, never zero) for a billable message without a rate, or
-- sent before 2025-07-01 (billed per conversation, not per message).
-- buttons: the distinct quick-reply button texts the recipient clicked on this message
-- (inbound messages of type button whose context.id is the message id).
-- opted_out_7d: received, and the recipient stopped marketing messages (user_preferences
-- "stop") within 7 days of the send; NULL (not known) when the tenant's webhooks never carried
-- a marketing preference; the stop and the message are the same person when they
-- name the same number or business-scoped user id, or a pair the tenant's webhooks gave
-- (`message_people`, `user_preferences_by_person`).
WITH first_send AS (
    SELECT campaign_id, min(accepted_at) AS first_accepted
    FROM message_timeline
    WHERE tenant_id = getvariable('tenant') AND campaign_id IS NOT NULL
    GROUP BY campaign_id
), scoped AS (
    SELECT COALESCE(c.campaign_id, f.campaign_id) AS campaign_id
    FROM (SELECT * FROM campaigns WHERE tenant_id = getvariable('tenant')) c
    FULL OUTER JOIN first_send f USING (campaign_id)
    WHERE (COALESCE(f.first_accepted, c.sent_at, c.scheduled_at) AT TIME ZONE getvariable('tz'))
          ::DATE BETWEEN getvariable('period_start') AND getvariable('period_end')
), buttons AS (
    SELECT context_id AS message_id, list(DISTINCT button_text ORDER BY button_text) AS buttons
    FROM inbound_messages
    WHERE tenant_id = getvariable('tenant') AND type = 'button' AND context_id IS NOT NULL
      AND COALESCE(button_text, '') <> ''
    GROUP BY context_id
), preferences AS (
    -- Whether the tenant's webhooks carry marketing preferences at all (a WABA that does not
    -- subscribe to `user_preferences` never posts one): without any, opt-outs are not known.
    SELECT EXISTS (SELECT 1 FROM user_preferences WHERE tenant_id = getvariable('tenant'))
        AS preferences_known
), month_rates AS (
    SELECT DISTINCT month, market, category, month_rate FROM meta_rates
), messages AS (
    SELECT m.campaign_id, m.message_id, m.recipient, m.template_name,
        normalize_category(m.category) AS category,
        m.accepted_at, m.sent_at, m.delivered_at, m.read_at, m.failed_at, m.replied_at,
        m.final_status, m.error_code, m.error_details,
        m.replied_at IS NOT NULL AND m.final_status IN ('delivered', 'read')
            AND m.replied_at <= COALESCE(m.sent_at, m.accepted_at) + INTERVAL 24 HOUR
            AS replied_24h,
        CASE WHEN m.read_at IS NOT NULL AND m.sent_at IS NOT NULL
             THEN epoch(m.read_at - m.sent_at) / 60.0 END AS minutes_to_read,
        COALESCE(m.sent_at, m.accepted_at) AT TIME ZONE getvariable('tz') AS sent_local,
        -- A number whose calling code we do not distinguish is in Meta's "Other" market.
        CASE WHEN regexp_replace(COALESCE(m.recipient, ''), '[^0-9]', '', 'g') <> ''
             THEN COALESCE(market_of_country(country_of_phone(m.recipient)), 'Other')
             END AS market,
        f.free_reason,
        COALESCE(b.buttons, []::VARCHAR[]) AS buttons,
        CASE WHEN NOT (SELECT preferences_known FROM preferences) THEN NULL
             ELSE m.final_status IN ('delivered', 'read') AND EXISTS (
            SELECT 1 FROM user_preferences_by_person u
            WHERE u.tenant_id = getvariable('tenant') AND u.value = 'stop'
              AND u.person = r.person
              AND u.ts >= COALESCE(m.sent_at, m.accepted_at)
              AND u.ts < COALESCE(m.sent_at, m.accepted_at) + INTERVAL 7 DAY) END
            AS opted_out_7d
    FROM message_timeline m JOIN scoped USING (campaign_id)
    LEFT JOIN (SELECT message_id, person FROM message_people
               WHERE tenant_id = getvariable('tenant')) r USING (message_id)
    LEFT JOIN message_billing f USING (message_id)
    LEFT JOIN buttons b USING (message_id)
    WHERE m.tenant_id = getvariable('tenant')
)
SELECT * EXCLUDE (meta_rate),
    CASE WHEN billable AND cost_usd IS NOT NULL
         THEN CASE WHEN meta_rate IS NOT NULL THEN 'meta_month' ELSE 'rate_card' END
         END AS rate_source
FROM (
SELECT m.* EXCLUDE (sent_local), r.month_rate AS meta_rate,
    m.sent_local::DATE AS send_day, hour(m.sent_local) AS send_hour,
    isodow(m.sent_local) AS send_weekday, date_trunc('week', m.sent_local)::DATE AS send_week,
    m.final_status IN ('delivered', 'read') AND m.free_reason IS NULL AS billable,
    CASE WHEN m.final_status NOT IN ('delivered', 'read') OR m.free_reason IS NOT NULL THEN 0.0
         WHEN m.sent_local::DATE < DATE '2025-07-01' THEN NULL
         ELSE COALESCE(r.month_rate, rate_in_force(m.market, m.category, m.sent_local::DATE))::DOUBLE
         END AS cost_usd
FROM messages m
LEFT JOIN month_rates r ON r.month = date_trunc('month', m.sent_local)::DATE
 AND r.market = m.market AND r.category = m.category
)
ORDER BY campaign_id, accepted_at, message_id
