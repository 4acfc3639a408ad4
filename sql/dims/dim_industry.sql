-- dim_industry: every 4-digit GB/T 4754-2017 class code of an existing division, with the
-- groupings the KPIs use (industrial, manufacturing, services, NBS 2017 high-tech manufacturing).
-- Class names are known for the high-tech classes only: the shipped reference data lists divisions.
-- The sections of each group are parameters: contracts/industry.py is their one definition.
WITH divisions AS (
    SELECT * FROM read_csv($divisions_csv, header = true, all_varchar = true)
),
high_tech AS (
    SELECT * FROM read_csv($high_tech_csv, header = true, all_varchar = true)
),
classes AS (
    SELECT d.*, d.division_code || lpad(CAST(n AS VARCHAR), 2, '0') AS industry_code
    FROM divisions AS d, range(0, 100) AS t(n)
)
SELECT
    c.industry_code,
    h.class_name,
    c.division_code,
    c.division_name,
    c.section_code,
    c.section_name,
    list_contains($industrial_sections, c.section_code)    AS is_industrial,
    list_contains($manufacturing_sections, c.section_code) AS is_manufacturing,
    list_contains($services_sections, c.section_code)      AS is_services,
    h.class_code IS NOT NULL                         AS is_high_tech_manufacturing,
    h.category_name                                  AS high_tech_category
FROM classes AS c
LEFT JOIN high_tech AS h ON h.class_code = c.industry_code
ORDER BY c.industry_code
