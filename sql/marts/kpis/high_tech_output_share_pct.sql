-- high_tech_output_share_pct: high-tech output as a share of gross output, both over in-scope rows
-- (the period's monthly sums in mart.enterprise_monthly_totals).
SELECT sum(high_tech_output) / nullif(sum(gross_output), 0) * 100 AS value
FROM mart.enterprise_monthly_totals
WHERE month_key BETWEEN $first_month_key AND $last_month_key
