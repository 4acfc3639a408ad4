-- mart.enterprise_monthly_totals: one row per month with in-scope rows, their sums (see
-- mart.enterprise_in_scope): what the enterprise KPIs that add amounts up read, a half-year being the
-- sum of its months. The comparable-basis sums count only rows with a row twelve months earlier, in
-- both the sum now and the sum a year earlier.
--
-- A table, recomputed from the facts by every mart build before it computes a period (and by
-- ensure_mart): joining every in-scope row to its row a year earlier is the expensive step (seconds over
-- 30 million rows), so it is done once per build for all months, not again for each KPI and period.
-- All months, because the run of positive months looks back over all of them. Sums of DECIMAL are
-- exact, so a period's sum of monthly sums is the sum over its rows.
SELECT
    month_key,
    sum(taxable_sales)                                         AS taxable_sales,
    sum(gross_output)                                          AS gross_output,
    sum(high_tech_output)                                      AS high_tech_output,
    sum(rd_expense)                                            AS rd_expense,
    sum(taxable_sales) FILTER (WHERE has_year_before)          AS taxable_sales_comparable,
    sum(taxable_sales_year_before) FILTER (WHERE has_year_before)    AS taxable_sales_year_before,
    sum(gross_output) FILTER (WHERE has_year_before)           AS gross_output_comparable,
    sum(gross_output_year_before) FILTER (WHERE has_year_before)     AS gross_output_year_before,
    sum(high_tech_output) FILTER (WHERE has_year_before)       AS high_tech_output_comparable,
    sum(high_tech_output_year_before) FILTER (WHERE has_year_before) AS high_tech_output_year_before
FROM mart.enterprise_in_scope
GROUP BY month_key
