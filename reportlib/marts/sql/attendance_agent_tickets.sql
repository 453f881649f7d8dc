-- Tickets from agents' active messages, one definition for every report that counts them
-- (docs/metrics.md, Attendance): one row per active message an agent sent around the period.
-- A message opened a ticket when the customer answered it within 24 h of the send (a reply
-- makes the message a ticket): the answer is either the ticket it opened, i.e. the customer's
-- first ticket without a CampaignId created within those 24 h and before any later agent send
-- to them (so a transfer's second ticket, or a second ticket the same day, is not counted
-- again, and a ticket belongs to one message at most), or a reply recorded on the message.
-- Customer and recipient are compared as digits, a Brazilian mobile's without its ninth digit
-- and a Mexican mobile's without the 1 after 52 (its WhatsApp id may keep the number as it
-- was while the message dialled today's, docs/metrics.md, "Whose message";
-- warehouse.PERSON_NUMBER).
WITH sends AS (
    SELECT message_id, agent_identity, recipient,
        regexp_replace(regexp_replace(recipient, '[^0-9]', '', 'g'),
                       '^(55[1-9][0-9])9([6-9][0-9]{7})$|^(52)1([0-9]{10})$', '\1\2\3\4') AS digits,
        COALESCE(accepted_at, sent_at) AS sent, replied_at
    FROM message_timeline
    WHERE tenant_id = getvariable('tenant') AND sender = 'agent'
      AND COALESCE(accepted_at, sent_at)
          BETWEEN getvariable('period_start_ts') - INTERVAL 2 DAY
              AND getvariable('period_end_ts') + INTERVAL 2 DAY
), ordered AS (
    SELECT *, lead(sent) OVER (PARTITION BY digits ORDER BY sent, message_id) AS next_send
    FROM sends
), candidates AS (
    SELECT s.message_id, t.ticket_id, t.storage_date,
        row_number() OVER (PARTITION BY s.message_id ORDER BY t.storage_date, t.ticket_id) AS n
    FROM ordered s
    JOIN tickets t
      ON t.tenant_id = getvariable('tenant')
     AND regexp_replace(regexp_replace(t.customer_identity, '[^0-9]', '', 'g'),
                        '^(55[1-9][0-9])9([6-9][0-9]{7})$|^(52)1([0-9]{10})$', '\1\2\3\4') = s.digits
     AND t.campaign_id IS NULL
     AND t.storage_date >= s.sent AND t.storage_date <= s.sent + INTERVAL 24 HOUR
     AND (s.next_send IS NULL OR t.storage_date < s.next_send)
)
SELECT s.message_id, s.agent_identity, s.recipient, s.sent, c.ticket_id,
    c.storage_date AS ticket_at,
    CASE WHEN s.replied_at <= s.sent + INTERVAL 24 HOUR THEN s.replied_at END AS replied_at,
    c.ticket_id IS NOT NULL OR COALESCE(s.replied_at <= s.sent + INTERVAL 24 HOUR, false)
        AS opened_ticket
FROM ordered s
LEFT JOIN candidates c ON c.message_id = s.message_id AND c.n = 1
