-- mart.enterprise_in_scope: the enterprise-months the enterprise KPIs count. A row is in scope when
-- the enterprise reported itself above scale that month. Beside it: the same enterprise's row twelve
-- months earlier, whatever its scale flag was then. has_year_before = false means no comparison base:
-- comparable-basis growth leaves such rows out of both of its sums.
WITH reported AS (
    SELECT * FROM main.fact_enterprise_month
),

in_scope AS (
    SELECT * FROM reported WHERE is_above_scale
),

year_before AS (
    -- each row moved forward a year, onto the month it is the comparison base of
    SELECT uscc, month_key + 100 AS month_key, taxable_sales, gross_output, high_tech_output
    FROM reported
)

SELECT
    s.month_key,
    s.uscc,
    s.industry_code,
    s.taxable_sales,
    s.gross_output,
    s.high_tech_output,
    s.rd_expense,
    y.uscc IS NOT NULL   AS has_year_before,
    y.taxable_sales      AS taxable_sales_year_before,
    y.gross_output       AS gross_output_year_before,
    y.high_tech_output   AS high_tech_output_year_before
FROM in_scope AS s
LEFT JOIN year_before AS y USING (uscc, month_key)
