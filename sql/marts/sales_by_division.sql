-- mart.sales_by_division: above-scale enterprises' taxable sales and gross output by GB/T 4754-2017
-- division (大类), month by month, in 万元. The rows the enterprise KPIs count (in scope: above scale that
-- month), so a month's divisions add up to its taxable_sales and gross_output in mart.monthly_kpis.
WITH in_scope AS (
    SELECT * FROM mart.enterprise_in_scope
)

SELECT
    s.month_key,
    i.division_code,
    i.division_name,
    i.section_code,
    count(DISTINCT s.uscc)  AS enterprises,
    sum(s.taxable_sales)    AS taxable_sales,
    sum(s.gross_output)     AS gross_output
FROM in_scope AS s
JOIN main.dim_industry AS i USING (industry_code)
GROUP BY ALL
ORDER BY s.month_key, i.division_code
