-- high_tech_manufacturing_investment_share_pct: high-tech manufacturing investment as a share of
-- industrial investment (high-tech manufacturing is all industrial).
SELECT sum(completed_investment) FILTER (WHERE is_high_tech_manufacturing)
       / nullif(sum(completed_investment) FILTER (WHERE is_industrial), 0) * 100 AS value
FROM mart.investment_counted
WHERE month_key BETWEEN $first_month_key AND $last_month_key
