"""The KPI mart: the half-year and monthly KPIs of ``include/kpis.yml``, computed in SQL.

A period (half-year ``2020H1`` or month ``2020-04``) gets its KPIs once every one of its months is
loaded for all the core sources. Each build recomputes, in one transaction, exactly the complete
periods whose inputs changed since they were last built: the inputs of a period are the files of the
core sources up to its last month (growth rates and runs of positive months look back) and the
catalogue itself. So loading, revising or back-filling any month, in any order, leaves the mart as a
from-scratch build would.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import duckdb
import yaml

from town_industry import settings
from town_industry.warehouse import read_sql, run_sql, transaction

CATALOGUE = settings.PROJECT_ROOT / "include" / "kpis.yml"
SECTIONS = ("enterprise", "investment", "employment")
GRAINS = ("half_year", "month")
# Views (and one table macro, a view with a parameter) the KPI SQL reads, created in this order once
# the table they read exists (a source's tables appear with its first load). Each file is a SELECT.
VIEWS = (
    ("VIEW mart.enterprise_in_scope", "marts/enterprise_in_scope.sql", "fact_enterprise_month"),
    ("VIEW mart.enterprise_monthly_sales_growth", "marts/enterprise_monthly_sales_growth.sql",
     "fact_enterprise_month"),
    ("VIEW mart.investment_counted", "marts/investment_counted.sql", "fact_investment_month"),
    ("MACRO mart.projects_as_of(as_of_month_key)", "marts/projects_as_of.sql", "dim_project"),
)


@dataclass(frozen=True)
class Kpi:
    code: str
    section: str
    name_zh: str
    name_en: str
    unit: str
    precision: int
    grains: tuple[str, ...]
    sql: str  # path under sql/
    definition_zh: str
    definition_en: str
    counts: str | None = None  # "members": the SQL lists what is counted

    @property
    def counts_members(self) -> bool:
        return self.counts == "members"

    @property
    def sql_text(self) -> str:
        return read_sql(self.sql)


@dataclass(frozen=True)
class Catalogue:
    core_sources: tuple[str, ...]
    kpis: tuple[Kpi, ...]

    def get(self, code: str) -> Kpi:
        return next(k for k in self.kpis if k.code == code)

    def for_grain(self, grain: str) -> tuple[Kpi, ...]:
        return tuple(k for k in self.kpis if grain in k.grains)

    def digest(self) -> str:
        """Changes whenever a declaration or any SQL a KPI runs changes: the mart is then rebuilt."""
        h = hashlib.sha256(CATALOGUE.read_bytes())
        for _, sql, _ in VIEWS:
            h.update(read_sql(sql).encode())
        for kpi in self.kpis:
            h.update(kpi.sql_text.encode())
        return h.hexdigest()


@lru_cache(maxsize=None)
def catalogue(path: Path = CATALOGUE) -> Catalogue:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    kpis = tuple(_parse_kpi(entry, path) for entry in raw["kpis"])
    codes = [k.code for k in kpis]
    duplicated = sorted({c for c in codes if codes.count(c) > 1})
    if duplicated:
        raise ValueError(f"{path}: KPI codes declared twice: {duplicated}")
    return Catalogue(tuple(raw["core_sources"]), kpis)


def _parse_kpi(entry: dict, path: Path) -> Kpi:
    where = f"{path}: KPI {entry.get('code', '?')}"
    try:
        kpi = Kpi(**{**entry, "grains": tuple(entry["grains"])})
    except TypeError as exc:
        raise ValueError(f"{where}: {exc}") from None
    if kpi.section not in SECTIONS:
        raise ValueError(f"{where}: section must be one of {SECTIONS}")
    if not set(kpi.grains) <= set(GRAINS) or not kpi.grains:
        raise ValueError(f"{where}: grains must be a non-empty subset of {GRAINS}")
    if kpi.counts not in (None, "members"):
        raise ValueError(f"{where}: counts must be 'members' or absent")
    if kpi.counts_members and kpi.grains != ("half_year",):
        raise ValueError(f"{where}: member-counting KPIs are half-yearly only")
    if not (settings.SQL_DIR / kpi.sql).is_file():
        raise ValueError(f"{where}: no SQL file sql/{kpi.sql}")
    return kpi


# ---- periods ----------------------------------------------------------------------------------

def month_key(month: str) -> int:
    year, mon = map(int, month.split("-"))
    return year * 100 + mon


def half_year_of(month: str) -> str:
    year, mon = map(int, month.split("-"))
    return f"{year}H{1 if mon <= 6 else 2}"


def half_year_months(period: str) -> list[str]:
    year, half = period.split("H")
    first = 1 if half == "1" else 7
    return [f"{year}-{m:02d}" for m in range(first, first + 6)]


def period_bounds(period: str) -> tuple[int, int]:
    """(first, last) month keys of a half-year or a month."""
    if "H" in period:
        months = half_year_months(period)
        return month_key(months[0]), month_key(months[-1])
    return month_key(period), month_key(period)


def last_month(period: str) -> str:
    return half_year_months(period)[-1] if "H" in period else period


def complete_periods(con: duckdb.DuckDBPyConnection, cat: Catalogue | None = None) -> tuple[list[str], list[str]]:
    """(half-years, months) whose every month is loaded for all core sources."""
    cat = cat or catalogue()
    months = [m for (m,) in run_sql(con, read_sql("marts/complete_months.sql"),
                                    {"core_sources": list(cat.core_sources)}).fetchall()]
    loaded = set(months)
    half_years = sorted({half_year_of(m) for m in months
                         if all(x in loaded for x in half_year_months(half_year_of(m)))})
    return half_years, months


# ---- building ---------------------------------------------------------------------------------

def ensure_mart(con: duckdb.DuckDBPyConnection, cat: Catalogue | None = None) -> None:
    """Create the mart tables; (re)create the views and the catalogue table."""
    cat = cat or catalogue()
    con.execute(read_sql("marts/kpi_tables.sql"))
    tables = {name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    for view, sql, reads in VIEWS:
        if reads in tables:
            table = " TABLE" if view.startswith("MACRO") else ""
            con.execute(f"CREATE OR REPLACE {view} AS{table}\n{read_sql(sql)}")
    con.execute("DELETE FROM mart.kpi_catalogue")
    con.executemany(
        "INSERT INTO mart.kpi_catalogue VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [[k.code, k.section, k.name_zh, k.name_en, k.unit, k.precision, ",".join(k.grains), f"sql/{k.sql}",
          k.sql_text, k.definition_zh, k.definition_en] for k in cat.kpis])


def compute(con: duckdb.DuckDBPyConnection, kpi: Kpi, period: str) -> tuple[float | None, list[tuple]]:
    """(value, members) of one KPI for one period."""
    first, last = period_bounds(period)
    rows = run_sql(con, kpi.sql_text, {"first_month_key": first, "last_month_key": last}).fetchall()
    if kpi.counts_members:
        return float(len(rows)), rows
    if len(rows) != 1:
        raise ValueError(f"KPI {kpi.code}: sql/{kpi.sql} returned {len(rows)} rows for {period}, not one")
    value = rows[0][0]
    return (None if value is None else float(value)), []


def _inputs_digests(con, periods: list[str], cat: Catalogue) -> dict[str, str]:
    files = con.execute(
        "SELECT source, month, sha256 FROM meta.current_files WHERE list_contains(?, source) ORDER BY ALL",
        [list(cat.core_sources)]).fetchall()
    catalogue_digest = cat.digest()
    digests = {}
    for period in periods:
        end = last_month(period)
        h = hashlib.sha256(catalogue_digest.encode())
        for source, month, sha in files:
            if month <= end:
                h.update(f"{source}|{month}|{sha}\n".encode())
        digests[period] = h.hexdigest()
    return digests


def build_mart(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> dict:
    """Recompute every complete period whose inputs changed; returns what was built."""
    cat = catalogue()
    with transaction(con):
        ensure_mart(con, cat)
        half_years, months = complete_periods(con, cat)
        digests = _inputs_digests(con, half_years + months, cat)
        built = dict(con.execute("SELECT period, inputs_digest FROM meta.kpi_builds").fetchall())
        stale = [p for p in half_years + months if built.get(p) != digests[p]]
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        for period in stale:
            _write_period(con, cat, period)
            con.execute("INSERT OR REPLACE INTO meta.kpi_builds VALUES (?, ?, ?, ?)",
                        [period, digests[period], now, run_id])
    return {"complete_half_years": half_years, "built_half_years": [p for p in stale if "H" in p],
            "built_months": [p for p in stale if "H" not in p]}


def _write_period(con, cat: Catalogue, period: str) -> None:
    grain = "half_year" if "H" in period else "month"
    table, key = ("mart.half_year_kpis", "period") if grain == "half_year" else ("mart.monthly_kpis", "month")
    con.execute(f"DELETE FROM {table} WHERE {key} = ?", [period])
    con.execute("DELETE FROM mart.kpi_members WHERE period = ?", [period])
    for kpi in cat.for_grain(grain):
        value, members = compute(con, kpi, period)
        con.execute(f"INSERT INTO {table} VALUES (?, ?, ?, ?)", [period, kpi.code, value, kpi.unit])
        if members:
            con.executemany("INSERT INTO mart.kpi_members VALUES (?, ?, ?, ?)",
                            [[period, kpi.code, str(key_), name] for key_, name in members])


def half_year_values(con: duckdb.DuckDBPyConnection, period: str) -> dict[str, float | None]:
    return dict(con.execute("SELECT kpi_code, value FROM mart.half_year_kpis WHERE period = ?", [period]).fetchall())
