"""The KPI mart: the half-year and monthly KPIs of the catalogue, computed in SQL.

A period gets its KPIs once every one of its months is loaded for all the core sources: a month
(``2020-04``) its monthly KPIs, a report period (half-year ``2020H1`` or full year ``2020FY``) the KPIs of
grain ``half_year``, which every report period shares (a full year's row sits in mart.half_year_kpis
beside its half-years: one table, one definition of each figure, over six months or twelve). Each KPI
is complete on its own: it has a value only when each source it declares holds every month it reads,
else it is NULL (the draft prints "—"), so a month missing or rejected in an optional source never
shows as a zero. Each build recomputes, in one transaction,
exactly the complete periods whose inputs changed since they were last built: the inputs of a period
are the files of every source its KPIs read, up to its last month (growth rates and runs of positive
months look back), and the catalogue itself. So loading, revising or back-filling any month, in any
order, leaves the mart as a from-scratch build would.

What several KPIs and periods share is computed once per build, before any period: the monthly sums of
the enterprise KPIs (``mart.enterprise_monthly_totals``, which needs every in-scope row joined to its
row a year earlier). Counted members go from the KPI's SQL straight into ``mart.kpi_members``, which
gets only the rows that changed.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import duckdb

from town_industry.contracts.dictionary import annotate
from town_industry.contracts.kpis import Catalogue, Kpi, catalogue
from town_industry.contracts.sources import declared_sources
from town_industry.db import read_sql, run_sql, table_exists, transaction
from town_industry.faults import pause_point
from town_industry.periods import (is_report_period, last_month, period_bounds, period_months,
                                   report_period_months, report_period_order, report_periods_of)

# Views, one table macro (a view with a parameter) and one table the KPI SQL reads, created in this order
# once the table they read exists (a source's tables appear with its first load). Each file is a SELECT.
# The TABLE is a shared input: sums every period's KPIs read, computed once per build (see ensure_mart).
VIEWS = (
    ("VIEW mart.enterprise_in_scope", "marts/enterprise_in_scope.sql", "fact_enterprise_month"),
    ("TABLE mart.enterprise_monthly_totals", "marts/enterprise_monthly_totals.sql", "fact_enterprise_month"),
    ("VIEW mart.enterprise_monthly_sales_growth", "marts/enterprise_monthly_sales_growth.sql",
     "fact_enterprise_month"),
    ("VIEW mart.investment_counted", "marts/investment_counted.sql", "fact_investment_month"),
    ("MACRO mart.projects_as_of(as_of_month_key)", "marts/projects_as_of.sql", "dim_project"),
    ("MACRO mart.enterprise_drivers(measure, first_month_key, last_month_key)", "marts/enterprise_drivers.sql",
     "fact_enterprise_month"),
    ("MACRO mart.investment_drivers(first_month_key, last_month_key)", "marts/investment_drivers.sql",
     "fact_investment_month"),
    # for analysts (docs/warehouse.md, sql/examples/): not read by any KPI
    ("VIEW mart.sales_by_division", "marts/sales_by_division.sql", "fact_enterprise_month"),
    ("MACRO mart.projects_at_month_end(as_of_month_key)", "marts/projects_at_month_end.sql", "fact_investment_month"),
    ("VIEW mart.persons_served_by_service_type", "marts/persons_served_by_service_type.sql",
     "fact_employment_service"),
)


def _write_code_values(con: duckdb.DuckDBPyConnection) -> None:
    """mart.code_values: every code a category column of a declared source stores, with the Chinese name
    a clerk writes (the first spelling declared) and the other spellings the file may use."""
    con.execute("DELETE FROM mart.code_values")
    rows = [[source.name, column.stored_name, code, spellings[0], "、".join(spellings[1:]) or None]
            for source in declared_sources() for column in source.columns if column.values
            for code, spellings in column.values.items()]
    if rows:
        con.executemany("INSERT INTO mart.code_values VALUES (?, ?, ?, ?, ?)", rows)


def catalogue_digest(cat: Catalogue) -> str:
    """Changes whenever a declaration or any SQL a KPI runs changes: the mart is then rebuilt."""
    h = hashlib.sha256(cat.path.read_bytes())
    for _, sql, _ in VIEWS:
        h.update(read_sql(sql).encode())
    for kpi in cat.kpis:
        h.update(kpi.sql_text.encode())
        h.update((kpi.drivers_sql_text or "").encode())
    h.update(read_sql("marts/rank_drivers.sql").encode())
    return h.hexdigest()


def complete_periods(con: duckdb.DuckDBPyConnection, cat: Catalogue | None = None) -> tuple[list[str], list[str]]:
    """(report periods, months) whose every month is loaded for all core sources; report periods in the
    order a year's reports are written (2020H1, 2020H2, 2020FY)."""
    cat = cat or catalogue()
    months = [m for (m,) in run_sql(con, read_sql("marts/complete_months.sql"),
                                    {"core_sources": list(cat.core_sources)}).fetchall()]
    loaded = set(months)
    candidates = {p for m in months for p in report_periods_of(m)}
    complete = [p for p in candidates if loaded.issuperset(report_period_months(p))]
    return sorted(complete, key=report_period_order), months


