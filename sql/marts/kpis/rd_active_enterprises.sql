-- rd_active_enterprises (有研发活动规上企业数): enterprises whose R&D spending over their in-scope
-- months of the period adds up to more than zero.
WITH rd_by_enterprise AS (
    SELECT uscc, sum(rd_expense) AS rd_expense
    FROM mart.enterprise_in_scope
    WHERE month_key BETWEEN $first_month_key AND $last_month_key
    GROUP BY uscc
)

SELECT
    r.uscc             AS member_key,
    e.enterprise_name  AS member_name
FROM rd_by_enterprise AS r
LEFT JOIN main.dim_enterprise AS e
    ON e.uscc = r.uscc AND $last_month_key BETWEEN e.valid_from_month_key AND e.valid_to_month_key
WHERE r.rd_expense > 0
ORDER BY member_key
