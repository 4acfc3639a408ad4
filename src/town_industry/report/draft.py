"""The report draft of a half-year (工作报告) or a full year (工作总结): ``reports/<period>/`` in Markdown and
Word, with charts.

The figures are ``report.data``'s, read from the KPI mart; the wording is the Jinja2 template
``include/report/half_year_report.md.j2``, one template for both kinds of period (a full year's wording
differs where the template asks ``d.is_full_year``). The Word file is rendered from the same Markdown, so the
two cannot disagree. The warehouse is opened read-only and closed before anything is drawn.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import yaml

from town_industry import periods, settings
from town_industry.contracts import kpis, rules
from town_industry.contracts.sources import declared_sources
from town_industry.db import read
from town_industry.faults import pause_point
from town_industry.report import explain, formatting, progress
from town_industry.report.data import Month, ReportData, read_report_data
from town_industry.contracts.report_layout import LAYOUT, REPORT_DIR, Chapter, Chart, layout
from town_industry.text import markdown_cell

TEMPLATE = "half_year_report.md.j2"


def report_settings() -> dict:
    return yaml.safe_load(LAYOUT.read_text(encoding="utf-8"))


def _chapters(data: ReportData) -> tuple[Chapter, ...]:
    return layout().included(kpis.catalogue(), data.delivered)


def _shown_charts(chapters: tuple[Chapter, ...]) -> list[Chart]:
    """The charts of the chapters shown, in the order the draft shows them (their figure numbers)."""
    return [c for chapter in chapters for c in layout().charts if c.chapter == chapter.id]


def _charts(data: ReportData, charts_dir: Path) -> dict[str, str]:
    """Draw the charts of the chapters shown; returns name -> path relative to the draft's folder."""
    from town_industry.report import charts  # matplotlib: imported only when drawing

    months = [m.month for m in data.months]
    paths = {}
    for chart in _shown_charts(_chapters(data)):
        bars = [m.values.get(chart.bars) for m in data.months]
        path = charts_dir / f"{chart.name}.png"
        if chart.kind == "bars_and_growth":
            charts.bars_and_growth_chart(months, bars, [m.values.get(chart.line) for m in data.months], path,
                                         chart.title, chart.bar_label)
        else:
            charts.bars_against_year_before_chart(months, bars, [m.values.get(chart.bars) for m in data.months_year_before],
                                                  path, chart.title, chart.bar_label)
        paths[chart.name] = path.relative_to(charts_dir.parent).as_posix()
    return paths


def _figure_lines(data: ReportData, chapters: tuple[Chapter, ...], chart_paths: dict[str, str]) -> dict[str, str]:
    """name -> the Markdown of the chart as a numbered figure: ![图1　2020年上半年…](charts/x.png)."""
    return {chart.name: f"![图{n}　{chart.caption.format(year=data.year, half=data.part_zh)}]({chart_paths[chart.name]})"
            for n, chart in enumerate(_shown_charts(chapters), start=1)}


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
    env.filters["zh_number"] = formatting.zh_number
    env.filters["driver_rows"] = explain.driver_rows
    env.filters["period_name"] = formatting.period_name
    env.filters["target_text"] = progress.target_text
    catalogue = kpis.catalogue()
    chapters = _chapters(data)
    shown = {c.id for c in chapters}
    return env.get_template(TEMPLATE).render(
        d=data, k=data.figures, counted=data.members, charts=_figure_lines(data, chapters, chart_paths),
        settings=report_settings(), chapters=chapters,
        traced=[f for f in data.figures.values() if f.kpi.section in shown],
        half_zh=data.part_zh, next_zh=data.next_zh,
        monthly_kpis=[k for k in catalogue.for_grain("month") if k.section in shown], turnaround=_turnaround(data),
        drivers=data.drivers, causes={code: explain.cause_phrase(found) for code, found in data.drivers.items()})


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
        built_from = _mart_build(con, period)
    reports_dir = reports_dir or settings.reports_dir()
    reports_dir.mkdir(parents=True, exist_ok=True)
    name = draft_name(period)
    with tempfile.TemporaryDirectory(dir=reports_dir, prefix=f".{period}-") as tmp:
        build = Path(tmp) / period
        build.mkdir()
        markdown = render_markdown(data, _charts(data, build / "charts"))
        (build / f"{name}.md").write_text(markdown, encoding="utf-8")
        pause_point("draft")
        markdown_to_docx(markdown, build / f"{name}.docx", base_dir=build)
        (build / DRAFT_RECORD).write_text(json.dumps(built_from, ensure_ascii=False, indent=1), encoding="utf-8")
        final = reports_dir / period
        # swap the finished folder in whole: a reader never sees half a draft
        old = Path(tmp) / "previous"
        if final.exists():
            final.rename(old)
        build.rename(final)
    return final / f"{name}.md"


def draft_name(period: str) -> str:
    """The file name of a period's draft, without its suffix (.md, .docx, .pdf)."""
    return f"industrial_economy_report_{period}"


DRAFT_RECORD = "draft.json"  # which build of the mart a draft was written from


def _mart_build(con, period: str) -> dict:
    row = con.execute("SELECT inputs_digest, built_at FROM meta.kpi_builds WHERE period = ?", [period]).fetchall()
    digest, built_at = row[0] if row else (None, None)
    return {"period": period, "inputs_digest": digest, "mart_built_at": None if built_at is None else str(built_at)}


def draft_record(period: str, reports_dir: Path | None = None) -> dict | None:
    """What the period's draft records of the mart build it was written from (draft.json), if it has one."""
    record = (reports_dir or settings.reports_dir()) / period / DRAFT_RECORD
    return json.loads(record.read_text(encoding="utf-8")) if record.is_file() else None


def kpi_builds(warehouse_path: Path | None = None) -> dict[str, str]:
    """Each period's current mart build (its inputs digest), from the published warehouse."""
    with read(warehouse_path) as con:
        return dict(con.execute("SELECT period, inputs_digest FROM meta.kpi_builds").fetchall())


def written_from(record: dict | None, builds: dict[str, str]) -> bool:
    """The draft whose record this is was written from the build ``builds`` holds for its period."""
    return record is not None and record.get("inputs_digest") == builds.get(record.get("period"))


def is_current(period: str, warehouse_path: Path | None = None, reports_dir: Path | None = None) -> bool:
    """The period's draft exists and was written from the mart as it is now built.

    A run killed after the mart committed but before the draft was swapped in leaves the previous
    draft behind: its record names an older build, so the next run redrafts it.
    """
    record = draft_record(period, reports_dir)
    return record is not None and written_from(record, kpi_builds(warehouse_path))


def draft_reports(report_periods: list[str], warehouse_path: Path | None = None) -> list[str]:
    """Draft each report period given (half-years, full years); returns the Markdown paths."""
    return [str(draft(p, warehouse_path)) for p in report_periods]
