-- mart.investment_drivers(first_month_key, last_month_key): each project's part in the growth of
-- fixed-asset investment over a run of months (all counted projects, not a comparable basis: see
-- fixed_asset_investment_yoy_pct). One row per project counted in some month of the period or of the same
-- months a year earlier, with the columns of mart.enterprise_drivers:
--
--   amount, amount_year_before    its completed investment in the period / a year earlier; NULL when it
--                                 was counted in none of those months (a new project / one no longer counted)
--   comparable, ..._year_before   the same with zero for NULL: every project is part of the growth
--
-- Names are those of the project's last month in the period (a year earlier for those who left).
WITH projects_now AS (
    SELECT project_code, max(month_key) AS named_in, sum(completed_investment) AS amount
    FROM mart.investment_counted
    WHERE month_key BETWEEN first_month_key AND last_month_key
    GROUP BY project_code
),

projects_year_before AS (
    SELECT project_code, max(month_key) AS named_in, sum(completed_investment) AS amount
    FROM mart.investment_counted
    WHERE month_key BETWEEN first_month_key - 100 AND last_month_key - 100
    GROUP BY project_code
)

SELECT
    project_code                  AS member_key,
    p.project_name                AS member_name,
    n.amount,
    y.amount                      AS amount_year_before,
    coalesce(n.amount, 0)         AS comparable,
    coalesce(y.amount, 0)         AS comparable_year_before
FROM projects_now AS n
FULL JOIN projects_year_before AS y USING (project_code)
LEFT JOIN main.dim_project AS p
    ON p.project_code = project_code
   AND coalesce(n.named_in, y.named_in) BETWEEN p.valid_from_month_key AND p.valid_to_month_key
