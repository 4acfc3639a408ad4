-- Warning: the same person received the same subsidy type more than once in the month.
-- Persons are shown by the first characters of their pseudonym, never by ID number.
WITH subsidies AS (
    SELECT _row, person_key, service_type FROM staging.employment_services
    WHERE stat_month = $month AND service_type IN ('flexible_employment_subsidy', 'startup_subsidy')
)
SELECT
    _row                                    AS row_number,
    'person_id_number'                      AS column_name,
    'person ' || left(person_key, 12)       AS value,
    'the same person received ' || service_type || ' more than once this month' AS message
FROM subsidies
QUALIFY count(*) OVER (PARTITION BY person_key, service_type) > 1
ORDER BY _row
