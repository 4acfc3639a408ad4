-- chemical_enterprise_inspections (化工企业检查次数): inspections of chemical enterprises in the period (rows).
SELECT count(*) AS value
FROM main.fact_safety_inspection
WHERE month_key BETWEEN $first_month_key AND $last_month_key
  AND inspection_kind = 'chemical_enterprise'
