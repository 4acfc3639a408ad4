-- dim_enterprise: type-2 history of each enterprise's name, industry and scale status
-- (materialized: scd2, see include/sources/enterprise_monthly.yml and sql/macros/scd2.sql.j2).
SELECT
    uscc,
    stat_month,
    enterprise_name,
    industry_code,
    is_above_scale
FROM staging.enterprise_monthly
