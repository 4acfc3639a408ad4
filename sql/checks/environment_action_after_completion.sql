-- Rule action_reported_after_completion (severity and message: include/rules.yml).
-- A record_id of this file was already reported completed (a complaint: resolved) in an EARLIER month.
-- The KPIs count an action once, in the month it was first completed, so the repeat changes no figure,
-- but it usually means a stale row copied from last month's ledger.
-- Returns row_number, column_name, value, and params: the values of the message's placeholders.
WITH this_month AS (
    SELECT _row, record_id FROM staging.environment_actions WHERE stat_month = $month
),
completed_before AS (
    SELECT record_id, min(stat_month) AS completed_month
    FROM staging.environment_actions
    WHERE stat_month < $month AND status IN ('completed', 'resolved')
    GROUP BY record_id
)
SELECT
    t._row       AS row_number,
    'record_id'  AS column_name,
    t.record_id  AS value,
    {'completed_month': strftime(c.completed_month, '%Y-%m')} AS params
FROM this_month AS t
JOIN completed_before AS c USING (record_id)
ORDER BY t._row
