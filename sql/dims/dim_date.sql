-- dim_date: one row per calendar month, 2000-01 to 2050-12 (the facts' grain).
WITH months AS (
    SELECT CAST(month_start AS DATE) AS month_start
    FROM range(DATE '2000-01-01', DATE '2051-01-01', INTERVAL 1 MONTH) AS t(month_start)
)
SELECT
    month_key(month_start)                                              AS month_key,     -- 202006
    strftime(month_start, '%Y-%m')                                      AS month_label,   -- '2020-06'
    month_start,
    CAST(last_day(month_start) AS DATE)                                 AS month_end,
    year(month_start)                                                   AS year,
    month(month_start)                                                  AS month_of_year,
    quarter(month_start)                                                AS quarter,
    CASE WHEN month(month_start) <= 6 THEN 1 ELSE 2 END                 AS half,
    year(month_start) || CASE WHEN month(month_start) <= 6 THEN 'H1' ELSE 'H2' END AS half_year,  -- '2020H1'
    year(month_start) || '年' || month(month_start) || '月'             AS month_name_zh
FROM months
ORDER BY month_key
