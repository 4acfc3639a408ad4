-- gross_output_yoy_pct: year-on-year growth on a comparable basis. Only in-scope rows whose enterprise has a
-- row twelve months earlier count, in both sums; NULL when there is no such row. The period's monthly
-- comparable sums are in mart.enterprise_monthly_totals.
SELECT (sum(gross_output_comparable) / nullif(sum(gross_output_year_before), 0) - 1) * 100 AS value
FROM mart.enterprise_monthly_totals
WHERE month_key BETWEEN $first_month_key AND $last_month_key
