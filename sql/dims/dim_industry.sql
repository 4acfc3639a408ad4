-- dim_industry: every class (小类) of GB/T 4754-2017 with its group, division and section and their
-- names, and the groupings the KPIs use (industrial, manufacturing, services, NBS 2017 high-tech
-- manufacturing). A code the standard does not have is rejected at load (invalid_industry_code), so
-- every industry_code of a fact joins here.
-- The sections of each grouping are parameters: contracts/industry.py is their one definition.
WITH tree AS (
    SELECT * FROM read_csv($classification_csv, header = true, all_varchar = true)
),
names AS (
    SELECT level, code, name FROM tree
),
high_tech AS (
    SELECT * FROM read_csv($high_tech_csv, header = true, all_varchar = true)
),
classes AS (
    SELECT
        c.code         AS industry_code,
        c.name         AS class_name,
        c."group"      AS group_code,
        g.name         AS group_name,
        c.division     AS division_code,
        d.name         AS division_name,
        c.section      AS section_code,
        s.name         AS section_name
    FROM tree AS c
    JOIN names AS g ON g.level = 'group' AND g.code = c."group"
    JOIN names AS d ON d.level = 'division' AND d.code = c.division
    JOIN names AS s ON s.level = 'section' AND s.code = c.section
    WHERE c.level = 'class'
)
SELECT
    c.*,
    list_contains($industrial_sections, c.section_code)    AS is_industrial,
    list_contains($manufacturing_sections, c.section_code) AS is_manufacturing,
    list_contains($services_sections, c.section_code)      AS is_services,
    h.class_code IS NOT NULL                               AS is_high_tech_manufacturing,
    h.category_name                                        AS high_tech_category
FROM classes AS c
LEFT JOIN high_tech AS h ON h.class_code = c.industry_code
ORDER BY c.industry_code
