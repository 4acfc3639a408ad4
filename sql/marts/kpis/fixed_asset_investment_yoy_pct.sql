-- fixed_asset_investment_yoy_pct: growth over the same months a year earlier, all counted projects
-- (not a comparable basis: projects differ from year to year). A base with a month missing from the
-- warehouse would understate it, so the growth is NULL unless every base month is loaded.
WITH this_period AS (
    SELECT sum(completed_investment) AS amount
    FROM mart.investment_counted
    WHERE month_key BETWEEN $first_month_key AND $last_month_key
),

year_before AS (
    SELECT sum(completed_investment) AS amount
    FROM mart.investment_counted
    WHERE month_key BETWEEN $first_month_key - 100 AND $last_month_key - 100
),

base_months_loaded AS (
    SELECT count(*) AS months
    FROM meta.current_files
    WHERE source = 'investment_monthly'
      AND CAST(replace(month, '-', '') AS INTEGER) BETWEEN $first_month_key - 100 AND $last_month_key - 100
)

SELECT
    CASE WHEN b.months = $last_month_key - $first_month_key + 1   -- a period never spans a new year
         THEN (coalesce(t.amount, 0) / nullif(y.amount, 0) - 1) * 100
    END AS value
FROM this_period AS t, year_before AS y, base_months_loaded AS b