# ---- building ---------------------------------------------------------------------------------

def ensure_mart(con: duckdb.DuckDBPyConnection, cat: Catalogue | None = None, *,
                shared_inputs: bool = True) -> None:
    """Create the mart tables; (re)create the views and the catalogue table; and recompute the shared
    inputs (the TABLEs of VIEWS) from the facts as they are now. With ``shared_inputs=False`` a missing
    shared input is created empty instead: ``build_mart`` recomputes them only when a period is stale."""
    cat = cat or catalogue()
    con.execute(read_sql("marts/kpi_tables.sql"))
    tables = _main_tables(con)
    for view, sql, reads in VIEWS:
        if reads not in tables:
            continue
        kind, name = view.split()[:2]
        if kind == "TABLE":
            if not table_exists(con, name):
                con.execute(f"CREATE {view} AS\n{read_sql(sql)}\nWITH NO DATA")
        else:
            table = " TABLE" if kind == "MACRO" else ""
            con.execute(f"CREATE OR REPLACE {view} AS{table}\n{read_sql(sql)}")
    _write_code_values(con)
    con.execute("DELETE FROM mart.kpi_catalogue")
    con.executemany(
        "INSERT INTO mart.kpi_catalogue BY NAME SELECT ? AS kpi_code, ? AS section, ? AS name_zh, ? AS name_en, "
        "? AS unit, ? AS precision, ? AS grains, ? AS sql_file, ? AS sql_text, ? AS definition_zh, "
        "? AS definition_en, ? AS sources",
        [[k.code, k.section, k.name_zh, k.name_en, k.unit, k.precision, ",".join(k.grains), f"sql/{k.sql}",
          k.sql_text, k.definition_zh, k.definition_en, ",".join(k.sources)] for k in cat.kpis])
    if shared_inputs:
        refresh_shared_inputs(con)


