-- Drivers of taxable_sales_yoy_pct: the enterprises behind its comparable-basis growth (mart.enterprise_drivers).
SELECT * FROM mart.enterprise_drivers('taxable_sales', $first_month_key, $last_month_key)
