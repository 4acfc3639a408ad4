-- environmental_complaints_resolved_yoy_pct (环境信访调处数同比): complaints resolved in the period against
-- those resolved in the same months a year earlier, in percent. A base with a month missing from the
-- warehouse would overstate the change, so it is NULL unless every base month of environment_actions is
-- loaded (and NULL for a base of 0).
WITH resolved AS (
    SELECT completed_month_key AS month_key
    FROM main.dim_environment_action
    WHERE action_kind = 'complaint' AND completed_month_key IS NOT NULL
),

this_period AS (
    SELECT count(*) AS n FROM resolved WHERE month_key BETWEEN $first_month_key AND $last_month_key
),

year_before AS (
    SELECT count(*) AS n FROM resolved WHERE month_key BETWEEN $first_month_key - 100 AND $last_month_key - 100
),

base_months_loaded AS (
    SELECT count(*) AS months
    FROM meta.current_files
    WHERE source = 'environment_actions'
      AND CAST(replace(month, '-', '') AS INTEGER) BETWEEN $first_month_key - 100 AND $last_month_key - 100
)

SELECT
    CASE WHEN b.months = $last_month_key - $first_month_key + 1   -- a period never spans a new year
         THEN (CAST(t.n AS DOUBLE) / nullif(y.n, 0) - 1) * 100
    END AS value
FROM this_period AS t, year_before AS y, base_months_loaded AS b
