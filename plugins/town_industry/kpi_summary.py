"""The KPIs of every complete half-year in a range, as a table for the terminal (end of ``make run``)."""
from __future__ import annotations

import unicodedata
from pathlib import Path

from town_industry import formatting, kpis, settings, warehouse


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(width - _width(text), 0)
    return gap + text if right else text + gap


def summarize(path: Path, first: str, last: str) -> str:
    """A table of KPI by half-year for the complete half-years that overlap [first, last] (a run of June
    alone shows the first half-year it may have changed)."""
    with warehouse.read(path) as con:
        rows = con.execute("SELECT period, kpi_code, value FROM mart.half_year_kpis").fetchall()
    periods = sorted({p for p, _, _ in rows
                      if kpis.half_year_months(p)[0] <= last and kpis.half_year_months(p)[-1] >= first})
    if not periods:
        return f"KPI mart: no complete half-year between {first} and {last} (all six months of every core source)."
    values = {(p, code): v for p, code, v in rows}
    table = [["kpi_code", "指标", *periods]]
    for kpi in kpis.catalogue().for_grain("half_year"):
        table.append([kpi.code, kpi.name_zh,
                      *(formatting.figure(values.get((p, kpi.code)), kpi.unit, kpi.precision) for p in periods)])
    widths = [max(_width(row[i]) for row in table) for i in range(len(table[0]))]
    lines = [f"KPIs of the complete half-years (mart.half_year_kpis in {path}):"]
    for row in table:
        lines.append("  " + "  ".join(_pad(cell, w, right=i >= 2) for i, (cell, w) in enumerate(zip(row, widths))))
    drafts = [settings.reports_dir() / p for p in periods if (settings.reports_dir() / p).is_dir()]
    lines += [f"Report draft: {d / f'industrial_economy_report_{d.name}.md'} (and .docx)" for d in drafts]
    return "\n".join(lines)
