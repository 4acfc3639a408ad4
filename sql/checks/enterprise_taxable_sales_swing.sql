-- Rule taxable_sales_swing_yoy (severity and message: include/rules.yml).
-- An enterprise's taxable sales moved more than ±50 % against its own
-- value twelve months earlier (as far as that month is already loaded).
-- Returns row_number, column_name, value, and params: the values of the message's placeholders.
WITH this_month AS (
    SELECT _row, uscc, taxable_sales FROM staging.enterprise_monthly WHERE stat_month = $month
),
year_before AS (
    SELECT uscc, taxable_sales FROM staging.enterprise_monthly
    WHERE stat_month = $month - INTERVAL 12 MONTH
)
SELECT
    t._row                             AS row_number,
    'taxable_sales'                    AS column_name,
    CAST(t.taxable_sales AS VARCHAR)   AS value,
    {'taxable_sales': t.taxable_sales, 'year_before': y.taxable_sales} AS params
FROM this_month AS t
JOIN year_before AS y USING (uscc)
WHERE (y.taxable_sales = 0 AND t.taxable_sales > 0)
   OR (y.taxable_sales > 0 AND abs(t.taxable_sales / y.taxable_sales - 1) > 0.5)
ORDER BY t._row
