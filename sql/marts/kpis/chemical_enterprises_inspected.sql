-- chemical_enterprises_inspected (检查的化工企业): distinct units inspected in the period under
-- inspection_kind 'chemical_enterprise', each counted once by its USCC (by its name when the file gives none),
-- named as the latest inspection of the period wrote it.
SELECT
    unit_key                                                         AS member_key,
    first(unit_name ORDER BY inspection_date DESC, record_id DESC)  AS member_name
FROM main.fact_safety_inspection
WHERE month_key BETWEEN $first_month_key AND $last_month_key
  AND inspection_kind = 'chemical_enterprise'
GROUP BY unit_key
ORDER BY member_key
