"""What the KPI DAG's tasks do: build the mart (the writer), then draft the reports (a reader)."""
from __future__ import annotations

import logging

from town_industry import kpis, report, settings, warehouse
from town_industry.sources import declared_sources

log = logging.getLogger(__name__)


def build_kpis(run_id: str | None = None) -> dict:
    """Recompute the complete periods whose inputs changed (one transaction)."""
    with warehouse.connect() as con:
        warehouse.ensure_schema(con, declared_sources())
        built = kpis.build_mart(con, run_id)
    log.info("complete half-years %s; rebuilt %s and %d months", built["complete_half_years"],
             built["built_half_years"], len(built["built_months"]))
    return built


def draft_reports(built: dict) -> list[str]:
    """Draft every half-year just rebuilt, and any complete one that has no draft yet."""
    reports = settings.reports_dir()
    periods = [p for p in built["complete_half_years"]
               if p in built["built_half_years"] or not (reports / p).is_dir()]
    paths = report.draft_reports(periods)
    for path in paths:
        log.info("report draft written: %s", path)
    return paths
