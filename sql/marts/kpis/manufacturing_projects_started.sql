-- manufacturing_projects_started (制造业项目开工): manufacturing projects (divisions 13-43) that started in the period.
-- Judged by each project's attributes in the latest month up to the period's end in which it appears.
SELECT project_code AS member_key, project_name AS member_name
FROM mart.projects_as_of($last_month_key)
WHERE month_key(start_date) BETWEEN $first_month_key AND $last_month_key
  AND is_manufacturing
ORDER BY member_key
