-- Drivers of high_tech_output_yoy_pct: the enterprises behind its comparable-basis growth (mart.enterprise_drivers).
SELECT * FROM mart.enterprise_drivers('high_tech_output', $first_month_key, $last_month_key)
