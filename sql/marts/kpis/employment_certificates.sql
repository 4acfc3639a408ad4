-- employment_certificates: employment certificates issued in the period (records).
SELECT count(*) AS value
FROM main.fact_employment_service
WHERE month_key BETWEEN $first_month_key AND $last_month_key
  AND service_type = 'employment_certificate'
