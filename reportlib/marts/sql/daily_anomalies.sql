-- Anomaly flags per tenant-day (docs/metrics.md, "Anomaly flags"): one row per flag, for days
-- of the period. Three series per day, each against the same weekday of the previous 8 weeks
-- (median and median absolute deviation of those days):
--   failure_rate  per error code: messages that failed with the code / messages sent that day
--   read_rate     per category: messages read within 24 h of the send / received (delivered
--                 or read), so that a recent day is measured like the older ones
--   cost          the cost outside campaigns: the day's headline cost (Meta's where reported,
--                 else our estimate: `consumption_facts_history`, the consumption facts over
--                 the baseline weeks and the period) less the estimated cost of the day's
--                 campaign messages (the billable ones, delivered or read and not free, at the
--                 rate Meta applied that month to their market and category across its tiers
--                 where its analytics give one, else the rate card's in force on their send
--                 day: the rule of a campaign's cost, campaign_messages.sql). Campaign spend is
--                 planned and shown per campaign in the campaigns report; what is left is what
--                 nobody planned.
-- A day is judged only with enough volume (200 messages sent, 200 received of the category,
-- or 5 in the tenant's currency, US$ 5, on the day or in its baseline), with at least 4 baseline
-- days that have it too
-- (rates; every baseline day counts for cost), and only up to two days before as-of (a day's
-- reads within 24 h and its deliveries are in). Cost days are the days the consumption facts
-- cover, under per-message pricing. robust_z = (value − baseline) / scale, scale = 1.4826 × MAD
-- but never below 1 percentage point (rates) or, for cost, the largest of US$ 1, 5 % of the
-- baseline and 5 % of the day's campaign estimate (the day's tiers against the month's rate
-- and day boundaries move a campaign's cost by a little); a flag when |robust_z| > 3.5.
-- cause_*: of a cost flag, the sender and category (outside campaigns) whose cost moved most
-- in the flag's direction against its own same-weekday median: messages, cost, that median.
WITH messages AS (
    SELECT message_id, (COALESCE(sent_at, accepted_at) AT TIME ZONE getvariable('tz'))::DATE
            AS day,
        normalize_category(category) AS category, final_status, error_code, campaign_id,
        sender, recipient,
        read_at IS NOT NULL
            AND read_at <= COALESCE(sent_at, accepted_at) + INTERVAL 24 HOUR AS read_24h
    FROM message_timeline
    WHERE tenant_id = getvariable('tenant')
      AND COALESCE(sent_at, accepted_at) >= getvariable('baseline_start_ts')
      AND COALESCE(sent_at, accepted_at) < getvariable('period_end_ts')
), sent_days AS (
    SELECT day, count(*) AS messages FROM messages GROUP BY day
), codes AS (
    SELECT DISTINCT error_code AS code FROM messages
    WHERE final_status = 'failed' AND error_code IS NOT NULL
), failed AS (
    SELECT day, error_code AS code, count(*) AS n FROM messages
    WHERE final_status = 'failed' AND error_code IS NOT NULL GROUP BY ALL
), billable AS (
    -- What Meta bills: delivered or read, and not free (`message_billing`).
    SELECT m.day, m.campaign_id IS NOT NULL AS campaign,
        CASE WHEN m.campaign_id IS NOT NULL THEN 'campaign' ELSE COALESCE(m.sender, 'api') END
            AS sender,
        COALESCE(m.category, 'unknown') AS category,
        left(regexp_replace(COALESCE(m.recipient, ''), '[^0-9]', '', 'g'), 4) AS prefix,
        count(*) AS messages
    FROM messages m
    LEFT JOIN message_billing b USING (message_id)
    WHERE m.final_status IN ('delivered', 'read') AND b.free_reason IS NULL
    GROUP BY ALL
), month_rates AS (
    SELECT DISTINCT month, market, category, month_rate FROM meta_rates
), senders AS (
    -- per day, sender and category: the billable messages that have a rate and their cost (the
    -- rate looked up once per market, as a campaign's message is priced; messages without one
    -- are left out, as in a campaign's)
    SELECT day, campaign, sender, category,
        sum(messages) FILTER (WHERE rate IS NOT NULL) AS messages,
        COALESCE(sum(messages * rate), 0) AS cost
    FROM (SELECT s.*, COALESCE(r.month_rate, rate_in_force(s.market, s.category, s.day)) AS rate
          FROM (SELECT day, campaign, sender, category,
                    CASE WHEN prefix <> ''
                         THEN COALESCE(market_of_country(country_of_phone(prefix)), 'Other')
                         END AS market,
                    sum(messages) AS messages
                FROM billable GROUP BY ALL) s
          LEFT JOIN month_rates r ON r.month = date_trunc('month', s.day)::DATE
           AND r.market = s.market AND r.category = s.category)
    GROUP BY ALL
), headline AS (
    SELECT day, sum(headline_cost) AS cost FROM consumption_facts_history
    WHERE pricing_era(day) = 'PMP' GROUP BY day
), cost_days AS (
    SELECT unnest(generate_series(first_day, least(getvariable('period_end'), last_day),
                                  INTERVAL 1 DAY))::DATE AS day
    FROM (SELECT min(day) AS first_day, max(day) AS last_day FROM headline)
    WHERE last_day IS NOT NULL
), outside AS (
    SELECT d.day, COALESCE(h.cost, 0) - COALESCE(c.cost, 0) AS cost,
        COALESCE(c.cost, 0) AS campaign_cost
    FROM cost_days d
    LEFT JOIN headline h USING (day)
    LEFT JOIN (SELECT day, sum(cost) AS cost FROM senders WHERE campaign GROUP BY day) c
      USING (day)
), series AS (
    SELECT d.day, 'failure_rate' AS metric, c.code::VARCHAR AS subject,
        d.messages::DOUBLE AS volume, COALESCE(f.n, 0) / d.messages AS value
    FROM sent_days d CROSS JOIN codes c
    LEFT JOIN failed f ON f.day = d.day AND f.code = c.code
    UNION ALL
    SELECT day, 'read_rate', category,
        count(*) FILTER (WHERE final_status IN ('delivered', 'read'))::DOUBLE,
        count(*) FILTER (WHERE read_24h AND final_status IN ('delivered', 'read'))
            / count(*) FILTER (WHERE final_status IN ('delivered', 'read'))
    FROM messages WHERE category IS NOT NULL
    GROUP BY day, category
    HAVING count(*) FILTER (WHERE final_status IN ('delivered', 'read')) > 0
    UNION ALL
    SELECT day, 'cost', NULL, cost, cost FROM outside
), rules AS (
    SELECT * FROM (VALUES ('failure_rate', 200.0, true), ('read_rate', 200.0, true),
                          ('cost', 5.0, false)) r(metric, minimum, baseline_needs_minimum)
), judged AS (
    SELECT s.day, s.metric, s.subject, s.value, s.volume, r.minimum,
        list(b.value ORDER BY b.day) FILTER (WHERE b.value IS NOT NULL) AS history
    FROM series s JOIN rules r USING (metric)
    LEFT JOIN series b
      ON b.metric = s.metric AND b.subject IS NOT DISTINCT FROM s.subject
     AND b.day < s.day AND b.day >= s.day - INTERVAL 56 DAY
     AND date_diff('day', b.day, s.day) % 7 = 0
     AND (NOT r.baseline_needs_minimum OR b.volume >= r.minimum)
    WHERE s.day BETWEEN getvariable('period_start') AND getvariable('period_end')
      AND s.day + INTERVAL 1 DAY < getvariable('as_of')
    GROUP BY ALL
), scored AS (
    SELECT *, list_aggregate(history, 'median') AS baseline,
        len(history) AS baseline_days
    FROM judged
), scaled AS (
    SELECT *,
        list_aggregate(list_transform(history, lambda x: abs(x - baseline)), 'median') AS mad
    FROM scored
), flagged AS (
    SELECT day, metric, subject, value, baseline, mad,
        (value - baseline) / greatest(1.4826 * mad, CASE WHEN metric = 'cost'
                                                         THEN greatest(1.0, 0.05 * baseline,
                                                                       0.05 * campaign_cost)
                                                         ELSE 0.01 END) AS robust_z,
        volume, baseline_days
    FROM scaled LEFT JOIN (SELECT day, campaign_cost FROM outside) o USING (day)
    WHERE baseline_days >= 4
      AND CASE WHEN metric = 'cost' THEN greatest(value, baseline) >= minimum
               ELSE volume >= minimum END
), contributions AS (
    -- every sender x category outside campaigns on every cost day (0 when it sent nothing)
    SELECT d.day, c.sender, c.category, COALESCE(s.messages, 0) AS messages,
        COALESCE(s.cost, 0) AS cost
    FROM cost_days d
    CROSS JOIN (SELECT DISTINCT sender, category FROM senders WHERE NOT campaign) c
    LEFT JOIN senders s ON s.day = d.day AND s.sender = c.sender AND s.category = c.category
                       AND NOT s.campaign
), moves AS (
    SELECT s.day, s.sender, s.category, s.messages, s.cost, median(b.cost) AS usual
    FROM contributions s
    JOIN contributions b
      ON b.sender = s.sender AND b.category = s.category
     AND b.day < s.day AND b.day >= s.day - INTERVAL 56 DAY
     AND date_diff('day', b.day, s.day) % 7 = 0
    WHERE s.day IN (SELECT day FROM flagged WHERE metric = 'cost' AND abs(robust_z) > 3.5)
    GROUP BY ALL
), causes AS (
    SELECT day,
        arg_max({'sender': sender, 'category': category, 'messages': messages, 'cost': cost,
                 'usual': usual}, cost - usual) FILTER (WHERE cost > usual) AS rise,
        arg_min({'sender': sender, 'category': category, 'messages': messages, 'cost': cost,
                 'usual': usual}, cost - usual) FILTER (WHERE cost < usual) AS fall
    FROM moves GROUP BY day
), named AS (
    SELECT f.*, CASE WHEN f.metric <> 'cost' THEN NULL WHEN f.value > f.baseline THEN c.rise
                     ELSE c.fall END AS cause
    FROM flagged f LEFT JOIN causes c USING (day)
    WHERE abs(f.robust_z) > 3.5
)
SELECT day, metric, subject, value, baseline, mad, robust_z, volume, baseline_days,
    cause.sender AS cause_sender, cause.category AS cause_category,
    cause.messages::BIGINT AS cause_messages, cause.cost AS cause_value,
    cause.usual AS cause_baseline
FROM named
ORDER BY day, metric, subject
