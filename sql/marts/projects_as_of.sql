-- mart.projects_as_of(as_of_month_key): every project as it stood in a month, i.e. its dim_project
-- version valid then: the attributes of the latest month up to as_of_month_key in which the project
-- appears (a project not reported since keeps its last report). Project events of a period
-- (signed, started, completed) are judged by mart.projects_as_of(the period's last month).
SELECT
    p.*,
    coalesce(i.is_manufacturing, false) AS is_manufacturing,
    coalesce(i.is_services, false)      AS is_services
FROM main.dim_project AS p
LEFT JOIN main.dim_industry AS i USING (industry_code)
WHERE as_of_month_key BETWEEN p.valid_from_month_key AND p.valid_to_month_key
