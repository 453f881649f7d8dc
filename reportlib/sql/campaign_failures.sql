-- Failed campaign messages by campaign and error code (grouped by code: titles change).
SELECT campaign_id, error_code, count(*) AS messages
FROM campaign_messages WHERE final_status = 'failed'
GROUP BY ALL ORDER BY campaign_id, messages DESC, error_code
