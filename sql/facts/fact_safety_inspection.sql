-- fact_safety_inspection: one row per work-safety inspection; fines in 万元 (the file's 元 / 10,000).
-- unit_key identifies the inspected unit: its USCC, or its name where the file gives no USCC
-- (fireworks retail shops often have none), so units can be counted once.
WITH inspections AS (
    SELECT * FROM staging.safety_inspections WHERE stat_month = $month
)
SELECT
    month_key(stat_month)                      AS month_key,
    record_id,
    inspection_date,
    inspection_kind,
    coalesce(unit_uscc, 'name:' || unit_name)  AS unit_key,
    unit_uscc,
    unit_name,
    hazards_found,
    hazards_rectified,
    fine,
    case_closed,
    _file_sha256                               AS source_file_sha256,
    _row                                       AS source_row
FROM inspections
ORDER BY record_id
