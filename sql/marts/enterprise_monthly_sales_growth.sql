-- mart.enterprise_monthly_sales_growth: every calendar month with its comparable-basis taxable sales
-- growth (the monthly taxable_sales_yoy_pct). NULL where the month has no comparison base, so a
-- month without data breaks a run of positive months instead of being skipped.
WITH comparable AS (
    SELECT * FROM mart.enterprise_in_scope WHERE has_year_before
),

growth AS (
    SELECT
        month_key,
        (sum(taxable_sales) / nullif(sum(taxable_sales_year_before), 0) - 1) * 100 AS taxable_sales_yoy_pct
    FROM comparable
    GROUP BY month_key
)

SELECT d.month_key, g.taxable_sales_yoy_pct
FROM main.dim_date AS d
LEFT JOIN growth AS g USING (month_key)
