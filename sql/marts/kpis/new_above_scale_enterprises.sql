-- new_above_scale_enterprises (新增规上工业企业): enterprises above scale in the period's last month that
-- were not above scale in the month before the period began (no row then counts as not above scale),
-- named as they were in the last month. A stock at two dates, not the drivers' 'entered' (that compares
-- the period with the same months a year earlier): this is what "new above-scale enterprises in the
-- half-year" means in a plan. Its one month of lookback (include/kpis.yml) keeps it NULL until that
-- month is loaded.
SELECT DISTINCT
    s.uscc             AS member_key,
    e.enterprise_name  AS member_name
FROM mart.enterprise_in_scope AS s
LEFT JOIN main.dim_enterprise AS e
    ON e.uscc = s.uscc AND s.month_key BETWEEN e.valid_from_month_key AND e.valid_to_month_key
WHERE s.month_key = $last_month_key
  AND s.uscc NOT IN (
      SELECT uscc FROM mart.enterprise_in_scope
      WHERE month_key = CASE WHEN $first_month_key % 100 = 1 THEN $first_month_key - 89   -- January: December before
                             ELSE $first_month_key - 1 END)
ORDER BY member_key
