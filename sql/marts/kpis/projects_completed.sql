-- projects_completed (项目竣工): projects completed in the period, technical upgrades apart.
-- Judged by each project's attributes in the latest month up to the period's end in which it appears.
SELECT project_code AS member_key, project_name AS member_name
FROM mart.projects_as_of($last_month_key)
WHERE month_key(completion_date) BETWEEN $first_month_key AND $last_month_key
  AND construction_type <> 'tech_upgrade'
ORDER BY member_key
