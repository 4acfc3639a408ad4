-- taxable_sales: sum over the in-scope enterprise-months of the period, in 万元: the sum of the
-- period's monthly sums in mart.enterprise_monthly_totals.
SELECT coalesce(sum(taxable_sales), 0) AS value
FROM mart.enterprise_monthly_totals
WHERE month_key BETWEEN $first_month_key AND $last_month_key
