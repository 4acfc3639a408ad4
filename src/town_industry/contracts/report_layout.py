"""The draft's layout, declared in ``include/report/report.yml``: its chapters in order, and its charts.

A chapter is a Jinja2 template under ``include/report/`` that writes the body of one ``## N、title``
heading; the KPIs whose ``section`` is the chapter's id are its figures, and their sources are its
sources. A chapter whose sources are all optional and delivered nothing in the period is left out
of that period's draft (a town that keeps no safety ledger gets no safety chapter), and the chapters
after it are numbered on. A chart is drawn from monthly KPIs for the chapter it belongs to.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from town_industry import settings
from town_industry.contracts import kpis
from town_industry.contracts.mapping import strict

REPORT_DIR = settings.PROJECT_ROOT / "include" / "report"
LAYOUT = REPORT_DIR / "report.yml"


@dataclass(frozen=True)
class Chapter:
    id: str  # the KPIs' section
    title: str  # the heading, after its number: 工业经济运行情况
    template: str  # under include/report/
    title_en: str = ""  # the KPI catalogue's heading for its KPIs (docs/kpi_catalogue.md)


@dataclass(frozen=True)
class Chart:
    """One PNG of monthly figures, numbered 图1, 图2... in the order the draft shows them."""
    name: str  # the template writes {{ charts.<name> }} where the figure goes
    chapter: str
    kind: str  # a key of CHART_KINDS
    bars: str  # the monthly KPI drawn as bars
    bar_label: str  # the bars' axis and legend label, with the unit: 应税销售(万元)
    title: str  # printed above the plot
    caption: str  # under the figure number; {year} and {half} are the period's (2020, 上半年)
    line: str | None = None  # bars_and_growth: the monthly KPI drawn as a line (a growth in %)


# What each kind draws: bars_and_growth, a month's bars with a growth line on a second axis;
# bars_against_year_before, each month's bar beside the same month a year earlier.
CHART_KINDS = ("bars_and_growth", "bars_against_year_before")


@dataclass(frozen=True)
class Layout:
    town: str
    author_office: str
    chapters: tuple[Chapter, ...]
    charts: tuple[Chart, ...]

    def chapter_sources(self, chapter: Chapter, catalogue: kpis.Catalogue) -> set[str]:
        return {s for k in catalogue.kpis if k.section == chapter.id for s in k.sources}

    def included(self, catalogue: kpis.Catalogue, delivered: set[str]) -> tuple[Chapter, ...]:
        """The chapters a period's draft has: those reading a core source (a period exists only once the
        core sources are complete), or a source that delivered at least one of the period's files."""
        shown = set(catalogue.core_sources) | delivered
        return tuple(c for c in self.chapters
                     if not self.chapter_sources(c, catalogue) or self.chapter_sources(c, catalogue) & shown)


def _check_chart(chart: Chart, where: str, chapters: set[str], monthly: set[str]) -> None:
    if chart.kind not in CHART_KINDS:
        raise ValueError(f"{where}: kind must be one of {', '.join(CHART_KINDS)}, not {chart.kind!r}")
    if chart.chapter not in chapters:
        raise ValueError(f"{where}: chapter {chart.chapter!r} is not a declared chapter")
    if (chart.kind == "bars_and_growth") != (chart.line is not None):
        raise ValueError(f"{where}: a line is drawn by (and only by) kind bars_and_growth")
    for key in ("bars", "line"):
        code = getattr(chart, key)
        if code is not None and code not in monthly:
            raise ValueError(f"{where}: {key}: {code!r} is not a monthly KPI of include/kpis.yml")


@lru_cache(maxsize=None)
def layout(path: Path = LAYOUT) -> Layout:
    """The declared layout, checked against the KPI catalogue: every error names the file and the key."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    chapters = tuple(strict(Chapter, c, f"{path}: chapters[{i}]") for i, c in enumerate(raw.get("chapters") or ()))
    ids = [c.id for c in chapters]
    if not chapters or len(set(ids)) != len(ids):
        raise ValueError(f"{path}: chapters: declare each chapter once (ids: {ids})")
    for i, chapter in enumerate(chapters):
        if not (path.parent / chapter.template).is_file():
            raise ValueError(f"{path}: chapters[{i}] ({chapter.id}): no template {path.parent / chapter.template}")
    catalogue = kpis.catalogue()
    orphans = sorted({k.section for k in catalogue.kpis} - set(ids))
    if orphans:
        raise ValueError(f"{path}: chapters: KPIs of include/kpis.yml name section(s) {orphans}, which no chapter "
                         "declares")
    monthly = {k.code for k in catalogue.for_grain("month")}
    charts = []
    for i, entry in enumerate(raw.get("charts") or ()):
        where = f"{path}: charts[{i}] ({entry.get('name', '?') if isinstance(entry, dict) else '?'})"
        chart = strict(Chart, entry, where)
        _check_chart(chart, where, set(ids), monthly)
        charts.append(chart)
    names = [c.name for c in charts]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: charts: names must be unique ({names})")
    try:
        return Layout(raw["town"], raw["author_office"], chapters, tuple(charts))
    except KeyError as exc:
        raise ValueError(f"{path}: {exc.args[0]}: required") from None
