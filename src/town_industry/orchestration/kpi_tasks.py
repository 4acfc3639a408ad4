"""What the KPI DAG's tasks do: wait for the loads to settle, build the mart (the writer), then draft
the reports (a reader of the published copy)."""
from __future__ import annotations

import logging

from town_industry.contracts.sources import declared_sources
from town_industry.db import connect
from town_industry.marts.kpis import build_mart
from town_industry.report import draft
from town_industry.warehouse.schema import ensure_schema

log = logging.getLogger(__name__)


# Ingest task states that mean "a load is on its way".
_LOAD_COMING = ["scheduled", "queued", "running", "up_for_retry", "restarting"]


def loads_pending(ti) -> int:
    """Ingest runs waiting to start plus ingest tasks about to load, from Airflow's metadata (Task SDK).

    A sensor still waiting for an undelivered file is not counted: a late file must not hold back
    the KPIs of the other sources.
    """
    pending = 0
    for source in declared_sources():
        dag_id = f"ingest_{source.name}"
        pending += ti.get_dr_count(dag_id=dag_id, states=["queued"])
        pending += ti.get_ti_count(dag_id=dag_id, task_ids=["validate_file", "load_month"], states=_LOAD_COMING)
        pending += ti.get_ti_count(dag_id=dag_id, task_ids=["wait_for_file"], states=["scheduled", "queued"])
    return pending


def loads_settled(ti=None, params=None) -> bool:
    """Sensor check: True once no ingest load is queued or running.

    Every load's asset event starts this DAG; during a backfill of many months that would rebuild and
    redraft the same half-year once per load. Waiting until the loads settle builds once at the end;
    the mart is right either way (periods are rebuilt from what their inputs are when built).
    The DAG parameter ``wait_for_loads`` turns the wait off (``make run`` builds after its own loads,
    and must not wait for a run an interrupted ``make run`` left 'running' in its SQLite metadata).
    """
    if params is not None and not params.get("wait_for_loads", True):
        return True
    pending = loads_pending(ti)
    if pending:
        log.info("%d ingest run(s) or load task(s) still to come: building the KPIs after them", pending)
    return pending == 0


def build_kpis(run_id: str | None = None) -> dict:
    """Recompute the complete periods whose inputs changed (one transaction)."""
    with connect() as con:
        ensure_schema(con, declared_sources())
        built = build_mart(con, run_id)
    log.info("complete report periods %s; rebuilt %s and %d months", built["complete_periods"],
             built["built_periods"], len(built["built_months"]))
    return built


def draft_reports(built: dict) -> list[str]:
    """Draft every report period (half-year, full year) just rebuilt, and any complete one without a draft of its current build."""
    periods = [p for p in built["complete_periods"] if p in built["built_periods"] or not draft.is_current(p)]
    paths = draft.draft_reports(periods)
    for path in paths:
        log.info("report draft written: %s", path)
    return paths
