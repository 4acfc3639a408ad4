-- Rule same_subsidy_twice_in_month (severity and message: include/rules.yml).
-- The same person received the same subsidy type more than once in the month.
-- Persons are shown by the first characters of their pseudonym, never by ID number.
-- Returns row_number, column_name, value, and params: the values of the message's placeholders.
WITH subsidies AS (
    SELECT _row, person_key, service_type FROM staging.employment_services
    WHERE stat_month = $month AND service_type IN ('flexible_employment_subsidy', 'startup_subsidy')
)
SELECT
    _row                                    AS row_number,
    'person_id_number'                      AS column_name,
    'person ' || left(person_key, 12)       AS value,
    {'service_type': service_type}          AS params
FROM subsidies
QUALIFY count(*) OVER (PARTITION BY person_key, service_type) > 1
ORDER BY _row
