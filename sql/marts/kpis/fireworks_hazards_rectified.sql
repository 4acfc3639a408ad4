-- fireworks_hazards_rectified (烟花爆竹专项整治隐患): hazards rectified in the period's inspections of
-- fireworks wholesale and retail units.
SELECT coalesce(sum(hazards_rectified), 0) AS value
FROM main.fact_safety_inspection
WHERE month_key BETWEEN $first_month_key AND $last_month_key
  AND inspection_kind IN ('fireworks_wholesale', 'fireworks_retail')
