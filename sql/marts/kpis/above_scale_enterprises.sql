-- above_scale_enterprises (规上工业企业数): enterprises that reported themselves above scale in the
-- period's last month, named as they were then.
SELECT DISTINCT
    s.uscc             AS member_key,
    e.enterprise_name  AS member_name
FROM mart.enterprise_in_scope AS s
LEFT JOIN main.dim_enterprise AS e
    ON e.uscc = s.uscc AND s.month_key BETWEEN e.valid_from_month_key AND e.valid_to_month_key
WHERE s.month_key = $last_month_key
ORDER BY member_key
