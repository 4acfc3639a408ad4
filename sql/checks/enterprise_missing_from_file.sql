-- Rule above_scale_enterprise_missing (severity and message: include/rules.yml).
-- An enterprise that was above scale in the previous month's file is absent from this one.
-- Returns row_number, column_name, value, and params: the values of the message's placeholders.
WITH previous_month AS (
    SELECT uscc, enterprise_name FROM staging.enterprise_monthly
    WHERE stat_month = $month - INTERVAL 1 MONTH AND is_above_scale
),
this_month AS (
    SELECT uscc FROM staging.enterprise_monthly WHERE stat_month = $month
)
SELECT
    CAST(NULL AS INTEGER) AS row_number,
    'uscc'                AS column_name,
    p.uscc                AS value,
    {'enterprise_name': p.enterprise_name} AS params
FROM previous_month AS p
ANTI JOIN this_month USING (uscc)
ORDER BY p.uscc
