-- enforcement_inspections (联合执法检查起数): joint enforcement inspections in the period (rows).
SELECT count(*) AS value
FROM main.fact_safety_inspection
WHERE month_key BETWEEN $first_month_key AND $last_month_key
  AND inspection_kind = 'joint_enforcement'
