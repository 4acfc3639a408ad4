-- mart.project_versions: dim_project's type-2 versions with their industry groupings. The version a
-- period's project events are judged by is the one valid in the period's last month,
--     WHERE $last_month_key BETWEEN valid_from_month_key AND valid_to_month_key,
-- i.e. the attributes of the latest month up to the period's end in which the project appears.
SELECT
    p.*,
    coalesce(i.is_manufacturing, false) AS is_manufacturing,
    coalesce(i.is_services, false)      AS is_services
FROM main.dim_project AS p
LEFT JOIN main.dim_industry AS i USING (industry_code)
