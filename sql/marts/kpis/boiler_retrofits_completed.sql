-- boiler_retrofits_completed (完成锅炉改造企业): enterprises whose boiler retrofit was first completed in
-- the period
-- (main.dim_environment_action: an action counts in the month its status first became completed),
-- each counted once by its USCC (by its name when the file gives none), named as the completing row wrote it.
SELECT
    enterprise_key                                                           AS member_key,
    first(enterprise_name ORDER BY completed_date DESC, record_id DESC)     AS member_name
FROM main.dim_environment_action
WHERE completed_month_key BETWEEN $first_month_key AND $last_month_key
  AND action_kind = 'boiler_retrofit'
GROUP BY enterprise_key
ORDER BY member_key
