-- soil_surveys_completed (完成地块土壤调查): soil surveys (one per plot, one record each) first completed in
-- the period (main.dim_environment_action), named by the enterprise whose plot was surveyed.
SELECT
    record_id        AS member_key,
    enterprise_name  AS member_name
FROM main.dim_environment_action
WHERE completed_month_key BETWEEN $first_month_key AND $last_month_key
  AND action_kind = 'soil_survey'
ORDER BY member_key
