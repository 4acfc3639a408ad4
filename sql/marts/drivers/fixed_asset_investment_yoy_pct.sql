-- Drivers of fixed_asset_investment_yoy_pct: the projects behind its growth (mart.investment_drivers).
SELECT * FROM mart.investment_drivers($first_month_key, $last_month_key)
