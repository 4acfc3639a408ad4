"""The KPI catalogue (``include/kpis.yml``): each KPI's code, names, unit, grains, definition and SQL.

The mart that computes them is ``marts.kpis``; the draft that writes them is ``report``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from town_industry import settings
from town_industry.contracts.mapping import strict
from town_industry.db import read_sql

CATALOGUE = settings.PROJECT_ROOT / "include" / "kpis.yml"
GRAINS = ("half_year", "month")


@dataclass(frozen=True)
class Kpi:
    code: str
    section: str  # the draft's chapter it belongs to (include/report/report.yml: chapters)
    name_zh: str
    name_en: str
    unit: str
    precision: int
    grains: tuple[str, ...]
    sql: str  # path under sql/
    definition_zh: str
    definition_en: str
    counts: str | None = None  # "members": the SQL lists what is counted
    # The sources whose months the SQL reads: the KPI has a value for a period only when every one of
    # them holds every month of it (and the ``lookback_months`` before it), else it is NULL ("—").
    sources: tuple[str, ...] = ()
    lookback_months: int = 0  # 12: a year-on-year change needs the same months a year before too
    # A SELECT under sql/ listing what moved a growth rate in a half-year (the mart keeps its rows in
    # mart.kpi_drivers through sql/marts/rank_drivers.sql; the draft names the strongest): one row per
    # enterprise or project, the columns of sql/marts/enterprise_drivers.sql.
    drivers: str | None = None

    @property
    def counts_members(self) -> bool:
        return self.counts == "members"

    @property
    def sql_text(self) -> str:
        return read_sql(self.sql)

    @property
    def drivers_sql_text(self) -> str | None:
        return read_sql(self.drivers) if self.drivers else None


@dataclass(frozen=True)
class Catalogue:
    # The sources every period waits for: a half-year (or month) is built once all of its months are
    # loaded for each of them. A KPI on any other (optional) source is NULL until that source's months
    # are there too.
    core_sources: tuple[str, ...]
    kpis: tuple[Kpi, ...]
    path: Path = CATALOGUE

    @property
    def input_sources(self) -> tuple[str, ...]:
        """Every source a period's KPIs read, core sources first: their files decide when it is rebuilt."""
        read = [s for k in self.kpis for s in k.sources]
        return tuple(dict.fromkeys([*self.core_sources, *read]))

    def get(self, code: str) -> Kpi:
        return next(k for k in self.kpis if k.code == code)

    def for_grain(self, grain: str) -> tuple[Kpi, ...]:
        return tuple(k for k in self.kpis if grain in k.grains)


@lru_cache(maxsize=None)
def catalogue(path: Path = CATALOGUE) -> Catalogue:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    kpis = tuple(_parse_kpi(entry, path) for entry in raw["kpis"])
    codes = [k.code for k in kpis]
    duplicated = sorted({c for c in codes if codes.count(c) > 1})
    if duplicated:
        raise ValueError(f"{path}: KPI codes declared twice: {duplicated}")
    core = tuple(raw.get("core_sources") or ())
    undeclared = sorted(set(core) - _declared_source_names())
    if undeclared:
        raise ValueError(f"{path}: core_sources: no declaration include/sources/<name>.yml for {undeclared}")
    return Catalogue(core, kpis, path)


def _declared_source_names() -> set[str]:
    # The declaration files, switched off or not: a KPI on a source a town switched off is NULL, not an error.
    return {p.stem for p in settings.SOURCES_DIR.glob("*.yml")}


def _parse_kpi(entry: dict, path: Path) -> Kpi:
    where = f"{path}: KPI {entry.get('code', '?')}"
    kpi = strict(Kpi, entry, where, grains=tuple(entry.get("grains") or ()), sources=tuple(entry.get("sources") or ()))
    if not kpi.sources:
        raise ValueError(f"{where}: sources: name the source(s) whose months its SQL reads")
    undeclared = sorted(set(kpi.sources) - _declared_source_names())
    if undeclared:
        raise ValueError(f"{where}: sources: no declaration include/sources/<name>.yml for {undeclared}")
    if not isinstance(kpi.lookback_months, int) or kpi.lookback_months < 0:
        raise ValueError(f"{where}: lookback_months must be a whole number of months, 0 or more")
    if not set(kpi.grains) <= set(GRAINS) or not kpi.grains:
        raise ValueError(f"{where}: grains must be a non-empty subset of {GRAINS}")
    if kpi.counts not in (None, "members"):
        raise ValueError(f"{where}: counts must be 'members' or absent")
    if kpi.counts_members and kpi.grains != ("half_year",):
        raise ValueError(f"{where}: member-counting KPIs are half-yearly only")
    if not (settings.SQL_DIR / kpi.sql).is_file():
        raise ValueError(f"{where}: no SQL file sql/{kpi.sql}")
    if kpi.drivers is not None:
        if "half_year" not in kpi.grains:
            raise ValueError(f"{where}: drivers are kept for half-years: grains must include half_year")
        if not (settings.SQL_DIR / kpi.drivers).is_file():
            raise ValueError(f"{where}: drivers: no SQL file sql/{kpi.drivers}")
    return kpi
