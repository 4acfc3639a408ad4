"""The half-year report draft: ``reports/<period>/`` in Markdown and Word, with charts.

Every figure comes from the KPI mart (``mart.half_year_kpis``, ``mart.monthly_kpis``,
``mart.kpi_members``), formatted by ``formatting``; the wording is the Jinja2 template
``include/report/half_year_report.md.j2``. The Word file is rendered from the same Markdown, so the
two cannot disagree. The warehouse is opened read-only and closed before anything is drawn.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from town_industry import periods, settings
from town_industry.contracts import kpis, rules
from town_industry.contracts.sources import declared_sources
from town_industry.db import read
from town_industry.report import formatting
from town_industry.text import markdown_cell

REPORT_DIR = settings.PROJECT_ROOT / "include" / "report"
TEMPLATE = "half_year_report.md.j2"


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


@dataclass
class ReportData:
    """Everything the draft says about one half-year, read from the warehouse."""
    period: str
    figures: dict[str, Figure]
    members: dict[str, list[str]]  # kpi_code -> names, for counting KPIs
    months: list[Month]  # the period's months
    months_year_before: list[Month]
    warnings: list[dict]  # data-quality warnings of the files the period's months hold

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
    def has_monthly_growth(self) -> bool:
        return any(m.values.get("taxable_sales_yoy_pct") is not None for m in self.months)


def _month_rows(con, months: list[str]) -> list[Month]:
    rows = con.execute("SELECT month, kpi_code, value FROM mart.monthly_kpis WHERE list_contains(?, month)",
                       [months]).fetchall()
    by_month = {m: Month(m) for m in months}
    for month, code, value in rows:
        by_month[month].values[code] = value
    return [by_month[m] for m in months]


def read_report_data(con, period: str) -> ReportData:
    catalogue = kpis.catalogue()
    values = dict(con.execute("SELECT kpi_code, value FROM mart.half_year_kpis WHERE period = ?",
                              [period]).fetchall())
    if not values:
        raise LookupError(f"no KPIs for {period} in mart.half_year_kpis: are all six months of "
                          f"{', '.join(catalogue.core_sources)} loaded?")
    figures = {k.code: Figure(k, values.get(k.code)) for k in catalogue.for_grain("half_year")}
    members: dict[str, list[str]] = {}
    for code, name in con.execute("SELECT kpi_code, member_name FROM mart.kpi_members WHERE period = ? "
                                  "ORDER BY kpi_code, member_key", [period]).fetchall():
        members.setdefault(code, []).append(name)
    months = periods.half_year_months(period)
    year_before = [periods.shift_month(m, -12) for m in months]
    warnings = [dict(zip(("source", "month", "file", "row", "column", "rule", "message"), r)) for r in con.execute(
        """SELECT d.source, d.month, regexp_extract(c.path, '[^/]+$'), d.row_number, d.column_name, d.rule, d.message
           FROM meta.dq_issues AS d
           JOIN meta.current_files AS c ON c.source = d.source AND c.month = d.month AND c.sha256 = d.file_sha256
           WHERE d.severity = 'warning' AND list_contains(?, d.month)
           ORDER BY d.source, d.month, d.row_number NULLS FIRST, d.rule""", [months]).fetchall()]
    return ReportData(period, figures, members, _month_rows(con, months), _month_rows(con, year_before), warnings)


# ---- drawing and writing ----------------------------------------------------------------------

def report_settings() -> dict:
    return yaml.safe_load((REPORT_DIR / "report.yml").read_text(encoding="utf-8"))


def _charts(data: ReportData, charts_dir: Path) -> dict[str, str]:
    from town_industry.report import charts  # matplotlib: imported only when drawing

    months = [m.month for m in data.months]
    sales = charts.sales_chart(months, [m.values.get("taxable_sales") for m in data.months],
                               [m.values.get("taxable_sales_yoy_pct") for m in data.months],
                               charts_dir / "taxable_sales.png")
    investment = charts.investment_chart(months, [m.values.get("fixed_asset_investment") for m in data.months],
                                         [m.values.get("fixed_asset_investment") for m in data.months_year_before],
                                         charts_dir / "fixed_asset_investment.png")
    return {"taxable_sales": sales.relative_to(charts_dir.parent).as_posix(),
            "fixed_asset_investment": investment.relative_to(charts_dir.parent).as_posix()}


def render_markdown(data: ReportData, chart_paths: dict[str, str]) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(REPORT_DIR), undefined=StrictUndefined, keep_trailing_newline=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["growth"] = formatting.growth
    env.filters["cell"] = markdown_cell
    env.filters["declines"] = _declines
    env.filters["names"] = lambda names: "、".join(names or [])
    env.filters["rule_name"] = lambda code: rules.get(code).name_zh
    env.filters["column_label"] = _column_label
    catalogue = kpis.catalogue()
    return env.get_template(TEMPLATE).render(
        d=data, k=data.figures, charts=chart_paths, settings=report_settings(),
        half_zh="上半年" if data.is_first_half else "下半年",
        next_zh="下半年" if data.is_first_half else f"{data.year + 1}年上半年",
        monthly_kpis=catalogue.for_grain("month"), turnaround=_turnaround(data))


def _column_label(warning: dict) -> str:
    """The warning's column with its Chinese header (统一社会信用代码（uscc）); — for a file-level warning."""
    source = next((s for s in declared_sources() if s.name == warning["source"]), None)
    label = source.label(warning["column"]) if source else warning["column"]
    return label or "—"


