-- sales_positive_streak_months (连续正增长月数): how many consecutive months, ending with the period's
-- last month, had monthly taxable sales growth > 0 (a month without a growth figure ends the run).
WITH months AS (
    SELECT month_key, coalesce(taxable_sales_yoy_pct > 0, false) AS is_positive
    FROM mart.enterprise_monthly_sales_growth
    WHERE month_key <= $last_month_key
),

last_not_positive AS (
    SELECT coalesce(max(month_key), 0) AS month_key FROM months WHERE NOT is_positive
)

SELECT count(*) AS value
FROM months
WHERE month_key > (SELECT month_key FROM last_not_positive)
