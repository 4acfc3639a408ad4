"""The KPIs for analysts: the catalogue, and one KPI over the months and report periods with its
definition, SQL file and (for a counting KPI) what it counted. Read from the published warehouse."""
from __future__ import annotations

import math
from dataclasses import dataclass

from town_industry.db import read
from town_industry.periods import report_period_order

CATALOGUE_COLUMNS = ("kpi_code", "section", "name_zh", "name_en", "unit", "precision", "grains", "sql_file",
                     "sql_text", "definition_zh", "definition_en", "sources")


def catalogue() -> list[dict]:
    """Every KPI of the published mart's catalogue; none before anything was loaded."""
    try:
        return _catalogue()
    except FileNotFoundError:
        return []


def _catalogue() -> list[dict]:
    with read() as con:
        rows = con.execute(f"SELECT {', '.join(CATALOGUE_COLUMNS)} FROM mart.kpi_catalogue ORDER BY section, kpi_code"
                           ).fetchall()
    return [dict(zip(CATALOGUE_COLUMNS, row)) for row in rows]


def kpi(code: str) -> dict | None:
    """The KPI's definition, its values by period and by month, and the members of each counted period;
    None for a code the catalogue does not hold."""
    with read() as con:
        row = con.execute(f"SELECT {', '.join(CATALOGUE_COLUMNS)} FROM mart.kpi_catalogue WHERE kpi_code = ?",
                          [code]).fetchone()
        if row is None:
            return None
        periods = con.execute("SELECT period, value, unit FROM mart.half_year_kpis WHERE kpi_code = ?",
                              [code]).fetchall()
        months = con.execute("SELECT month, value, unit FROM mart.monthly_kpis WHERE kpi_code = ? ORDER BY month",
                             [code]).fetchall()
        members = con.execute("""
            SELECT period, count(*), list(member_name ORDER BY member_name)[1:20]
            FROM mart.kpi_members WHERE kpi_code = ? GROUP BY period""", [code]).fetchall()
    counted = {period: {"count": n, "first": names} for period, n, names in members}
    return {**dict(zip(CATALOGUE_COLUMNS, row)),
            "periods": [{"period": p, "value": v, "unit": u, "members": counted.get(p)}
                        for p, v, u in sorted(periods, key=lambda r: report_period_order(r[0]))],
            "months": [{"month": m, "value": v, "unit": u} for m, v, u in months]}


@dataclass
class Chart:
    """A line chart of monthly values in SVG coordinates: the plot is ``width`` × ``height`` with its
    origin at the top left; the template draws the axes, ticks and labels around it."""

    width: int
    height: int
    lines: list[str]  # polyline points, one per run of months with a value (a gap breaks the line)
    y_ticks: list[tuple[float, str]]  # (y, label) from the bottom up
    x_ticks: list[tuple[float, str]]  # (x, label): each January, and the first month


def nice_step(span: float, intervals: int = 4) -> float:
    """A round step (1, 2 or 5 × a power of ten) cutting ``span`` into about ``intervals`` parts."""
    raw = span / intervals
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def chart(months: list[str], values: list[float | None], width: int = 600, height: int = 160) -> Chart | None:
    """The chart of the values by month, its value axis from a round number at or below the lowest value
    (zero when all are positive) to one at or above the highest; None when no month has a value."""
    known = [v for v in values if v is not None]
    if not known:
        return None
    low, high = min(known + [0.0]), max(known + [0.0])
    step = nice_step((high - low) or abs(high) or 1.0)
    bottom, top = math.floor(low / step) * step, math.ceil(high / step) * step
    top = top if top > bottom else bottom + step
    x_step = width / max(len(months) - 1, 1)

    def y(value: float) -> float:
        return height - (value - bottom) / (top - bottom) * height

    lines, run = [], []
    for i, value in enumerate(values + [None]):
        if value is None:
            if run:
                lines.append(" ".join(run))
            run = []
        else:
            run.append(f"{i * x_step:.1f},{y(value):.1f}")
    ticks = [bottom + k * step for k in range(round((top - bottom) / step) + 1)]
    y_ticks = [(y(t), f"{t:,.{max(0, -math.floor(math.log10(step)))}f}") for t in ticks]
    x_ticks = [(i * x_step, m[:4] if m.endswith("-01") else m) for i, m in enumerate(months)
               if i == 0 or m.endswith("-01")]
    return Chart(width, height, lines, y_ticks, x_ticks)
