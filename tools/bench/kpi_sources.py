"""Staging rows of the two other core sources, so the KPI mart's periods are complete.

A half-year gets KPIs only once every month is loaded for all core sources (include/kpis.yml), so the
60-month KPI warehouse needs investment projects and employment services beside its enterprises. They
are small next to 30 million enterprise rows (a province tracks thousands of projects, not millions) and
only need to be plausible: projects are signed, started and completed over the months and report every
month in between; service records are of every type, persons repeat. Typed as a load would stage them.
"""
from __future__ import annotations

import duckdb

from tools.bench.history import Stager
from tools.bench.months import month_index

PROJECT_CLASSES = ("3312", "3854", "3985", "3024", "2761", "3976", "3670", "3921", "6510", "7291", "5810", "4417")
CONSTRUCTION = ("new", "new", "expansion", "tech_upgrade", "other")
SERVICES = (("employment_certificate", 40), ("flexible_employment_subsidy", 25), ("startup_subsidy", 15),
            ("guaranteed_loan", 8), ("job_fair", 2))


def _h(*parts: str) -> str:
    """A non-negative integer per row from DuckDB's hash (SQL)."""
    return f"CAST(hash({', '.join(parts)}) % 1000003 AS BIGINT)"


def _date(month_index_sql: str, day_sql: str) -> str:
    return f"make_date(CAST(({month_index_sql}) // 12 AS BIGINT), CAST(({month_index_sql}) % 12 + 1 AS BIGINT), " \
           f"CAST({day_sql} AS BIGINT))"


def investment_stager(projects: int, first_month: str, months: int) -> Stager:
    """``projects`` projects signed over the ``months`` from ``first_month`` (and the year before)."""
    t0 = month_index(first_month) - 12
    span = months + 12
    classes = "[" + ", ".join(f"'{c}'" for c in PROJECT_CLASSES) + "]"
    kinds = "[" + ", ".join(f"'{c}'" for c in CONSTRUCTION) + "]"

    def stage(con: duckdb.DuckDBPyConnection, month: str, sha256: str) -> int:
        t = month_index(month)
        con.execute(f"""
INSERT INTO staging.investment_monthly BY NAME
WITH projects AS (
    SELECT p,
           {t0} + {_h('p', "'sign'")} % {span} AS signed,
           {t0} + {_h('p', "'sign'")} % {span} + 1 + {_h('p', "'start'")} % 3 AS started,
           {t0} + {_h('p', "'sign'")} % {span} + 7 + {_h('p', "'start'")} % 3 + {_h('p', "'build'")} % 18
               AS completed,
           {classes}[1 + {_h('p', "'class'")} % {len(PROJECT_CLASSES)}] AS industry_code,
           {kinds}[1 + {_h('p', "'kind'")} % {len(CONSTRUCTION)}] AS construction_type,
           CAST(300 + {_h('p', "'plan'")} % 200000 AS DECIMAL(18, 6)) AS planned_investment
    FROM range({projects}) AS r(p)
),
reporting AS (
    SELECT * FROM projects WHERE signed <= {t} AND {t} <= completed
)
SELECT
    DATE '{month}-01' AS stat_month,
    printf('%d-320612-%s-03-%06d', signed // 12, left(industry_code, 2), p) AS project_code,
    printf('东社镇%d号项目', p) AS project_name,
    CAST(NULL AS VARCHAR) AS owner_uscc,
    industry_code,
    construction_type,
    planned_investment,
    CASE WHEN {t} BETWEEN started AND completed
         THEN CAST(planned_investment / (completed - started + 1) AS DECIMAL(18, 6)) ELSE 0 END
        AS completed_investment,
    CAST({_h('p', "'land'")} % 200 AS DECIMAL(18, 6)) AS land_area_mu,
    {_date('signed', "1 + " + _h('p', "'sd'") + " % 27")} AS sign_date,
    CASE WHEN {t} >= started THEN {_date('started', "1 + " + _h('p', "'td'") + " % 27")} END AS start_date,
    CASE WHEN {t} >= completed THEN {_date('completed', "1 + " + _h('p', "'cd'") + " % 27")} END AS completion_date,
    CAST(row_number() OVER (ORDER BY p) + 1 AS INTEGER) AS _row,
    '{sha256}' AS _file_sha256
FROM reporting
""")
        return _rows(con, "staging.investment_monthly", month)

    return stage


def employment_stager(records: int) -> Stager:
    """``records`` service records a month; persons drawn from a pool twenty times that."""
    bounds, total = [], 0
    for kind, weight in SERVICES:
        total += weight
        bounds.append((kind, total))
    draw = _h("k", "t", "'type'")
    kind_sql = "CASE " + " ".join(f"WHEN {draw} % {total} < {b} THEN '{kind}'" for kind, b in bounds) + " END"

    def stage(con: duckdb.DuckDBPyConnection, month: str, sha256: str) -> int:
        t = month_index(month)
        con.execute(f"""
INSERT INTO staging.employment_services BY NAME
WITH records AS (
    SELECT k, {t} AS t, {kind_sql} AS service_type FROM range({records}) AS r(k)
)
SELECT
    DATE '{month}-01' AS stat_month,
    printf('JY{month.replace('-', '')}-%06d', k) AS record_id,
    {_date('t', "1 + " + _h('k', 't', "'day'") + " % 27")} AS service_date,
    service_type,
    CASE WHEN service_type <> 'job_fair' THEN md5('person' || ({_h('k', 't', "'who'")} % {records * 20})) END
        AS person_key,
    CAST(CASE service_type
        WHEN 'flexible_employment_subsidy' THEN 0.1 + ({_h('k', 't', "'a'")} % 2000) / 10000.0
        WHEN 'startup_subsidy' THEN 0.5 + ({_h('k', 't', "'a'")} % 10000) / 10000.0
        WHEN 'guaranteed_loan' THEN 10 + {_h('k', 't', "'a'")} % 40
    END AS DECIMAL(18, 6)) AS amount,
    CASE WHEN service_type = 'job_fair' THEN 50 + {_h('k', 't', "'pos'")} % 450 END AS positions,
    CAST(k + 2 AS INTEGER) AS _row,
    '{sha256}' AS _file_sha256
FROM records
""")
        return _rows(con, "staging.employment_services", month)

    return stage


def _rows(con: duckdb.DuckDBPyConnection, table: str, month: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table} WHERE stat_month = DATE '{month}-01'").fetchone()[0]
