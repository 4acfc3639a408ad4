-- environmental_complaints_resolved (调处环境信访): complaints first reported resolved in the period
-- (main.dim_environment_action), whenever they were received: one received in the half-year before
-- counts in the half-year it was resolved in.
SELECT count(*) AS value
FROM main.dim_environment_action
WHERE completed_month_key BETWEEN $first_month_key AND $last_month_key
  AND action_kind = 'complaint'
