-- mart.enterprise_drivers(measure, first_month_key, last_month_key): each enterprise's part in the
-- comparable-basis growth of an enterprise amount ('taxable_sales', 'gross_output' or 'high_tech_output')
-- over a run of months. One row per enterprise above scale in some month of the period or of the same
-- months a year earlier:
--
--   amount, amount_year_before    its amount in the months it was above scale, in the period / a year
--                                 earlier; NULL when it was in none of them (it entered / left the set)
--   comparable                    its amount in the period's rows that have a row twelve months earlier
--   comparable_year_before        the amounts of those earlier rows: the growth's base (NULL: no base)
--
-- The growth rate is (sum comparable / sum comparable_year_before - 1) x 100, as taxable_sales_yoy_pct.
-- Names are those of the enterprise's last month in the period (a year earlier for those who left).
-- sql/marts/rank_drivers.sql turns these rows into the mart's drivers.
WITH rows_now AS (
    SELECT
        uscc,
        month_key,
        has_year_before,
        CASE measure WHEN 'taxable_sales' THEN taxable_sales
                     WHEN 'gross_output' THEN gross_output
                     WHEN 'high_tech_output' THEN high_tech_output END                     AS amount,
        CASE measure WHEN 'taxable_sales' THEN taxable_sales_year_before
                     WHEN 'gross_output' THEN gross_output_year_before
                     WHEN 'high_tech_output' THEN high_tech_output_year_before END         AS amount_year_before
    FROM mart.enterprise_in_scope
    WHERE month_key BETWEEN first_month_key AND last_month_key
),

rows_year_before AS (   -- the in-scope rows of the same months a year earlier
    SELECT
        uscc,
        month_key,
        CASE measure WHEN 'taxable_sales' THEN taxable_sales
                     WHEN 'gross_output' THEN gross_output
                     WHEN 'high_tech_output' THEN high_tech_output END                     AS amount
    FROM main.fact_enterprise_month
    WHERE is_above_scale AND month_key BETWEEN first_month_key - 100 AND last_month_key - 100
),

enterprises_now AS (
    SELECT
        uscc,
        max(month_key)                                           AS named_in,
        sum(amount)                                              AS amount,
        sum(amount) FILTER (WHERE has_year_before)               AS comparable,
        sum(amount_year_before) FILTER (WHERE has_year_before)   AS comparable_year_before
    FROM rows_now
    GROUP BY uscc
),

enterprises_year_before AS (
    SELECT uscc, max(month_key) AS named_in, sum(amount) AS amount
    FROM rows_year_before
    GROUP BY uscc
)

SELECT
    uscc                                     AS member_key,
    d.enterprise_name                        AS member_name,
    n.amount,
    y.amount                                 AS amount_year_before,
    n.comparable,
    n.comparable_year_before
FROM enterprises_now AS n
FULL JOIN enterprises_year_before AS y USING (uscc)
LEFT JOIN main.dim_enterprise AS d
    ON d.uscc = uscc
   AND coalesce(n.named_in, y.named_in) BETWEEN d.valid_from_month_key AND d.valid_to_month_key