def refresh_shared_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute the shared inputs (the TABLEs of VIEWS) from the facts as they are now."""
    tables = _main_tables(con)
    for view, sql, reads in VIEWS:
        if view.startswith("TABLE ") and reads in tables:
            con.execute(f"CREATE OR REPLACE {view} AS\n{read_sql(sql)}")


def _main_tables(con) -> set[str]:
    return {name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}


def compute(con: duckdb.DuckDBPyConnection, kpi: Kpi, period: str) -> tuple[float | None, list[tuple]]:
    """(value, members) of one KPI for one period."""
    first, last = period_bounds(period)
    rows = run_sql(con, kpi.sql_text, {"first_month_key": first, "last_month_key": last}).fetchall()
    if kpi.counts_members:
        return float(len(rows)), rows
    if len(rows) != 1:
        raise ValueError(f"KPI {kpi.code}: sql/{kpi.sql} returned {len(rows)} rows for {period}, not one")
    value = rows[0][0]
    # Six decimals: far beyond any figure a report shows, and no binary noise (28.499999999999996) left
    # for a reader to round away.
    return (None if value is None else round(float(value), 6)), []


def _inputs_digests(con, wanted: list[str], cat: Catalogue) -> dict[str, str]:
    files = con.execute(
        "SELECT source, month, sha256 FROM meta.current_files WHERE list_contains(?, source) ORDER BY ALL",
        [list(cat.input_sources)]).fetchall()
    of_catalogue = catalogue_digest(cat)
    digests = {}
    for period in wanted:
        end = last_month(period)
        h = hashlib.sha256(of_catalogue.encode())
        for source, month, sha in files:
            if month <= end:
                h.update(f"{source}|{month}|{sha}\n".encode())
        digests[period] = h.hexdigest()
    return digests


def build_mart(con: duckdb.DuckDBPyConnection, run_id: str | None = None, cat: Catalogue | None = None) -> dict:
    """Recompute every complete period whose inputs changed; returns what was built: the complete report
    periods, and the report periods and months rebuilt."""
    cat = cat or catalogue()
    with transaction(con):
        ensure_mart(con, cat, shared_inputs=False)
        report_periods, months = complete_periods(con, cat)
        digests = _inputs_digests(con, report_periods + months, cat)
        built = dict(con.execute("SELECT period, inputs_digest FROM meta.kpi_builds").fetchall())
        stale = [p for p in report_periods + months if built.get(p) != digests[p]]
        if stale:
            refresh_shared_inputs(con)  # once for all the stale periods, from the facts as they are now
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        loaded = loaded_months(con, cat)
        for period in stale:
            _write_period(con, cat, period, loaded)
            con.execute("INSERT OR REPLACE INTO meta.kpi_builds VALUES (?, ?, ?, ?)",
                        [period, digests[period], now, run_id])
        annotate(con)  # the data dictionary, on the tables and views just (re)created
        pause_point("mart")
    return {"complete_periods": report_periods, "built_periods": [p for p in stale if is_report_period(p)],
            "built_months": [p for p in stale if not is_report_period(p)]}


def loaded_months(con, cat: Catalogue) -> dict[str, set[str]]:
    """source -> the months it holds a current (loaded) file for, for every source the KPIs read."""
    loaded: dict[str, set[str]] = {s: set() for s in cat.input_sources}
    for source, month in con.execute("SELECT source, month FROM meta.current_files WHERE list_contains(?, source)",
                                     [list(cat.input_sources)]).fetchall():
        loaded[source].add(month)
    return loaded


def is_complete(kpi: Kpi, period: str, loaded: dict[str, set[str]]) -> bool:
    """Every month the KPI reads for ``period`` (its lookback included) is loaded for each of its sources."""
    months = period_months(period, kpi.lookback_months)
    return all(set(months) <= loaded.get(source, set()) for source in kpi.sources)


def _write_period(con, cat: Catalogue, period: str, loaded: dict[str, set[str]]) -> None:
    grain = "half_year" if is_report_period(period) else "month"  # a full year has the half-years' KPIs
    table, key = ("mart.half_year_kpis", "period") if grain == "half_year" else ("mart.monthly_kpis", "month")
    con.execute(f"DELETE FROM {table} WHERE {key} = ?", [period])
    con.execute("DELETE FROM mart.kpi_drivers WHERE period = ?", [period])
    con.execute("CREATE OR REPLACE TEMP TABLE period_members (kpi_code VARCHAR, member_key VARCHAR, "
                "member_name VARCHAR)")
    for kpi in cat.for_grain(grain):
        if not is_complete(kpi, period, loaded):  # its SQL is not run: its tables may not even exist yet
            value = None
        elif kpi.counts_members:
            value = _count_members(con, kpi, period)
        else:
            value = compute(con, kpi, period)[0]
        con.execute(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", [period, kpi.code, value, kpi.unit])
        if value is not None and kpi.drivers and grain == "half_year":
            _write_drivers(con, kpi, period)
    _write_members(con, period)
    con.execute("DROP TABLE temp.period_members")


def _write_drivers(con, kpi: Kpi, period: str) -> None:
    """What moved a growth rate in a report period: every member its drivers SQL lists, then the largest of
    each kind into mart.kpi_drivers (marts/rank_drivers.sql)."""
    first, last = period_bounds(period)
    run_sql(con, f"CREATE OR REPLACE TEMP TABLE driver_members AS\n{kpi.drivers_sql_text}",
            {"first_month_key": first, "last_month_key": last})
    run_sql(con, f"INSERT INTO mart.kpi_drivers BY NAME\n{read_sql('marts/rank_drivers.sql')}",
            {"period": period, "kpi_code": kpi.code})
    con.execute("DROP TABLE temp.driver_members")


def _count_members(con, kpi: Kpi, period: str) -> float:
    """Collect what a counting KPI counted in temp.period_members, straight from its SQL (hundreds of
    thousands of enterprises for a national history: not through Python); its value is their number."""
    first, last = period_bounds(period)
    sql = f"INSERT INTO temp.period_members\nSELECT $kpi_code, member_key, member_name FROM (\n{kpi.sql_text}\n)"
    inserted = run_sql(con, sql, {"first_month_key": first, "last_month_key": last, "kpi_code": kpi.code})
    return float(inserted.fetchone()[0])


def _write_members(con, period: str) -> None:
    """Make the period's rows of mart.kpi_members those of temp.period_members, writing only the rows that
    differ: a deleted row costs its primary key's upkeep at commit (seconds for a half-year's 300,000
    members), and a rebuilt period mostly counts the members it counted before."""
    con.execute("""
        DELETE FROM mart.kpi_members AS m
        WHERE m.period = $period
          AND NOT EXISTS (SELECT 1 FROM temp.period_members AS n
                          WHERE n.kpi_code = m.kpi_code AND n.member_key = m.member_key
                            AND n.member_name IS NOT DISTINCT FROM m.member_name)""", {"period": period})
    con.execute("""
        INSERT INTO mart.kpi_members
        SELECT $period, n.kpi_code, n.member_key, n.member_name
        FROM temp.period_members AS n
        WHERE NOT EXISTS (SELECT 1 FROM mart.kpi_members AS m
                          WHERE m.period = $period AND m.kpi_code = n.kpi_code AND m.member_key = n.member_key
                            AND m.member_name IS NOT DISTINCT FROM n.member_name)""", {"period": period})
