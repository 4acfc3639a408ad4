-- Employment subsidies in 2020H1 by type, with their Chinese names: records, persons (each counted once
-- over the half-year, by the pseudonymous person_key) and amounts (万元).
WITH subsidies AS (
    SELECT *
    FROM main.fact_employment_service
    WHERE month_key BETWEEN 202001 AND 202006
      AND service_type IN ('flexible_employment_subsidy', 'startup_subsidy')
)

SELECT
    s.service_type,
    c.name_zh,
    count(*)                        AS records,
    count(DISTINCT s.person_key)    AS persons,
    round(sum(s.amount), 2)         AS amount
FROM subsidies AS s
JOIN mart.code_values AS c
  ON c.source = 'employment_services' AND c.column_name = 'service_type' AND c.code = s.service_type
GROUP BY ALL
ORDER BY s.service_type
