"""``docs/kpi_catalogue.md``: the analysts' reference, generated from ``include/kpis.yml``.

Run ``make docs`` after editing the catalogue; a test fails while the committed page is out of date.
"""
from __future__ import annotations

from town_industry import settings
from town_industry.contracts import kpis

DOC = settings.PROJECT_ROOT / "docs" / "kpi_catalogue.md"
SECTION_TITLES = {"enterprise": "Enterprise KPIs (enterprise_monthly)",
                  "investment": "Investment KPIs (investment_monthly)",
                  "employment": "Employment KPIs (employment_services)"}


def render() -> str:
    cat = kpis.catalogue()
    lines = [
        "# KPI catalogue",
        "",
        "Generated from `include/kpis.yml` by `make docs`; do not edit by hand.",
        "",
        "Query the values by name: `mart.half_year_kpis(period, kpi_code, value, unit)` (period `2020H1`),",
        "`mart.monthly_kpis(month, kpi_code, value, unit)` (month `2020-04`); what a count counted is in",
        "`mart.kpi_members`, and this catalogue is also the table `mart.kpi_catalogue`. A period gets its rows once",
        f"all its months are loaded for every core source ({', '.join(f'`{s}`' for s in cat.core_sources)}).",
        "Each KPI's SQL takes `$first_month_key` and `$last_month_key` (yyyymm) of the period.",
    ]
    for section, title in SECTION_TITLES.items():
        lines += ["", f"## {title}", "", "| kpi_code | 名称 | name | unit | grains | definition | SQL |",
                  "|---|---|---|---|---|---|---|"]
        for k in cat.kpis:
            if k.section == section:
                lines.append(f"| `{k.code}` | {k.name_zh} | {k.name_en} | {k.unit} | {', '.join(k.grains)} | "
                             f"{k.definition_en} | [`sql/{k.sql}`](../sql/{k.sql}) |")
    return "\n".join(lines) + "\n"


def write_docs() -> list:
    """Regenerate every generated page under ``docs/``; returns their paths."""
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render(), encoding="utf-8")
    return [DOC]
