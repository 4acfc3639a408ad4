-- Rule action_kind_changed (severity and message: include/rules.yml).
-- A record_id of this file was reported in an EARLIER month with another kind of action: a record keeps
-- its kind from month to month (a record id reused for a new action would merge two actions).
-- Only earlier months: a check judges a month by it and earlier months.
-- Returns row_number, column_name, value, and params: the values of the message's placeholders
-- (action_kind is a category column's code: the Chinese message shows the file's spelling).
WITH this_month AS (
    SELECT _row, record_id, action_kind FROM staging.environment_actions WHERE stat_month = $month
),
earlier AS (
    SELECT record_id, stat_month, action_kind FROM staging.environment_actions WHERE stat_month < $month
)
SELECT
    t._row         AS row_number,
    'action_kind'  AS column_name,
    t.action_kind  AS value,
    {'loaded_month': strftime(e.stat_month, '%Y-%m'), 'action_kind': e.action_kind} AS params
FROM this_month AS t
JOIN earlier AS e ON e.record_id = t.record_id AND e.action_kind <> t.action_kind
QUALIFY row_number() OVER (PARTITION BY t._row ORDER BY e.stat_month DESC) = 1
ORDER BY t._row
