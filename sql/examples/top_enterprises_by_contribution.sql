-- Which enterprises moved 2020H1's taxable sales growth most, in percentage points of the comparable
-- base (the same ranking as the draft's appendix and `make explain`).
SELECT
    kind,                                   -- raised / lowered
    rank,
    member_name     AS enterprise,
    amount,                                 -- 万元, 2020H1
    amount_year_before,                     -- 万元, 2019H1
    round(contribution_pp, 2) AS contribution_pp
FROM mart.kpi_drivers
WHERE period = '2020H1'
  AND kpi_code = 'taxable_sales_yoy_pct'
  AND kind IN ('raised', 'lowered')
  AND rank > 0
ORDER BY kind DESC, rank
