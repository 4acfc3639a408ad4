-- Error: a record_id of this file is already loaded for another month (record ids are unique
-- across all months; a revision of the same month replaces that month and is not a duplicate).
WITH this_month AS (
    SELECT _row, record_id FROM staging.employment_services WHERE stat_month = $month
),
other_months AS (
    SELECT record_id, stat_month FROM staging.employment_services WHERE stat_month <> $month
)
SELECT
    t._row       AS row_number,
    'record_id'  AS column_name,
    t.record_id  AS value,
    'record already loaded for ' || strftime(o.stat_month, '%Y-%m') AS message
FROM this_month AS t
JOIN other_months AS o USING (record_id)
ORDER BY t._row
