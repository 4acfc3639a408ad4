-- industrial_investment (工业投资): fixed-asset investment of industrial projects (divisions 06-46).
SELECT coalesce(sum(completed_investment), 0) AS value
FROM mart.investment_counted
WHERE month_key BETWEEN $first_month_key AND $last_month_key
  AND is_industrial
