-- dim_enterprise: type-2 history of each enterprise (name, industry, scale status).
-- Rebuilt whole from every staged month, so the versions do not depend on the order
-- in which months were loaded. A version runs from the month its attributes first
-- appeared to the month before they next changed; the current version ends 9999-12.
WITH reported AS (
    SELECT
        uscc,
        year(stat_month) * 100 + month(stat_month) AS month_key,
        stat_month,
        enterprise_name,
        industry_code,
        is_above_scale
    FROM staging.enterprise_monthly
),

changes AS (
    SELECT
        *,
        CASE WHEN enterprise_name IS DISTINCT FROM lag(enterprise_name) OVER by_month
               OR industry_code  IS DISTINCT FROM lag(industry_code)  OVER by_month
               OR is_above_scale IS DISTINCT FROM lag(is_above_scale) OVER by_month
             THEN 1 ELSE 0 END AS starts_version
    FROM reported
    WINDOW by_month AS (PARTITION BY uscc ORDER BY month_key)
),

numbered AS (
    SELECT *, sum(starts_version) OVER (PARTITION BY uscc ORDER BY month_key) AS version
    FROM changes
),

versions AS (
    SELECT
        uscc,
        version,
        any_value(enterprise_name) AS enterprise_name,
        any_value(industry_code)   AS industry_code,
        any_value(is_above_scale)  AS is_above_scale,
        min(stat_month)            AS first_month,
        max(month_key)             AS last_reported_month_key
    FROM numbered
    GROUP BY uscc, version
),

bounded AS (
    SELECT
        *,
        year(first_month) * 100 + month(first_month) AS valid_from_month_key,
        lead(first_month) OVER (PARTITION BY uscc ORDER BY version) - INTERVAL 1 MONTH AS next_version_eve
    FROM versions
)

SELECT
    -- a stable surrogate: the same enterprise version gets the same key in every rebuild
    CAST('0x' || substr(md5(uscc || '|' || valid_from_month_key), 1, 15) AS BIGINT) AS enterprise_key,
    uscc,
    CAST(version AS INTEGER)                                        AS version,
    enterprise_name,
    industry_code,
    is_above_scale,
    valid_from_month_key,
    coalesce(year(next_version_eve) * 100 + month(next_version_eve), 999912) AS valid_to_month_key,
    next_version_eve IS NULL                                        AS is_current,
    last_reported_month_key
FROM bounded
ORDER BY uscc, version
