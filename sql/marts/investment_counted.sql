-- mart.investment_counted: the project-months fixed-asset investment counts. Only projects whose
-- planned investment, as reported that month, is at least 500万元 (the statistical threshold); the
-- industry groupings are those of the industry code reported that month.
WITH reported AS (
    SELECT * FROM main.fact_investment_month
),

counted AS (
    SELECT * FROM reported WHERE planned_investment >= 500
)

SELECT
    c.month_key,
    c.project_code,
    c.industry_code,
    c.planned_investment,
    c.completed_investment,
    coalesce(i.is_industrial, false)              AS is_industrial,
    coalesce(i.is_high_tech_manufacturing, false) AS is_high_tech_manufacturing
FROM counted AS c
LEFT JOIN main.dim_industry AS i USING (industry_code)
