-- signed_major_projects_10bn (其中10亿元项目): signed major projects with a planned investment of 10亿元 or more.
-- Judged by each project's attributes in the latest month up to the period's end in which it appears.
SELECT project_code AS member_key, project_name AS member_name
FROM mart.projects_as_of($last_month_key)
WHERE month_key(sign_date) BETWEEN $first_month_key AND $last_month_key
  AND planned_investment >= 100000
ORDER BY member_key
