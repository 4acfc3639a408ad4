-- startup_subsidy_persons: distinct persons (by pseudonymised ID number) given a start-up subsidy in the period.
SELECT count(DISTINCT person_key) AS value
FROM main.fact_employment_service
WHERE month_key BETWEEN $first_month_key AND $last_month_key
  AND service_type = 'startup_subsidy'
