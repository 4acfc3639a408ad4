-- Rule guaranteed_loan_above_ceiling (severity and message: include/rules.yml).
-- A guaranteed startup loan above the local ceiling ($loan_ceiling_wan_yuan 万元).
-- Returns row_number, column_name, value, and params: the values of the message's placeholders.
SELECT
    _row                     AS row_number,
    'amount_yuan'            AS column_name,
    CAST(amount * 10000 AS VARCHAR) AS value,
    {'amount': amount, 'ceiling': $loan_ceiling_wan_yuan} AS params
FROM staging.employment_services
WHERE stat_month = $month AND service_type = 'guaranteed_loan' AND amount > $loan_ceiling_wan_yuan
ORDER BY _row
