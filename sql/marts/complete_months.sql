-- Months loaded for every core source (include/kpis.yml: core_sources): a month gets monthly KPIs,
-- and a half-year gets half-year KPIs, once all of its months are here.
WITH loaded AS (
    SELECT DISTINCT source, month
    FROM meta.current_files
    WHERE list_contains($core_sources, source)
)

SELECT month
FROM loaded
GROUP BY month
HAVING count(DISTINCT source) = len($core_sources)
ORDER BY month
