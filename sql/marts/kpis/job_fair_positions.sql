-- job_fair_positions: positions offered at the period's job fairs.
SELECT coalesce(sum(positions), 0) AS value
FROM main.fact_employment_service
WHERE month_key BETWEEN $first_month_key AND $last_month_key
  AND service_type = 'job_fair'
