-- taxable_sales: sum over the in-scope enterprise-months of the period, in 万元.
SELECT coalesce(sum(taxable_sales), 0) AS value
FROM mart.enterprise_in_scope
WHERE month_key BETWEEN $first_month_key AND $last_month_key
