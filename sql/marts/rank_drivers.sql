-- The rows of mart.kpi_drivers for one growth KPI and half-year, from each member's part in it as its
-- drivers SQL listed them (temp.driver_members: the columns of sql/marts/enterprise_drivers.sql).
-- The kinds of driver:
--
--   raised / lowered  members whose comparable amount rose / fell: contribution_pp = the change over the
--                     growth's base, in percentage points (all of them add up to the growth rate)
--   entered / left    members in the set counted in the period but in none of the same months a year
--                     earlier / the other way round
--   largest           the largest amounts of the period: share_pct = their share of its total
--
-- Kept: each kind's five largest, ranked 1-5, and the kind as a whole as rank 0 (for `largest`: the five).
WITH members AS (
    SELECT * FROM temp.driver_members
),

totals AS (
    SELECT sum(amount) AS amount, sum(comparable_year_before) AS base
    FROM members
),

kinds AS (
    SELECT CASE WHEN m.comparable > m.comparable_year_before THEN 'raised' ELSE 'lowered' END AS kind,
           m.member_key, m.member_name, m.comparable AS amount, m.comparable_year_before AS amount_year_before,
           (m.comparable - m.comparable_year_before) * 100 / nullif(t.base, 0) AS contribution_pp,
           NULL AS share_pct
    FROM members AS m, totals AS t
    WHERE m.comparable <> m.comparable_year_before
    UNION ALL
    SELECT 'entered', member_key, member_name, amount, NULL, NULL, NULL
    FROM members
    WHERE amount IS NOT NULL AND amount_year_before IS NULL
    UNION ALL
    SELECT 'left', member_key, member_name, NULL, amount_year_before, NULL, NULL
    FROM members
    WHERE amount IS NULL AND amount_year_before IS NOT NULL
    UNION ALL
    SELECT 'largest', m.member_key, m.member_name, m.amount, NULL, NULL, m.amount * 100 / nullif(t.amount, 0)
    FROM members AS m, totals AS t
    WHERE m.amount IS NOT NULL
),

ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY kind
            ORDER BY CASE kind WHEN 'raised' THEN -contribution_pp
                               WHEN 'lowered' THEN contribution_pp
                               WHEN 'left' THEN -amount_year_before
                               ELSE -amount END,
                     member_key) AS rank
    FROM kinds
),

kept AS (
    SELECT kind, rank, member_key, member_name, 1 AS members,
           amount, amount_year_before, contribution_pp, share_pct
    FROM ranked
    WHERE rank <= 5
    UNION ALL
    SELECT kind, 0, '*', NULL, count(*), sum(amount), sum(amount_year_before), sum(contribution_pp),
           sum(share_pct)
    FROM ranked
    WHERE kind <> 'largest' OR rank <= 5
    GROUP BY kind
)

SELECT $period AS period, $kpi_code AS kpi_code, *
FROM kept
