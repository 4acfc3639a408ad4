-- Warning: a project's completed investment summed over the loaded months up to this one exceeds
-- its planned investment as this month's file states it. (Only months up to this one: a check
-- judges a month by it and earlier months, so warnings do not depend on the order months load in.)
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
    'completed investment of all loaded months (' || c.completed_to_date || ' 万元) exceeds the planned '
        || t.planned_investment || ' 万元' AS message
FROM this_month AS t
JOIN cumulative AS c USING (project_code)
WHERE c.completed_to_date > t.planned_investment
ORDER BY t._row
