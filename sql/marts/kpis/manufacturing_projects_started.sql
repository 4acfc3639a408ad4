-- manufacturing_projects_started (制造业项目开工): manufacturing projects (divisions 13-43) that started in the period.
-- Judged by each project's attributes in the latest month up to the period's end in which it appears.
WITH at_period_end AS (
    SELECT * FROM mart.project_versions
    WHERE $last_month_key BETWEEN valid_from_month_key AND valid_to_month_key
)

SELECT project_code AS member_key, project_name AS member_name
FROM at_period_end
WHERE year(start_date) * 100 + month(start_date) BETWEEN $first_month_key AND $last_month_key
  AND is_manufacturing
ORDER BY member_key
