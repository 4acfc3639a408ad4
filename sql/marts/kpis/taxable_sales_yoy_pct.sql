-- taxable_sales_yoy_pct: year-on-year growth on a comparable basis. Only in-scope rows whose enterprise has a
-- row twelve months earlier count, in both sums; NULL when there is no such row.
WITH comparable AS (
    SELECT * FROM mart.enterprise_in_scope
    WHERE month_key BETWEEN $first_month_key AND $last_month_key
      AND has_year_before
)

SELECT (sum(taxable_sales) / nullif(sum(taxable_sales_year_before), 0) - 1) * 100 AS value
FROM comparable
