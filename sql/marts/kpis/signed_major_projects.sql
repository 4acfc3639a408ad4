-- signed_major_projects (签约亿元项目): projects signed in the period with a planned investment of 1亿元 or more.
-- Judged by each project's attributes in the latest month up to the period's end in which it appears.
SELECT project_code AS member_key, project_name AS member_name
FROM mart.projects_as_of($last_month_key)
WHERE month_key(sign_date) BETWEEN $first_month_key AND $last_month_key
  AND planned_investment >= 10000
ORDER BY member_key
