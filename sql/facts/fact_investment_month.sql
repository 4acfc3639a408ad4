-- fact_investment_month: completed investment per project per month, in 万元.
-- industry_code and planned_investment are kept as reported that month: the 500万元
-- statistical threshold and the industry groupings (join dim_industry) apply row by row.
WITH reported AS (
    SELECT * FROM staging.investment_monthly WHERE stat_month = $month
)
SELECT
    month_key(stat_month) AS month_key,
    project_code,
    industry_code,
    construction_type,
    planned_investment,
    completed_investment,
    _file_sha256                               AS source_file_sha256,
    _row                                       AS source_row
FROM reported
ORDER BY project_code
