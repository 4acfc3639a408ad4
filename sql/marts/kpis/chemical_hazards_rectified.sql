-- chemical_hazards_rectified (化工企业整治隐患): hazards rectified in the period's inspections of chemical
-- enterprises.
SELECT coalesce(sum(hazards_rectified), 0) AS value
FROM main.fact_safety_inspection
WHERE month_key BETWEEN $first_month_key AND $last_month_key
  AND inspection_kind = 'chemical_enterprise'
