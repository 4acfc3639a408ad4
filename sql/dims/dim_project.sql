-- dim_project: type-2 history of each investment project's attributes as reported month by month
-- (materialized: scd2, see include/sources/investment_monthly.yml and sql/macros/scd2.sql.j2).
SELECT
    project_code,
    stat_month,
    project_name,
    owner_uscc,
    industry_code,
    construction_type,
    planned_investment,
    land_area_mu,
    sign_date,
    start_date,
    completion_date
FROM staging.investment_monthly