def _declines(months: list[Month]) -> str:
    """'分别下降4.5%、28%和8.9%' for months of falling sales (one month: '下降4.5%')."""
    growths = [m.figure("taxable_sales_yoy_pct").growth for m in months]
    if len(growths) == 1 or not all(g.startswith("下降") for g in growths):
        return "、".join(growths)
    amounts = [g.removeprefix("下降") for g in growths]
    return "分别下降" + "、".join(amounts[:-1]) + "和" + amounts[-1]


def _turnaround(data: ReportData) -> dict | None:
    """The month growth turned positive, if it lies in the period, with the months of decline before it."""
    month_number = data.figures["sales_turnaround_month"].value
    if month_number is None:
        return None
    turned = next((m for m in data.months if periods.month_number(m.month) == int(month_number)), None)
    if turned is None:  # it turned in the year's other half
        return None
    before = [m for m in data.months if m.month < turned.month]
    declined = [m for m in before if (m.values.get("taxable_sales_yoy_pct") or 0) <= 0]
    return {"month": turned, "declined": declined if len(declined) == len(before) else []}


def draft(period: str, warehouse_path: Path | None = None, reports_dir: Path | None = None) -> Path:
    """Write ``reports/<period>/`` (Markdown, Word, charts); returns the Markdown path."""
    from town_industry.report.docx import markdown_to_docx

    with read(warehouse_path) as con:  # the published copy: never blocks a load
        data = read_report_data(con, period)
    reports_dir = reports_dir or settings.reports_dir()
    reports_dir.mkdir(parents=True, exist_ok=True)
    name = f"industrial_economy_report_{period}"
    with tempfile.TemporaryDirectory(dir=reports_dir, prefix=f".{period}-") as tmp:
        build = Path(tmp) / period
        build.mkdir()
        markdown = render_markdown(data, _charts(data, build / "charts"))
        (build / f"{name}.md").write_text(markdown, encoding="utf-8")
        markdown_to_docx(markdown, build / f"{name}.docx", base_dir=build)
        final = reports_dir / period
        # swap the finished folder in whole: a reader never sees half a draft
        old = Path(tmp) / "previous"
        if final.exists():
            final.rename(old)
        build.rename(final)
    return final / f"{name}.md"


def draft_reports(half_years: list[str], warehouse_path: Path | None = None) -> list[str]:
    """Draft each half-year given; returns the Markdown paths."""
    return [str(draft(p, warehouse_path)) for p in half_years]
