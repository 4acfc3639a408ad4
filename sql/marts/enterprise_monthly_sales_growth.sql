-- mart.enterprise_monthly_sales_growth: every calendar month with its comparable-basis taxable sales
-- growth (the monthly taxable_sales_yoy_pct). NULL where the month has no comparison base, so a
-- month without data breaks a run of positive months instead of being skipped. Read from the monthly
-- sums (mart.enterprise_monthly_totals), so a run of positive months over years costs no join.
SELECT
    d.month_key,
    (t.taxable_sales_comparable / nullif(t.taxable_sales_year_before, 0) - 1) * 100 AS taxable_sales_yoy_pct
FROM main.dim_date AS d
LEFT JOIN mart.enterprise_monthly_totals AS t USING (month_key)
