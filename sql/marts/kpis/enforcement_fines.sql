-- enforcement_fines (执法处罚金额): fines of the period's joint enforcement inspections, 万元 (the file's
-- 元 / 10,000). A fine on another kind of inspection rejects the file (rule fine_without_enforcement).
SELECT coalesce(sum(fine), 0) AS value
FROM main.fact_safety_inspection
WHERE month_key BETWEEN $first_month_key AND $last_month_key
  AND inspection_kind = 'joint_enforcement'
