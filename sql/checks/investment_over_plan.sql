-- Rule completed_investment_over_plan (severity and message: include/rules.yml).
-- A project's completed investment summed over the loaded months up to this one exceeds
-- its planned investment as this month's file states it. (Only months up to this one: a check
-- judges a month by it and earlier months, so warnings do not depend on the order months load in.)
-- Returns row_number, column_name, value, and params: the values of the message's placeholders.
WITH this_month AS (
    SELECT _row, project_code, planned_investment
    FROM staging.investment_monthly WHERE stat_month = $month
),
cumulative AS (
    SELECT project_code, sum(completed_investment) AS completed_to_date
    FROM staging.investment_monthly
    WHERE stat_month <= $month
    GROUP BY project_code
)
SELECT
    t._row                             AS row_number,
    'completed_investment'             AS column_name,
    CAST(c.completed_to_date AS VARCHAR) AS value,
    {'completed_to_date': c.completed_to_date, 'planned': t.planned_investment} AS params
FROM this_month AS t
JOIN cumulative AS c USING (project_code)
WHERE c.completed_to_date > t.planned_investment
ORDER BY t._row
