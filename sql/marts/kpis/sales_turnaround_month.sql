-- sales_turnaround_month (扭负为正月份): the latest month of the period's year, up to the period's
-- last month, whose monthly taxable sales growth is > 0 while the month before's is <= 0 (for January,
-- the December before). A month without a growth figure is neither. NULL if no month turned.
WITH months AS (
    SELECT
        month_key,
        taxable_sales_yoy_pct,
        lag(taxable_sales_yoy_pct) OVER (ORDER BY month_key) AS previous_month_yoy_pct
    FROM mart.enterprise_monthly_sales_growth
    WHERE month_key BETWEEN ($last_month_key // 100 - 1) * 100 + 12 AND $last_month_key
),

turns AS (
    SELECT month_key
    FROM months
    WHERE month_key // 100 = $last_month_key // 100   -- months of the period's year
      AND taxable_sales_yoy_pct > 0
      AND previous_month_yoy_pct <= 0
)

SELECT max(month_key) % 100 AS value
FROM turns
