-- Above-scale taxable sales by industry division, month by month in 2020H1 (万元), largest first.
SELECT
    month_key,
    division_code,
    division_name,
    enterprises,
    round(taxable_sales, 2) AS taxable_sales
FROM mart.sales_by_division
WHERE month_key BETWEEN 202001 AND 202006
ORDER BY month_key, taxable_sales DESC
