-- fixed_asset_investment (固定资产投资): completed investment in the period of projects at or above
-- the 500万元 threshold (see mart.investment_counted), in 万元.
SELECT coalesce(sum(completed_investment), 0) AS value
FROM mart.investment_counted
WHERE month_key BETWEEN $first_month_key AND $last_month_key
