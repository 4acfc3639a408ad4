-- Warning: a guaranteed startup loan above the local ceiling ($loan_ceiling_wan_yuan 万元).
SELECT
    _row                     AS row_number,
    'amount_yuan'            AS column_name,
    CAST(amount * 10000 AS VARCHAR) AS value,
    'guaranteed loan of ' || amount || ' 万元 is above the local ceiling of ' || $loan_ceiling_wan_yuan || ' 万元' AS message
FROM staging.employment_services
WHERE stat_month = $month AND service_type = 'guaranteed_loan' AND amount > $loan_ceiling_wan_yuan
ORDER BY _row
