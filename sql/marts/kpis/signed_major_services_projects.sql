-- signed_major_services_projects (其中服务业亿元项目): signed major projects in services (divisions 51-97).
-- Judged by each project's attributes in the latest month up to the period's end in which it appears.
SELECT project_code AS member_key, project_name AS member_name
FROM mart.projects_as_of($last_month_key)
WHERE month_key(sign_date) BETWEEN $first_month_key AND $last_month_key
  AND planned_investment >= 10000
  AND is_services
ORDER BY member_key
