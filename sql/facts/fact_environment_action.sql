-- fact_environment_action: one row per environmental action or complaint per month it is reported,
-- with the status reported that month (an action spanning months has a row in each month it changed).
-- enterprise_key: the enterprise's USCC, or its name where the file gives none (NULL for a complaint
-- about no named enterprise).
WITH actions AS (
    SELECT * FROM staging.environment_actions WHERE stat_month = $month
)
SELECT
    month_key(stat_month)                                   AS month_key,
    record_id,
    action_date,
    action_kind,
    status,
    coalesce(enterprise_uscc, 'name:' || enterprise_name)   AS enterprise_key,
    enterprise_uscc,
    enterprise_name,
    received_date,
    resolved_date,
    _file_sha256                                            AS source_file_sha256,
    _row                                                    AS source_row
FROM actions
ORDER BY record_id
