-- flexible_employment_subsidy_amount: subsidy paid in the period, in 万元 (amounts are stored in 万元).
SELECT coalesce(sum(amount), 0) AS value
FROM main.fact_employment_service
WHERE month_key BETWEEN $first_month_key AND $last_month_key
  AND service_type = 'flexible_employment_subsidy'
