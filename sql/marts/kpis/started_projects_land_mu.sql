-- started_projects_land_mu (开工项目用地): land of the projects that started in the period, in 亩.
-- Judged by each project's attributes in the latest month up to the period's end in which it appears.
SELECT coalesce(sum(land_area_mu), 0) AS value
FROM mart.projects_as_of($last_month_key)
WHERE month_key(start_date) BETWEEN $first_month_key AND $last_month_key
