"""What the terminal shows at the end of a run: the KPIs of the report periods (half-years, full years)
it touched, and what the warehouse holds."""
from __future__ import annotations

from pathlib import Path

from town_industry import periods, settings
from town_industry.contracts.kpis import catalogue
from town_industry.db import read
from town_industry.report.draft import draft_name
from town_industry.report.formatting import figure
from town_industry.text import pad, table


def kpi_table(path: Path, first: str, last: str) -> str:
    """A table of KPI by report period for the complete half-years and full years that overlap [first, last]
    (a run of June alone shows the first half-year and the year it may have changed)."""
    with read(path) as con:
        rows = con.execute("SELECT period, kpi_code, value FROM mart.half_year_kpis").fetchall()
    touched = sorted({p for p, _, _ in rows if periods.report_period_months(p)[0] <= last
                      and periods.report_period_months(p)[-1] >= first}, key=periods.report_period_order)
    if not touched:
        if settings.language() == "zh":
            return f"KPI 集市：{first} 至 {last} 之间没有完整的半年或全年（须每个核心来源各月都已入库）。"
        return (f"KPI mart: no complete half-year between {first} and {last} (all six months of every core "
                "source; a full year needs all twelve).")
    values = {(p, code): v for p, code, v in rows}
    cells = [["kpi_code", "指标", *touched]]
    for kpi in catalogue().for_grain("half_year"):
        cells.append([kpi.code, kpi.name_zh,
                      *(figure(values.get((p, kpi.code)), kpi.unit, kpi.precision) for p in touched)])
    title = (f"完整半年及全年的指标（{path} 中的 mart.half_year_kpis）：" if settings.language() == "zh"
             else f"KPIs of the complete half-years and years (mart.half_year_kpis in {path}):")
    lines = [title, *table(cells, right_from=2)]
    drafts = [settings.reports_dir() / p for p in touched if (settings.reports_dir() / p).is_dir()]
    label = "报告初稿" if settings.language() == "zh" else "Report draft"
    lines += [f"{label}: {d / f'{draft_name(d.name)}.md'} (.docx)" for d in drafts]
    return "\n".join(lines)


def warehouse_summary(path: Path) -> str:
    """Where the warehouse and its published copy are, row counts, files by source and status."""
    published = settings.published_path(path)
    lines = [f"Warehouse (the loads' own file): {path}", f"Published copy for readers:     {published}", ""]
    with read(path) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' ORDER BY table_schema, table_name").fetchall()
        lines.append("Tables (rows):")
        for schema, name in tables:
            rows = con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0]
            lines.append(f"  {pad(f'{schema}.{name}', 35)} {rows:>8}")
        lines += ["", "Files by source and status:"]
        for source, status, files, months in con.execute(
            "SELECT source, status, count(*), min(month) || ' .. ' || max(month) FROM meta.file_loads "
            "GROUP BY ALL ORDER BY ALL").fetchall():
            lines.append(f"  {source:<22} {status:<10} {files:>4} files  {months}")
        warnings = con.execute("SELECT count(*) FROM meta.dq_issues WHERE severity = 'warning'").fetchone()[0]
        lines += ["", f"Data-quality warnings recorded: {warnings} (meta.dq_issues)",
                  "", "Query it:  make sql   (or any DuckDB client, read-only, on the published copy)"]
    return "\n".join(lines)
