-- Desk status of an agent's active message at an instant (docs/metrics.md, Help-desk statuses).
CREATE OR REPLACE TEMP MACRO desk_status(final_status, sent, replied, instant) AS CASE
    WHEN final_status = 'failed' THEN 'failed'
    WHEN (replied IS NULL OR replied > sent + INTERVAL 24 HOUR)
         AND instant >= sent + INTERVAL 24 HOUR THEN 'expired'
    WHEN final_status = 'read' THEN 'read'
    WHEN final_status = 'delivered' THEN 'delivered'
    WHEN final_status = 'sent' THEN 'sent'
    ELSE 'sending' END;
