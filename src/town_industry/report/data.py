"""What a report draft (a half-year's, or a full year's) says, read from the KPI mart of the published
warehouse.

Every figure comes from ``mart.half_year_kpis``, ``mart.monthly_kpis`` and ``mart.kpi_members``, each kept
with its KPI's declaration so that ``str()`` writes it by the catalogue's unit and precision
(``formatting``); the warnings are those of the files the period's months hold (``meta.dq_issues``).
The targets (``include/targets/``) are those set for the next period, listed in the plans, and those of
the period itself (a year: of its half-years too), each beside the mart's figure of its KPI.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from town_industry import periods
from town_industry.contracts import kpis, targets
from town_industry.db import table_exists
from town_industry.report import formatting
from town_industry.report.drivers import Driver, read_drivers
from town_industry.report.progress import PeriodProgress, progress


@dataclass(frozen=True)
class Figure:
    """A KPI value as the draft writes it; ``str()`` is the formatted text."""
    kpi: kpis.Kpi
    value: float | None

    @property
    def code(self) -> str:
        return self.kpi.code

    def __str__(self) -> str:
        return formatting.figure(self.value, self.kpi.unit, self.kpi.precision)

    @property
    def growth(self) -> str:
        return formatting.growth(self.value, self.kpi.precision)

    @property
    def yoy(self) -> str:
        return formatting.yoy(self.value, self.kpi.precision)


@dataclass
class Month:
    month: str  # '2020-04'
    values: dict[str, float | None] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{periods.month_number(self.month)}月"

    def figure(self, code: str) -> Figure:
        return Figure(kpis.catalogue().get(code), self.values.get(code))


@dataclass(frozen=True)
class Half:
    """A half-year's figures, as a full-year draft compares them (上半年 against 下半年)."""
    period: str
    figures: dict[str, Figure]

    @property
    def label(self) -> str:
        return formatting.part_of_year(self.period)


@dataclass
class ReportData:
    """Everything the draft says about one report period (half-year or full year), read from the warehouse."""
    period: str
    figures: dict[str, Figure]
    members: dict[str, list[str]]  # kpi_code -> names, for counting KPIs
    months: list[Month]  # the period's months
    months_year_before: list[Month]
    warnings: list[dict]  # data-quality warnings of the files the period's months hold
    # the sources with a current file for at least one of the period's months (the draft leaves out a
    # chapter on optional sources that delivered none)
    delivered: frozenset[str] = frozenset()
    drivers: dict[str, list[Driver]] = field(default_factory=dict)  # growth KPI -> what moved it
    next_targets: targets.Targets | None = None  # set for the next period: the plans list them
    progress: list[PeriodProgress] = field(default_factory=list)  # the period's own targets, and how far met
    halves: list[Half] = field(default_factory=list)  # a full year's two half-years; none for a half-year

    def __post_init__(self):
        for kpi in kpis.catalogue().for_grain("half_year"):  # a count of nothing has an empty list
            if kpi.counts_members:
                self.members.setdefault(kpi.code, [])

    @property
    def year(self) -> int:
        return periods.year_of(self.period)

    @property
    def is_first_half(self) -> bool:
        return self.period.endswith("H1")

    @property
    def is_full_year(self) -> bool:
        return periods.is_full_year(self.period)

    @property
    def part_zh(self) -> str:
        """上半年, 下半年 or 全年: how the text names the period within its year."""
        return formatting.part_of_year(self.period)

    @property
    def next_period(self) -> str:
        return periods.next_report_period(self.period)

    @property
    def next_zh(self) -> str:
        """The period the plans are for, as a heading names it: 下半年, 2021年上半年, 2021年."""
        following = self.next_period
        if periods.is_full_year(following):
            return f"{periods.year_of(following)}年"
        return formatting.part_of_year(following) if periods.year_of(following) == self.year \
            else formatting.period_name(following)

    @property
    def has_monthly_growth(self) -> bool:
        return any(m.values.get("taxable_sales_yoy_pct") is not None for m in self.months)


def _month_rows(con, months: list[str]) -> list[Month]:
    rows = con.execute("SELECT month, kpi_code, value FROM mart.monthly_kpis WHERE list_contains(?, month)",
                       [months]).fetchall()
    by_month = {m: Month(m) for m in months}
    for month, code, value in rows:
        by_month[month].values[code] = value
    return [by_month[m] for m in months]


def _values(con, period: str) -> dict[str, float | None]:
    return dict(con.execute("SELECT kpi_code, value FROM mart.half_year_kpis WHERE period = ?", [period]).fetchall())


def _figures(values: dict[str, float | None]) -> dict[str, Figure]:
    return {k.code: Figure(k, values.get(k.code)) for k in kpis.catalogue().for_grain("half_year")}


def _progress(con, period: str) -> list[PeriodProgress]:
    """The targets of each report period the draft covers (a year: its half-years' and its own), each
    measured by the mart's figures for the period it was set for."""
    found = [(p, declared) for p in periods.report_periods_in(period) if (declared := targets.targets_for(p))]
    return [progress(declared, _values(con, p)) for p, declared in found]


def read_report_data(con, period: str) -> ReportData:
    catalogue = kpis.catalogue()
    periods.check_report_period(period)
    values = _values(con, period)
    if not values:
        months = len(periods.report_period_months(period))
        raise LookupError(f"no KPIs for {period} in mart.half_year_kpis: are all {months} months of "
                          f"{', '.join(catalogue.core_sources)} loaded?")
    figures = _figures(values)
    members: dict[str, list[str]] = {}
    for code, name in con.execute("SELECT kpi_code, member_name FROM mart.kpi_members WHERE period = ? "
                                  "ORDER BY kpi_code, member_key", [period]).fetchall():
        members.setdefault(code, []).append(name)
    months = periods.report_period_months(period)
    year_before = [periods.shift_month(m, -12) for m in months]
    keys = ("source", "month", "file", "row", "subject", "column", "rule", "message")
    warnings = [dict(zip(keys, r)) for r in con.execute(
        """SELECT d.source, d.month, regexp_extract(c.path, '[^/]+$'), d.row_number, d.subject, d.column_name, d.rule,
                  d.message
           FROM meta.dq_issues AS d
           JOIN meta.current_files AS c ON c.source = d.source AND c.month = d.month AND c.sha256 = d.file_sha256
           WHERE d.severity = 'warning' AND list_contains(?, d.month)
           ORDER BY d.source, d.month, d.row_number NULLS FIRST, d.rule""", [months]).fetchall()]
    delivered = frozenset(s for (s,) in con.execute(
        "SELECT DISTINCT source FROM meta.current_files WHERE list_contains(?, month)", [months]).fetchall())
    drivers = {}
    if table_exists(con, "mart.kpi_drivers"):  # a warehouse whose mart was last built before drivers: none
        drivers = {k.code: found for k in catalogue.kpis if k.drivers and (found := read_drivers(con, period, k.code))}
    halves = [Half(p, _figures(_values(con, p))) for p in periods.report_periods_in(period) if p != period]
    return ReportData(period, figures, members, _month_rows(con, months), _month_rows(con, year_before), warnings,
                      delivered, drivers, targets.targets_for(periods.next_report_period(period)),
                      _progress(con, period), halves)
