-- flexible_employment_subsidy_persons: distinct persons (by pseudonymised ID number) subsidised in the period.
SELECT count(DISTINCT person_key) AS value
FROM main.fact_employment_service
WHERE month_key BETWEEN $first_month_key AND $last_month_key
  AND service_type = 'flexible_employment_subsidy'
