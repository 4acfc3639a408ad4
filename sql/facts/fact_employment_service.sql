-- fact_employment_service: one row per service record; amounts in 万元 (the file's 元 / 10,000).
WITH records AS (
    SELECT * FROM staging.employment_services WHERE stat_month = $month
)
SELECT
    month_key(stat_month) AS month_key,
    record_id,
    service_date,
    service_type,
    person_key,
    amount,
    positions,
    _file_sha256                               AS source_file_sha256,
    _row                                       AS source_row
FROM records
ORDER BY record_id
