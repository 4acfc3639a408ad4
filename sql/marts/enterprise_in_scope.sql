-- mart.enterprise_in_scope: the enterprise-months the enterprise KPIs count. A row is in scope when
-- the enterprise reported itself above scale that month. Beside it: the same enterprise's row twelve
-- months earlier, whatever its scale flag was then. has_year_before = false means no comparison base:
-- comparable-basis growth leaves such rows out of both of its sums.
--
-- The fact table is read twice, not through one CTE both sides share: DuckDB materialises a CTE read
-- twice (all 30 million rows of a national history, before any filter). Read twice, a filter on
-- month_key reaches the scan of the in-scope rows (which skips the other months' row groups), and the
-- join hands the months it found, less a year, to the scan of the rows a year earlier as a dynamic
-- filter: a half-year reads its own 6 months and the 6 before, not 60.
WITH in_scope AS (
    SELECT * FROM main.fact_enterprise_month WHERE is_above_scale
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
LEFT JOIN main.fact_enterprise_month AS y   -- the same enterprise's row twelve months earlier
    ON y.uscc = s.uscc AND y.month_key = s.month_key - 100
