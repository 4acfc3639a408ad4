"""The KPI catalogue (``include/kpis.yml``): each KPI's code, names, unit, grains, definition and SQL.

The mart that computes them is ``marts.kpis``; the draft that writes them is ``report``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from town_industry import settings
from town_industry.db import read_sql

CATALOGUE = settings.PROJECT_ROOT / "include" / "kpis.yml"
SECTIONS = ("enterprise", "investment", "employment")
GRAINS = ("half_year", "month")
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
