-- mart.persons_served_by_service_type: employment services month by month and service type: records,
-- distinct persons served (by the pseudonymous person_key; job fairs serve no named person), amounts in
-- 万元 (the subsidies and loans) and positions offered (job fairs). The subsidies are the service types
-- flexible_employment_subsidy and startup_subsidy; guaranteed_loan is a loan. Chinese names: mart.code_values.
WITH services AS (
    SELECT * FROM main.fact_employment_service
)

SELECT
    month_key,
    service_type,
    count(*)                      AS records,
    count(DISTINCT person_key)    AS persons,
    sum(amount)                   AS amount,
    sum(positions)                AS positions
FROM services
GROUP BY ALL
ORDER BY month_key, service_type
