-- fact_enterprise_month: one row per enterprise per reported month, amounts in 万元.
-- is_above_scale and industry_code are kept as the enterprise reported them that month,
-- because the KPI rules select rows by their own scale flag. Join dim_enterprise on
-- uscc and month_key BETWEEN valid_from_month_key AND valid_to_month_key for names.
WITH reported AS (
    SELECT * FROM staging.enterprise_monthly WHERE stat_month = $month
)
SELECT
    month_key(stat_month) AS month_key,
    uscc,
    industry_code,
    is_above_scale,
    gross_output,
    taxable_sales,
    high_tech_output,
    rd_expense,
    employees,
    _file_sha256                               AS source_file_sha256,
    _row                                       AS source_row
FROM reported
ORDER BY uscc
