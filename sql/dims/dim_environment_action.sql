-- dim_environment_action: one row per environmental action or complaint (record_id), over every loaded
-- month: when it was first reported and when it was FIRST completed (a complaint: resolved), with the
-- kind and enterprise as the completing row gave them (else as last reported). The KPIs count an action
-- in the month of its first completion; that month depends only on it and earlier months, so a period's
-- figures do not change when later months load.
WITH rows_ AS (
    SELECT
        record_id, stat_month, action_date, action_kind, status, enterprise_uscc, enterprise_name,
        received_date, resolved_date,
        status IN ('completed', 'resolved') AS is_done
    FROM staging.environment_actions
),
first_done AS (
    SELECT * FROM rows_ WHERE is_done
    QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY stat_month) = 1
),
latest AS (
    SELECT * FROM rows_
    QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY stat_month DESC) = 1
),
reported AS (
    SELECT record_id, min(stat_month) AS first_month, max(stat_month) AS last_month, count(*) AS months_reported,
           min(received_date) AS received_date
    FROM rows_
    GROUP BY record_id
)
SELECT
    r.record_id,
    coalesce(d.action_kind, l.action_kind)                                AS action_kind,
    coalesce(d.enterprise_uscc, l.enterprise_uscc)                        AS enterprise_uscc,
    coalesce(d.enterprise_name, l.enterprise_name)                        AS enterprise_name,
    coalesce(d.enterprise_uscc, l.enterprise_uscc,
             'name:' || coalesce(d.enterprise_name, l.enterprise_name))   AS enterprise_key,
    month_key(r.first_month)                                              AS first_reported_month_key,
    month_key(r.last_month)                                               AS last_reported_month_key,
    r.months_reported,
    l.status                                                              AS last_status,
    r.received_date,
    month_key(d.stat_month)                                               AS completed_month_key,
    coalesce(d.resolved_date, d.action_date)                              AS completed_date
FROM reported AS r
LEFT JOIN first_done AS d USING (record_id)
LEFT JOIN latest AS l USING (record_id)
ORDER BY r.record_id
