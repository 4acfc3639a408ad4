-- high_tech_manufacturing_investment (高技术制造业投资): fixed-asset investment of projects in the
-- NBS 2017 high-tech manufacturing classes.
SELECT coalesce(sum(completed_investment), 0) AS value
FROM mart.investment_counted
WHERE month_key BETWEEN $first_month_key AND $last_month_key
  AND is_high_tech_manufacturing
