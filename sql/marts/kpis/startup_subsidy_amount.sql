-- startup_subsidy_amount: start-up subsidies paid in the period, in 万元.
SELECT coalesce(sum(amount), 0) AS value
FROM main.fact_employment_service
WHERE month_key BETWEEN $first_month_key AND $last_month_key
  AND service_type = 'startup_subsidy'
