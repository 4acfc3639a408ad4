-- dim_person: one row per person served, known only by a keyed pseudonym of the ID number
-- (HMAC-SHA256; see src/town_industry/ingest/personal.py). Count distinct persons with it;
-- nobody can get back to who they are from the warehouse.
SELECT
    person_key,
    min(service_date)  AS first_service_date,
    max(service_date)  AS last_service_date,
    count(*)           AS service_records
FROM staging.employment_services
WHERE person_key IS NOT NULL
GROUP BY person_key
ORDER BY person_key
