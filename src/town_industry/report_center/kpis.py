"""The KPIs for analysts: the catalogue, and one KPI over the months and report periods with its
definition, SQL file and (for a counting KPI) what it counted. Read from the published warehouse."""
from __future__ import annotations

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


def chart_points(values: list[float | None], width: int = 600, height: int = 160) -> str:
    """SVG polyline points for the values (gaps skipped), scaled into width × height."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known + [0.0]), max(known)
    span = (high - low) or 1.0
    step = width / max(len(values) - 1, 1)
    return " ".join(f"{i * step:.1f},{height - (v - low) / span * height:.1f}"
                    for i, v in enumerate(values) if v is not None)
