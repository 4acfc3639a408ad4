-- Rule record_id_already_loaded (severity and message: include/rules.yml).
-- A record_id of this file is already loaded for another month: an inspection is reported once, in the
-- month it took place (a revision of the same month replaces that month and is not a duplicate).
-- Returns row_number, column_name, value, and params: the values of the message's placeholders.
WITH this_month AS (
    SELECT _row, record_id FROM staging.safety_inspections WHERE stat_month = $month
),
other_months AS (
    SELECT record_id, stat_month FROM staging.safety_inspections WHERE stat_month <> $month
)
SELECT
    t._row       AS row_number,
    'record_id'  AS column_name,
    t.record_id  AS value,
    {'loaded_month': strftime(o.stat_month, '%Y-%m')} AS params
FROM this_month AS t
JOIN other_months AS o USING (record_id)
ORDER BY t._row
