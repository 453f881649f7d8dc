-- Failed campaign messages by campaign and error code (grouped by code: titles change), with
-- the most frequent of Meta's details for the code (webhook errors[].error_data.details).
SELECT campaign_id, error_code, count(*) AS messages, mode(error_details) AS details
FROM campaign_messages WHERE final_status = 'failed'
GROUP BY campaign_id, error_code ORDER BY campaign_id, messages DESC, error_code
