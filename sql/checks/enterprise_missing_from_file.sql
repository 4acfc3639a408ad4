-- Warning: an enterprise that was above scale in the previous month's file is absent from this one.
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
    'above-scale enterprise ' || p.enterprise_name || ' reported last month is absent from this file' AS message
FROM previous_month AS p
ANTI JOIN this_month USING (uscc)
ORDER BY p.uscc
