-- tech_upgrade_projects_completed (技改项目完成): technical-upgrade projects completed in the period.
-- Judged by each project's attributes in the latest month up to the period's end in which it appears.
SELECT project_code AS member_key, project_name AS member_name
FROM mart.projects_as_of($last_month_key)
WHERE month_key(completion_date) BETWEEN $first_month_key AND $last_month_key
  AND construction_type = 'tech_upgrade'
ORDER BY member_key
