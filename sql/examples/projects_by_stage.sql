-- Projects by stage at the end of June 2020, with what they plan and what they have completed (万元).
SELECT
    stage,
    count(*)                                        AS projects,
    round(sum(planned_investment), 2)               AS planned_investment,
    round(sum(completed_investment_to_date), 2)     AS completed_investment_to_date
FROM mart.projects_at_month_end(202006)
GROUP BY stage
ORDER BY CASE stage WHEN 'preparing' THEN 1 WHEN 'signed' THEN 2 WHEN 'under_construction' THEN 3 ELSE 4 END
