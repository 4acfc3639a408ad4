-- started_projects_land_mu (开工项目用地): land of the projects that started in the period, in 亩.
-- Judged by each project's attributes in the latest month up to the period's end in which it appears.
WITH at_period_end AS (
    SELECT * FROM mart.project_versions
    WHERE $last_month_key BETWEEN valid_from_month_key AND valid_to_month_key
)

SELECT coalesce(sum(land_area_mu), 0) AS value
FROM at_period_end
WHERE year(start_date) * 100 + month(start_date) BETWEEN $first_month_key AND $last_month_key
