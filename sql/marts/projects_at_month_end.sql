-- mart.projects_at_month_end(as_of_month_key): every project known by the end of a month, as it stood then
-- (mart.projects_as_of: its latest report up to that month), with its stage at the month's end and the
-- investment completed on it up to and including that month (万元, every month it reported, whatever
-- its planned investment).
--   stage: completed (竣工 on or before the month's end), under_construction (started, not completed),
--   signed (signed, not started), preparing (none of these dates yet).
WITH projects AS (
    SELECT * FROM mart.projects_as_of(as_of_month_key)
),

month_end AS (
    SELECT last_day(make_date(as_of_month_key // 100, as_of_month_key % 100, 1)) AS day
),

completed_to_date AS (
    SELECT project_code, sum(completed_investment) AS completed_investment_to_date
    FROM main.fact_investment_month AS f
    WHERE f.month_key <= as_of_month_key
    GROUP BY project_code
)

SELECT
    p.project_code,
    p.project_name,
    p.industry_code,
    p.construction_type,
    p.planned_investment,
    CASE
        WHEN p.completion_date <= e.day THEN 'completed'
        WHEN p.start_date <= e.day THEN 'under_construction'
        WHEN p.sign_date <= e.day THEN 'signed'
        ELSE 'preparing'
    END                                                   AS stage,
    coalesce(c.completed_investment_to_date, 0)           AS completed_investment_to_date,
    p.sign_date,
    p.start_date,
    p.completion_date,
    p.last_reported_month_key
FROM projects AS p
CROSS JOIN month_end AS e
LEFT JOIN completed_to_date AS c ON c.project_code = p.project_code
ORDER BY p.project_code
