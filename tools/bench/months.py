"""One month of the synthetic population's figures, as SQL over the population's Parquet file.

Every month is a pure function of (population, month, seed): DuckDB's ``hash`` of the firm, the month
and a tag draws each random number, so a month's file and the same month's history rows built
directly in the warehouse hold the same figures, and no month needs the ones before it.

Figures are integers in file units (``DECIMALS``: 0.1 千元 for output, 0.01 万元 for sales), like the
sample generator's, so a file spells them exactly and the warehouse gets them exactly.
"""
from __future__ import annotations

from town_industry.periods import parse_month

# Decimals of each amount as a file writes it (tools/sample_data/enterprise_model.AMOUNT_DECIMALS).
DECIMALS = {"gross_output": 1, "taxable_sales": 2, "high_tech_output": 1, "rd_expense": 1}

MISSING_SHARE = 0.02        # firms absent from a month's file (late, closed, merged)
SWING_SHARE = 0.003         # rows whose output jumps or collapses (history check taxable_sales_swing_yoy)
EMPLOYEES_BLANK = 0.003     # rows with an empty employees cell
# Output relative to an average month: the Spring Festival in February, the year-end push in December.
SEASON = (0.95, 0.70, 1.00, 1.00, 1.02, 1.08, 0.98, 0.98, 1.04, 1.00, 1.05, 1.15)
GROWTH = 1.06               # a year


def month_index(month: str) -> int:
    year, mon = parse_month(month)
    return year * 12 + mon - 1


def uniform(tag: str, seed: int, t: int) -> str:
    """A uniform number in [0, 1) per firm, month and tag (SQL)."""
    return f"((hash(i, {t}, {seed}, '{tag}') % 1000003) / 1000003.0)"


def normal(tag: str, seed: int, t: int) -> str:
    """About a standard normal number per firm, month and tag: a sum of four uniforms, rescaled (SQL)."""
    parts = " + ".join(uniform(f"{tag}{k}", seed, t) for k in range(4))
    return f"(({parts}) - 2.0) / 0.5773503"


def population_size(rows: int) -> int:
    """Firms in a population whose monthly files hold ``rows`` rows (a few are missing every month)."""
    return int(rows / (1 - MISSING_SHARE) * 1.01) + 10


def month_rows_sql(population: str, month: str, seed: int, rows: int) -> str:
    """SELECT of the month's ``rows`` rows in file order: i, pos (1-based), the attributes and the
    figures in units. The population holds a few more firms than ``rows``; the month takes the first
    ``rows`` firms that report."""
    t = month_index(month)
    season = SEASON[t % 12]
    growth = f"pow({GROWTH}, ({t} - {month_index('2019-01')}) / 12.0)"
    swing = (f"CASE WHEN {uniform('swing', seed, t)} < {SWING_SHARE / 2} THEN 1.9 "
             f"WHEN {uniform('swing', seed, t)} < {SWING_SHARE} THEN 0.35 ELSE 1.0 END")
    flipped = "(({t} + {name}_phase) // {name}_period) % 2 = 1"
    return f"""
WITH present AS (
    SELECT * FROM read_parquet('{population}')
    WHERE {uniform('present', seed, t)} >= {MISSING_SHARE}
    ORDER BY i
    LIMIT {rows}
),
figures AS (
    SELECT
        i,
        uscc,
        CASE WHEN {flipped.format(t=t, name='name')} THEN alt_name ELSE enterprise_name END AS enterprise_name,
        CASE WHEN {flipped.format(t=t, name='industry')} THEN alt_industry_code ELSE industry_code END
            AS industry_code,
        above_scale != ({flipped.format(t=t, name='scale')}) AS is_above_scale,
        greatest(round(gross_units * {growth} * {season} * {swing} * exp(0.08 * {normal('g', seed, t)})), 10)
            AS gross,
        sales_ratio, high_tech_share, rd_share,
        CASE WHEN {uniform('emp_blank', seed, t)} >= {EMPLOYEES_BLANK}
             THEN CAST(round(employees * (1 + 0.02 * {normal('e', seed, t)})) AS BIGINT) END AS employees
    FROM present
)
SELECT
    i,
    CAST(row_number() OVER (ORDER BY i) AS BIGINT) AS pos,
    uscc, enterprise_name, industry_code, is_above_scale,
    CAST(gross AS BIGINT) AS gross_output,
    CAST(round(gross * sales_ratio * exp(0.05 * {normal('s', seed, t)})) AS BIGINT) AS taxable_sales,
    CAST(floor(gross * least(high_tech_share * exp(0.05 * {normal('h', seed, t)}), 1.0)) AS BIGINT)
        AS high_tech_output,
    CAST(round(gross * rd_share * exp(0.1 * {normal('r', seed, t)})) AS BIGINT) AS rd_expense,
    employees
FROM figures
ORDER BY i
"""
