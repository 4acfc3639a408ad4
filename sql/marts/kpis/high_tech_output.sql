-- high_tech_output: sum over the in-scope enterprise-months of the period, in 万元.
SELECT coalesce(sum(high_tech_output), 0) AS value
FROM mart.enterprise_in_scope
WHERE month_key BETWEEN $first_month_key AND $last_month_key
